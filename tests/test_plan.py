"""The plan: written text for subtitles, spoken text for the engine, pauses between."""

from __future__ import annotations

from newsvoice.text.article import parse_article
from newsvoice.text.normalize import Normalizer
from newsvoice.text.plan import Pauses, build_plan, spoken_text


def test_caps_headline_is_spoken_as_words_not_letters():
    norm = Normalizer()
    said = spoken_text("UBND TỈNH QUẢNG NAM TỔNG KẾT NĂM 2023", norm)
    assert said == "ủy ban nhân dân tỉnh quảng nam tổng kết năm hai nghìn không trăm hai mươi ba"
    assert spoken_text("Ông Nguyễn Văn A, UBND tỉnh", norm).startswith("Ông Nguyễn Văn A")


def test_sub_marks_speak_the_alias_and_breaks_pause():
    art = parse_article(
        'Tin ngắn\n\nÔng <sub alias="Nờ Vê A">NVA</sub> phát biểu.<break time="700ms"/> '
        "Hội nghị kết thúc lúc 11h.\n".encode()
    )
    plan = build_plan(art, Normalizer(), pauses=Pauses(sentence=600))
    first = next(p for p in plan.units if "NVA" in p.written)
    assert "Nờ Vê A" in first.spoken and "NVA" not in first.spoken
    assert "<" not in first.written
    assert first.pause_after_ms >= 700
    last = plan.units[-1]
    assert last.spoken.endswith("mười một giờ.") and last.written.endswith("11h.")


def _units(text: str, **kw):
    return build_plan(
        parse_article(f"Tin\n\n{text}\n".encode()), Normalizer(), narrate_headline=False, **kw
    ).units


def test_units_end_only_where_a_reader_pauses():
    units = _units(
        "Tâm bão mạnh cấp 11, giật cấp 14 đi qua huyện Tuy An (Phú Yên) lúc 10 giờ; "
        "nhiệm kỳ 2020 - 2025 kết thúc."
    )
    assert [u.written for u in units] == [
        "Tâm bão mạnh cấp 11,",
        "giật cấp 14 đi qua huyện Tuy An (Phú Yên)",
        "lúc 10 giờ;",
        "nhiệm kỳ 2020 - 2025 kết thúc.",
    ]
    assert [u.pause_after_ms for u in units[:3]] == [300, 200, 300]


def test_engine_text_limit_cuts_a_long_clause_without_a_pause():
    text = (
        "Ban Chấp hành Đảng bộ huyện đã tổ chức hội nghị tổng kết công tác xây dựng Đảng và "
        "triển khai nhiệm vụ trọng tâm của năm tới trước toàn thể cán bộ chủ chốt của các xã thị trấn."
    )
    units = _units(text, max_spoken=95)
    assert len(units) >= 2 and all(len(u.spoken) <= 95 for u in units)
    assert [u.pause_after_ms for u in units[:-1]] == [0] * (len(units) - 1)
    assert " ".join(u.written for u in units) == text
    cuts = {
        (a.tokens[-1].written, b.tokens[0].written) for a, b in zip(units, units[1:], strict=False)
    }
    assert ("Chấp", "hành") not in cuts and ("nhiệm", "vụ") not in cuts


def test_each_written_token_knows_its_spoken_words():
    (unit,) = _units("UBND TP.HCM chi 1.250.000 đồng, đạt 109,1% ngày 11/01")[:1]
    said = {t.written: " ".join(t.spoken) for t in unit.tokens}
    assert said["UBND"] == "ủy ban nhân dân"
    assert said["TP.HCM"] == "thành phố Hồ Chí Minh"
    assert said["1.250.000"] == "một triệu hai trăm năm mươi nghìn"
    assert " ".join(w for t in unit.tokens for w in t.spoken) == unit.spoken


def test_quotes_are_not_spoken():
    units = _units("Danh hiệu “Hoàn thành tốt nhiệm vụ” năm nay")
    assert units[0].written == "Danh hiệu “Hoàn thành tốt nhiệm vụ”"  # a closing quote is a pause
    assert not any(q in u.spoken for u in units for q in "“”")


def test_a_dropped_line_that_may_be_the_headline_is_a_warning_but_a_menu_is_not():
    text = (
        "Hà Nội | Giá xăng tăng mạnh\nTrang chủ | Thời sự | Chính trị trong nước\n"
        "Giá xăng tăng mạnh từ chiều nay\n\nSáng nay, Bộ Công Thương điều chỉnh giá xăng.\n"
    )
    plan = build_plan(parse_article(text.encode()), Normalizer())
    said = [w for w in plan.warnings if "above the headline" in w]
    assert len(said) == 1 and "Hà Nội | Giá xăng tăng mạnh" in said[0]
    english = "Skip to main content and navigation menu\nGiá xăng tăng mạnh từ chiều nay\n\nSáng nay, giá tăng.\n"
    assert not any(
        "above the headline" in w
        for w in build_plan(parse_article(english.encode()), Normalizer()).warnings
    )
