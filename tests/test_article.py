"""Article reading: character cleanup, drop rules (each with its reason), headline and
paragraphs, errors."""

from __future__ import annotations

import unicodedata

import pytest
from conftest import shared_path
from hypothesis import given, settings
from hypothesis import strategies as st
from test_encoding import to_cp1258, to_tcvn3, to_vni

from newsvoice.errors import InputError
from newsvoice.text.article import (
    Article,
    DroppedLine,
    clean_characters,
    decode_text,
    parse_article,
    read_article,
    read_bytes,
)

HEAD = "Xã Đại Nghĩa ra quân làm đường giao thông nông thôn"
P1 = "Sáng 5/3, xã Đại Nghĩa tổ chức lễ ra quân làm đường giao thông nông thôn năm 2024."
P2 = "Theo kế hoạch, năm nay xã sẽ bê tông hóa 5 km đường với tổng kinh phí 2,5 tỷ đồng."


def parse(text: str, **kw) -> Article:
    return parse_article(text.encode("utf-8"), **kw)


def article(*lines: str) -> str:
    """Blank-line separated article text."""
    return "\n\n".join(lines) + "\n"


def dropped(art: Article) -> list[tuple[str, str]]:
    return [(d.text, d.reason) for d in art.dropped]


# --- the must-pass sample ------------------------------------------------------------


def test_dai_loc_sample():
    art = read_article(shared_path("samples/dai-loc-party-building.txt"))
    assert art.headline == (
        "Huyện ủy Đại Lộc tổ chức Hội nghị tổng kết công tác xây dựng Đảng, "
        "công tác kiểm tra, giám sát năm 2023"
    )
    assert len(art.paragraphs) == 4
    assert art.paragraphs[0].startswith("Sáng ngày 11/01, Huyện ủy Đại Lộc")
    assert art.paragraphs[-1].startswith("Dịp này, Ban Thường vụ")
    assert dropped(art) == [
        ("Truyền hình Đại Lộc", "outlet header"),
        ("Nhật Duy", "byline"),
        ("twn Are you sure that you want to switch to desktop version?", "web UI"),
    ]
    assert all(
        p == unicodedata.normalize("NFC", p) and "\u00a0" not in p and "  " not in p
        for p in art.paragraphs
    )


@pytest.mark.parametrize("encode", [to_cp1258, to_vni, to_tcvn3, lambda t: t.encode("utf-16")])
def test_dai_loc_sample_in_other_encodings(encode):
    text = shared_path("samples/dai-loc-party-building.txt").read_text("utf-8")
    expected = parse_article(text.encode("utf-8"))
    assert parse_article(encode(text.replace("\u00a0", " "))) == expected


# --- characters ----------------------------------------------------------------------


def test_nfc_zero_width_and_spaces():
    raw = unicodedata.normalize(
        "NFD", "Hội\u200b nghị\u00a0\u00a0tổng\u2009kết\ufeff\u2060 năm\u00ad 2023"
    )
    assert clean_characters(raw) == "Hội nghị  tổng kết năm 2023"
    art = parse(article(HEAD, raw + "."))
    assert art.paragraphs == ["Hội nghị tổng kết năm 2023."]


def test_crlf_and_lone_cr_are_newlines():
    art = parse(f"{HEAD}\r\n\r\n{P1}\r{P2}\r\n")
    assert art.headline == HEAD
    assert art.paragraphs == [P1, P2]


def test_decode_text_is_clean_nfc():
    assert decode_text(unicodedata.normalize("NFD", "Việt\u200b Nam").encode()) == "Việt Nam"


# --- paragraphs ----------------------------------------------------------------------


def test_one_paragraph_per_line_and_blank_lines():
    art = parse(f"{HEAD}\n{P1}\n{P2}\n\n{P1}\n")
    assert art.headline == HEAD
    assert art.paragraphs == [P1, P2, P1]


def test_wrapped_lines_are_joined():
    art = parse(
        f"{HEAD}\n\nSáng 5/3, xã Đại Nghĩa tổ chức lễ ra quân làm\nđường giao thông nông thôn,\n"
        f"100 người tham gia.\n"
    )
    assert art.paragraphs == [
        "Sáng 5/3, xã Đại Nghĩa tổ chức lễ ra quân làm đường giao thông nông thôn, "
        "100 người tham gia."
    ]


def test_body_indentation_is_not_a_byline():
    art = parse(
        f"{HEAD}\n\n      {P1}\n\n\t{P2}\n\n\u00a0 \u00a0 \u00a0 Nhiều kết quả nổi bật\n\n\t{P1}\n"
    )
    assert art.paragraphs == [P1, P2, "Nhiều kết quả nổi bật", P1]
    assert art.dropped == []


def test_all_caps_headline_is_kept_as_written():
    art = parse(article("XÃ ĐẠI NGHĨA RA QUÂN LÀM ĐƯỜNG", P1))
    assert art.headline == "XÃ ĐẠI NGHĨA RA QUÂN LÀM ĐƯỜNG"


def test_headline_only_article():
    art = parse(HEAD + "\n")
    assert art.headline == HEAD and art.paragraphs == []


# --- drop rules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "Truyền hình Đại Lộc",
        "Báo Quảng Nam",
        "Đài Phát thanh - Truyền hình Quảng Nam",
        "Cổng thông tin điện tử huyện Đại Lộc",
        "Trang tin điện tử xã Đại Nghĩa",
        "Báo điện tử Dân trí",
    ],
)
def test_outlet_header_before_headline(header):
    art = parse(article(header, HEAD, P1))
    assert art.headline == HEAD
    assert dropped(art) == [(header, "outlet header")]


@pytest.mark.parametrize(
    "headline",
    [
        "Báo động tình trạng sạt lở bờ sông Vu Gia",
        "Đài Loan thử tên lửa mới",
        "Truyền hình trực tiếp lễ khai mạc",
    ],
)
def test_headlines_that_start_like_an_outlet_are_kept(headline):
    art = parse(article(headline, P1))
    assert art.headline == headline
    assert art.dropped == []


def test_single_line_is_never_an_outlet_header():
    assert parse("Báo Quảng Nam\n").headline == "Báo Quảng Nam"


@pytest.mark.parametrize(
    ("tag", "sep"),
    [
        ("(QNO)", " - "),
        ("TPO", " - "),
        ("(NLĐO)", " - "),
        ("(PLO)", "-"),
        ("VOV.VN", " - "),
        ("(Dân trí)", " - "),
        ("(Baonghean.vn)", " – "),
        ("TTXVN", " - "),
        ("(VTC News)", " - "),
    ],
)
def test_outlet_tag_at_paragraph_start(tag, sep):
    art = parse(article(HEAD, tag + sep + P1, P2))
    assert art.paragraphs == [P1, P2]
    assert dropped(art) == [((tag + sep).strip(), "outlet tag")]


def test_a_dash_in_ordinary_text_is_not_a_tag():
    text = "Hà Nội - Hải Phòng là tuyến cao tốc quan trọng của vùng."
    assert parse(article(HEAD, text)).paragraphs == [text]


@pytest.mark.parametrize(
    "line",
    [
        "Thứ Tư, 04/09/2024 09:04",
        "04/09/2024 09:04 GMT+7",
        "Cập nhật: 10:20 ngày 04/09/2024",
        "Thứ bảy, ngày 13/01/2024 - 08:30",
        "13-01-2024 | 8h30",
        "Chủ nhật, 14/1/2024, 07:15 (GMT+7)",
        "Đăng lúc 2 giờ trước",
    ],
)
def test_datetime_lines(line):
    art = parse(article(line, HEAD, line, P1))
    assert art.headline == HEAD
    assert dropped(art) == [(line, "date/time"), (line, "date/time")]


def test_a_sentence_with_a_date_is_kept():
    text = "Ngày 04/09/2024, huyện tổ chức hội nghị."
    assert parse(article(HEAD, text)).paragraphs == [text]


@pytest.mark.parametrize(
    "line",
    [
        "Ảnh: Nhật Duy",
        "Quang cảnh hội nghị. Ảnh: T.L",
        "Đồng chí Nguyễn Hảo phát biểu (Ảnh: Nhật Duy)",
        "(Ảnh: Internet)",
        "Ảnh minh họa",
        "Ảnh minh hoạ: Internet",
        "Video: Lễ ra quân",
        "Ảnh 2: Người dân đổ bê tông",
    ],
)
def test_photo_captions(line):
    art = parse(article(HEAD, P1, line, P2))
    assert art.paragraphs == [P1, P2]
    assert dropped(art) == [(line, "photo caption")]


def test_a_sentence_about_photos_is_kept():
    text = "Triển lãm trưng bày nhiều loại ảnh: chân dung, phong cảnh và đời sống."
    assert parse(article(HEAD, text)).paragraphs == [text]


@pytest.mark.parametrize("line", ["Nguồn: Sở Y tế Quảng Nam", "(Nguồn: VTV)"])
def test_source_lines(line):
    art = parse(article(HEAD, P1, line, P2))
    assert art.paragraphs == [P1, P2]
    assert dropped(art) == [(line, "source credit")]


@pytest.mark.parametrize(
    ("last", "reason"),
    [
        ("Nhật Duy", "byline"),
        ("Minh Tuấn - Thu Hà", "byline"),
        ("Nhật Duy (TTXVN)", "byline"),
        ("PV", "byline"),
        ("Nhóm PV", "byline"),
        ("Tin, ảnh: Văn Thành", "byline"),
        ("Theo TTXVN", "source credit"),
        ("(Theo Báo Quảng Nam)", "source credit"),
        ("                              Nhật Duy", "byline"),
    ],
)
def test_bylines_at_the_end(last, reason):
    art = parse(article(HEAD, P1, P2, last))
    assert art.paragraphs == [P1, P2]
    assert dropped(art) == [(last.strip(), reason)]


def test_right_aligned_byline_in_the_middle():
    art = parse(f"{HEAD}\n\n{P1}\n\n{' ' * 40}Nhật Duy\n\n{P2}\n")
    assert art.paragraphs == [P1, P2]
    assert dropped(art) == [("Nhật Duy", "byline")]


def test_a_name_in_the_middle_is_not_a_byline():
    art = parse(article(HEAD, P1, "Nhật Duy", P2))
    assert art.paragraphs == [P1, "Nhật Duy", P2]


@pytest.mark.parametrize(
    "last",
    [
        P2,
        "Theo kế hoạch, dự án sẽ hoàn thành vào năm 2026",
        "Báo động tình trạng sạt lở",
        "Người dân rất vui mừng",
    ],
)
def test_last_lines_that_are_sentences_are_kept(last):
    art = parse(article(HEAD, P1, last))
    assert art.paragraphs == [P1, last]


def test_end_mark_is_removed():
    art = parse(article(HEAD, "Hội nghị kết thúc tốt đẹp./."))
    assert art.paragraphs == ["Hội nghị kết thúc tốt đẹp."]
    assert dropped(art) == [("./.", "end mark")]


@pytest.mark.parametrize("line", ["|", "***", "---", "• • •", "2024", "+"])
def test_lines_without_letters(line):
    art = parse(article(HEAD, P1, line, P2))
    assert art.paragraphs == [P1, P2]
    assert dropped(art) == [(line, "no letters")]


@pytest.mark.parametrize(
    "line",
    [
        "Share",
        "Tweet",
        "Print",
        "Back to top",
        "Read more",
        "Chia sẻ",
        "Bình luận (12)",
        "Tin liên quan",
        "Are you sure that you want to switch to desktop version?",
        "twn Are you sure that you want to switch to desktop version?",
        "Sign in with your account to comment",
    ],
)
def test_web_ui(line):
    art = parse(article(line, HEAD, P1, line, P2))
    assert art.headline == HEAD
    assert art.paragraphs == [P1, P2]
    assert dropped(art) == [(line, "web UI"), (line, "web UI")]


def test_vietnamese_without_diacritics_is_not_web_ui():
    text = "Tin tuc moi nhat ve giao thong nong thon"
    assert parse(article(HEAD, text)).paragraphs == [text]


@pytest.mark.parametrize("section", ["Thời sự", "Kinh tế - Xã hội", "XÃ HỘI"])
def test_section_label_before_headline(section):
    art = parse(article(section, HEAD, P1))
    assert art.headline == HEAD
    assert dropped(art) == [(section, "navigation")]


def test_navigation_breadcrumbs():
    art = parse(article("Trang chủ > Thời sự > Chính trị", HEAD, P1))
    assert art.headline == HEAD
    assert dropped(art) == [("Trang chủ > Thời sự > Chính trị", "navigation")]


def test_short_line_with_a_comparison_is_not_navigation():
    assert parse(article(HEAD, "Nhiệt độ > 35 độ C")).paragraphs == ["Nhiệt độ > 35 độ C"]


def test_glued_sentences_are_repaired():
    art = parse(article(HEAD, "Đoạn đường dài khoảng 100m.Đơn vị thi công là Công ty A ở TP.HCM."))
    assert art.paragraphs == ["Đoạn đường dài khoảng 100m. Đơn vị thi công là Công ty A ở TP.HCM."]


def test_keep_all_keeps_everything():
    src = article(
        "Truyền hình Đại Lộc", HEAD, "(QNO) - " + P1, "Ảnh: Nhật Duy", "|", "Share", "Nhật Duy"
    )
    art = parse(src, keep_all=True)
    assert art.headline == "Truyền hình Đại Lộc"
    assert art.paragraphs == [HEAD, "(QNO) - " + P1, "Ảnh: Nhật Duy", "|", "Share", "Nhật Duy"]
    assert art.dropped == []


def test_dropped_lines_are_reported_in_source_order():
    art = parse(article("Báo Quảng Nam", HEAD, "(QNO) - " + P1, "Ảnh: T.L", P2 + "./.", "Nhật Duy"))
    assert [d.reason for d in art.dropped] == [
        "outlet header",
        "outlet tag",
        "photo caption",
        "end mark",
        "byline",
    ]
    assert all(isinstance(d, DroppedLine) for d in art.dropped)


# --- errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"", "is empty"),
        (b"\n \n\t\n", "is empty"),
        ("\u200b\u00a0\n".encode(), "is empty"),
        (bytes(range(256)) * 4, "binary file"),
        (b"|\n\n***\n\n04/09/2024 09:04\n", "no sentences to narrate"),
        (b"Share\nTweet\n", "no sentences to narrate"),
    ],
)
def test_input_errors(data, needle):
    with pytest.raises(InputError) as info:
        parse_article(data)
    assert needle in str(info.value)
    assert "\n" not in str(info.value)


def test_too_large():
    data = (P1 + "\n").encode() * 50
    with pytest.raises(InputError, match="too large"):
        parse_article(data, max_bytes=1000)


def test_read_bytes_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_bytes(tmp_path / "missing.txt")
    with pytest.raises(InputError, match="folder"):
        read_bytes(tmp_path)
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * 101)
    with pytest.raises(InputError, match="too large"):
        read_bytes(big, max_bytes=100)


def test_read_article_names_the_file(tmp_path):
    f = tmp_path / "rong.txt"
    f.write_bytes(b"   \n")
    with pytest.raises(InputError, match="rong.txt is empty"):
        read_article(f)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300).map(lambda t: t.encode("utf-8")),
        st.lists(
            st.sampled_from(
                [
                    "Báo Quảng Nam",
                    "Ảnh: T.L",
                    "|",
                    "Share",
                    "\n",
                    "\n\n",
                    "   ",
                    "./.",
                    "(QNO) - ",
                    "Nhật Duy",
                    P1,
                    HEAD,
                    "04/09/2024 09:04",
                    "100m.Đơn",
                ]
            ),
            max_size=12,
        ).map(lambda parts: "".join(parts).encode("utf-8")),
    )
)
def test_parse_article_raises_only_input_error(data):
    try:
        art = parse_article(data)
    except InputError as e:
        assert "\n" not in str(e)
    else:
        assert art.headline or art.paragraphs
        assert all(p.strip() == p and p for p in art.paragraphs)


def test_breadcrumb_and_section_lines_at_the_top_are_dropped() -> None:
    text = (
        "Kinh tế\nThời sự | Thị trường\nTrang chủ › Kinh tế › Tài chính\n"
        "Giá lúa tăng mạnh trong tuần\n\nSáng 2/9, giá lúa tại Cần Thơ tăng 300 đồng/kg.\n"
    )
    art = parse_article(text.encode())
    assert art.headline == "Giá lúa tăng mạnh trong tuần"
    assert [(d.text, d.reason) for d in art.dropped] == [
        ("Kinh tế", "navigation"),
        ("Thời sự | Thị trường", "navigation"),
        ("Trang chủ › Kinh tế › Tài chính", "navigation"),
    ]
