"""Cutting sentences into cue pieces and lines: where cuts may and may not fall.

Pieces are cut from a word timeline (newsvoice.subtitles.cutter); here every word takes 0.3 s
and the whole sentence is one breath, so only the text rules decide."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from newsvoice.speech.timeline import TimedWord
from newsvoice.subtitles.cutter import CueRules, cut_pieces, word_costs
from newsvoice.text.words import layout, text_len, tokenize


def split_pieces(words, per_word: float = 0.3):
    timed = [
        TimedWord(w, "", i * per_word, (i + 1) * per_word, 0, 0, 1.0) for i, w in enumerate(words)
    ]
    return [list(words[a:b]) for a, b in cut_pieces(timed, word_costs(timed), CueRules())]


def break_lines(words, max_chars: int):
    best = layout(words, max_chars, 2)
    return best[1] if best else None


def texts(pieces) -> list[str]:
    return [" ".join(w.written for w in p) for p in pieces]


def test_tokenize_keeps_marks_atomic_and_breaks_attached():
    words = tokenize(
        'Sở <sub alias="giáo dục và đào tạo">GD&ĐT</sub>, tỉnh<break time="700ms"/> mới.'
    )
    assert [w.written for w in words] == ["Sở", "GD&ĐT,", "tỉnh", "mới."]
    assert words[1].source.startswith("<sub alias=")
    assert words[2].break_ms == 700


def test_break_in_seconds():
    assert tokenize('Một <break time="1.5s"/> hai')[0].break_ms == 1500


def test_short_sentence_is_one_piece():
    assert texts(split_pieces(tokenize("Hội nghị diễn ra sáng nay."))) == [
        "Hội nghị diễn ra sáng nay."
    ]


def test_long_sentence_cuts_at_clause_punctuation():
    s = (
        "Sáng 15/3, Ủy ban nhân dân huyện tổ chức hội nghị tổng kết công tác năm, "
        "đánh giá kết quả thực hiện nhiệm vụ phát triển kinh tế xã hội, "
        "đồng thời triển khai kế hoạch cho năm tiếp theo."
    )
    got = texts(split_pieces(tokenize(s)))
    assert len(got) >= 2
    assert all(p.endswith((",", ".")) for p in got), got


def test_never_cuts_number_from_unit_or_inside_range():
    s = (
        "Dự án có tổng vốn đầu tư khoảng 1.250 tỷ đồng trên diện tích 35 ha giai đoạn 2021 - 2025 "
        "do tỉnh làm chủ đầu tư cùng nhiều doanh nghiệp trong và ngoài nước tham gia góp vốn xây dựng"
    )
    for p in split_pieces(tokenize(s)):
        first, last = p[0].written, p[-1].written
        assert last not in {"1.250", "35", "2021", "-"}, texts([p])
        assert first not in {"tỷ", "ha", "-", "2025"}, texts([p])


def test_does_not_split_name_runs_when_avoidable():
    s = (
        "Tham dự có đồng chí Nguyễn Văn Minh Tuấn Bí thư Tỉnh ủy cùng lãnh đạo các sở ngành "
        "và đông đảo bà con nhân dân trên địa bàn huyện miền núi phía tây của tỉnh"
    )
    for p in split_pieces(tokenize(s)):
        assert p[-1].written not in {"Nguyễn", "Văn", "Minh"}


def test_lines_fit_and_balance():
    words = tokenize("Huyện ủy Đại Lộc tổ chức Hội nghị tổng kết công tác xây dựng Đảng,")
    lines = break_lines(words, 42)
    assert lines is not None and len(lines) == 2
    assert all(len(x) <= 42 for x in lines)
    assert abs(len(lines[0]) - len(lines[1])) < 20


def test_line_break_prefers_before_connector():
    lines = break_lines(tokenize("Các đơn vị đã hoàn thành kế hoạch năm và đề ra nhiệm vụ mới"), 42)
    assert lines == ["Các đơn vị đã hoàn thành kế hoạch năm", "và đề ra nhiệm vụ mới"]


def test_too_long_for_two_lines_is_none():
    assert break_lines(tokenize("x" * 50), 42) is None
    assert break_lines(tokenize(" ".join(["abcdefghij"] * 10)), 42) is None


def test_130_word_sentence_with_only_commas_gives_compliant_pieces():
    clause = "công tác kiểm tra giám sát được tăng cường thường xuyên"  # 11 words
    s = ", ".join([clause] * 12) + " nữa."
    assert len(s.split()) == 133
    pieces = split_pieces(tokenize(s), per_word=0.15)
    for p in pieces:
        assert text_len(p) <= 84
        assert break_lines(p, 42) is not None
    assert " ".join(texts(pieces)) == s


words_st = st.lists(
    st.text(alphabet="abcdeđơưáàảạ0123456789,.-“”", min_size=1, max_size=12),
    min_size=1,
    max_size=80,
)


@settings(max_examples=150, deadline=None)
@given(words_st)
def test_pieces_cover_the_sentence_in_order_and_fit(ws):
    sentence = " ".join(ws)
    pieces = split_pieces(tokenize(sentence))
    assert " ".join(texts(pieces)) == " ".join(sentence.split())
    for p in pieces:
        if len(p) > 1:
            assert text_len(p) <= 84 and break_lines(p, 42) is not None


def test_no_cut_inside_a_word_when_a_word_boundary_is_as_good():
    from newsvoice.text.words import BreakRules, boundary_costs, compound_pairs, default_rules

    base = default_rules()
    rules = BreakRules(
        base.cost,
        base.connectors,
        base.connector_pairs,
        compound_pairs(["# comment", "công tác", "diễn ra", "xây dựng đảng"]),
    )
    words = tokenize("tổng kết công tác xây dựng Đảng diễn ra")
    costs = boundary_costs(words, rules)
    inside = base.cost["inside_word"]
    assert costs[1] == base.cost["plain"]  # kết | công: between words
    assert costs[2] == inside  # công | tác
    assert costs[4] == inside and costs[5] == inside  # xây | dựng | Đảng (case-folded)
    assert costs[6] == base.cost["plain"]  # Đảng | diễn
    assert costs[7] == inside  # diễn | ra beats the connector "ra"
    assert inside > base.cost["plain"]


def test_one_word_parenthesis_stays_with_what_it_glosses():
    from newsvoice.text.words import boundary_costs, default_rules

    costs = boundary_costs(tokenize("tổng sản phẩm (GRDP) tăng (+6,2%), theo (số liệu mới)"))
    c = default_rules().cost
    assert costs[2] == c["gloss"] and costs[4] == c["gloss"] and costs[6] == c["quote_open"]


def test_no_connector_discount_between_two_function_words():
    from newsvoice.text.words import boundary_costs, default_rules

    c = default_rules().cost
    costs = boundary_costs(tokenize("kiến nghị sẽ được gửi tới tỉnh"))
    assert costs[1] == c["connector"]  # kiến nghị | sẽ
    assert costs[2] == c["plain"]  # sẽ | được


_SENTENCES = [
    ["Lực", "lượng", "chức", "năng", "kiểm", "soát", "giao", "thông", "."],
    ["Ông", "Nguyễn", "Văn", "An", "(", "TP.HCM", ")", "nói", "."],
    ["Một"],
]


def test_the_background_segmenter_answers_as_the_in_process_one():
    from newsvoice.text.wordseg import inside_words
    from newsvoice.text.wordseg_child import BackgroundSegmenter

    seg = BackgroundSegmenter.spawn()
    proc = seg._proc
    assert proc is not None
    got = seg.inside_words(_SENTENCES)
    assert got == inside_words(_SENTENCES)
    assert [len(g) for g in got] == [8, 8, 0]
    assert proc.poll() == 0  # the child answered (a fallback leaves it killed), then left


def test_a_dead_background_segmenter_falls_back_in_process():
    from newsvoice.text.wordseg import inside_words
    from newsvoice.text.wordseg_child import BackgroundSegmenter

    seg = BackgroundSegmenter.spawn()
    assert seg._proc is not None
    seg._proc.kill()
    seg._proc.wait()
    assert seg.inside_words(_SENTENCES) == inside_words(_SENTENCES)


def test_an_unasked_background_segmenter_is_stopped_by_close():
    from newsvoice.text.wordseg_child import BackgroundSegmenter

    seg = BackgroundSegmenter.spawn()
    proc = seg._proc
    assert proc is not None
    seg.close()
    assert proc.poll() is not None


def test_a_blank_token_does_not_crash_the_segmenter():
    """underthesea_core panics (a BaseException) on an empty or blank token."""
    from newsvoice.text.wordseg import inside_words

    got = inside_words([["kiểm", "", "soát"], ["kiểm", " ", "soát", "viên"]])
    assert got[0] == [False, False]  # nothing is inside a word next to an empty token
    assert len(got[1]) == 3 and got[1][2]  # "soát viên" is still one word
