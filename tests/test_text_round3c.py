"""Round 3c of the text front-end (issue 22): the general rules found on the measure8 set
of the fresh-article loop (bench/fresh/measure8), each tested on cases of our own."""

from __future__ import annotations

import pytest
from conftest import page

from newsvoice.text.article import parse_article

HEAD = "Nhà máy nước mới cấp nước sạch cho ba xã ven biển"
P1 = "Nhà máy có công suất 12.000 m3/ngày đêm, vốn đầu tư hơn 300 tỷ đồng."
P2 = "Theo chủ đầu tư, công trình sẽ hoàn thành trong tháng tới."


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        # a motorbike plate: province, a dash, a series with its digit, then the number
        ("xe máy 59-X2 123.45 bỏ chạy", "xe máy năm chín X hai, một hai ba bốn năm bỏ chạy"),
        # a unit after a number said in words
        ("hàng trăm ha rừng", "hàng trăm héc ta rừng"),
        ("hàng chục nghìn m2 sàn", "hàng chục nghìn mét vuông sàn"),
        ("hàng tỷ USD", "hàng tỷ đô la Mỹ"),
        # m3 before a per-unit: the 3 belongs to the unit
        ("bơm 150 m3/giờ", "bơm một trăm năm mươi mét khối một giờ"),
        # a number and one capital letter: the letter by its Vietnamese name
        ("Quốc lộ 6B", "Quốc lộ sáu bê"),
        ("tuyến QL32C", "tuyến quốc lộ ba mươi hai xê"),
        ("phim 3D", "phim ba đê"),
        # road markers make a range
        ("đoạn Km 12-Km 20", "đoạn ki lô mét mười hai đến ki lô mét hai mươi"),
        # codes by their kind
        ("tàu mang số IMO 1234567", "tàu mang số i em ô một hai ba bốn năm sáu bảy"),
        ("mã lỗi CVE-2023-4567", "mã lỗi xê vê e hai nghìn không trăm hai mươi ba bốn năm sáu bảy"),
        ("tuyến BRT 02", "tuyến bê e rờ tê không hai"),
        ("kỷ luật 03 cán bộ", "kỷ luật ba cán bộ"),  # a count keeps its leading zero silent
        # CP after a company word
        ("Công ty CP Sữa", "Công ty cổ phần Sữa"),
        ("theo Nghị quyết của CP", "theo Nghị quyết của Chính phủ"),
        # letters and symbols of the health desk
        ("bổ sung vitamin D3", "bổ sung vitamin đê ba"),
        ("độ pH 6,5", "độ pê hát sáu phẩy năm"),
        # a currency code after a number is a unit, and per kilo is "một"
        ("giá 2.000 KRW/kg", "giá hai nghìn uôn Hàn Quốc một ki lô gam"),
        # a decimal over a whole
        ("đạt 8,5/10 điểm", "đạt tám phẩy năm trên mười điểm"),
        # a team by its sport
        ("ĐT bóng rổ nam", "đội tuyển bóng rổ nam"),
        # a roman number after a road authority, a project form spelled, a count over a count
        ("Cục Quản lý đường bộ II", "Cục Quản lý đường bộ hai"),
        ("theo hình thức BOO", "theo hình thức bê ô ô"),
        ("98 bé gái/100 bé trai", "chín mươi tám bé gái trên một trăm bé trai"),
        ("đóng thùng carton", "đóng thùng các tông"),
        # measure10's classes: tax and health short forms, a spaced plus, a group's
        # initials glued to a unit's name in an address
        ("NNT tra cứu MST", "người nộp thuế tra cứu mã số thuế"),
        ("mỗi ván 25 phút + 5 giây", "mỗi ván hai mươi lăm phút cộng năm giây"),
        ("xem tại cskh.evnhanoi.vn", "xem tại xê ét ca hát chấm e vê en ha noi chấm vê en"),
        # call words before a service number
        ("bấm nút Báo cháy 114", "bấm nút Báo cháy một một bốn"),
    ],
)
def test_round3c_readings(norm, written, spoken):
    assert norm.normalize(written) == spoken


@pytest.mark.parametrize(
    "tail",
    [
        ["Minh Anh - Quốc Bảo/TTXVN", "Gửi bình luận của bạn"],  # a byline over a comment box
        ["HOÀNG LAN", "#nước sạch #ven biển #nhà máy nước"],  # a caps byline over the page's tags
        ["Chia sẻ bài viết: Facebook | Zalo | Sao chép liên kết", "Xem thêm bình luận"],
    ],
)
def test_bylines_tags_and_comment_boxes_at_the_end_are_dropped(tail):
    art = parse_article(page(HEAD, P1, P2, *tail))
    assert art.paragraphs == [P1, P2]
    assert len(art.dropped) == len(tail)


def test_a_sentence_that_starts_with_a_hash_is_kept():
    body = "#1 trong danh sách là nhà máy này, theo báo cáo của tỉnh."
    art = parse_article(page(HEAD, P1, body, P2))
    assert body in art.paragraphs


@pytest.mark.parametrize("byline", ["LAN ANH - QUỐC VIỆT", "Hồng Nhung, Đức Minh"])
def test_a_byline_under_the_headline_is_dropped(byline):
    art = parse_article(page(HEAD, byline, P1, P2))
    assert art.paragraphs == [P1, P2]
    assert [d.text for d in art.dropped] == [byline]


def test_a_desk_team_byline_is_dropped():
    art = parse_article(page(HEAD, P1, P2, "Nhóm phóng viên Kinh tế"))
    assert art.paragraphs == [P1, P2]


@pytest.mark.parametrize(
    ("text", "rule", "token"),
    [
        ("Nhà máy dùng công nghệ TOAN mới.", "latin-word", "TOAN"),  # capitals read as a word
        ("Tỷ lệ đạt 5 điểm | xếp loại khá.", "raw-symbol", None),  # a bar nobody reads
    ],
)
def test_readings_left_to_the_engine_are_flagged(norm, text, rule, token):
    _, found = norm.normalize_with_findings(text)
    hits = [f for f in found if f.rule == rule]
    assert hits, found
    if token:
        assert hits[0].token == token


def test_a_caps_headline_is_not_flagged_word_by_word(norm):
    _, found = norm.normalize_with_findings("NHÀ MÁY TOAN KHÁNH THÀNH")
    assert not [f for f in found if f.rule == "latin-word"]


@pytest.mark.parametrize(
    "meta",
    [
        "Kinh tế | Thứ Sáu, 06/03/2026 - 09:15 (GMT+7)",  # section | date
        "LAN PHƯƠNG | 21/10/2025 - 18:32",  # byline | date
        "Lượt xem: 1.204 | Bình luận: 3",  # counters
        "Bình luận (0) | Gửi bình luận",
        "Giáo dục - Tuyển sinh 12/11/2025 20:15",  # a section label before a date
    ],
)
def test_page_metadata_lines_are_dropped(meta):
    art = parse_article(page(meta, HEAD, P1, P2, meta))
    assert art.headline == HEAD
    assert art.paragraphs == [P1, P2]


def test_a_sentence_with_a_bar_and_a_date_is_kept():
    body = "Theo lịch | 12/11/2025, tỉnh sẽ khởi công nhà máy nước thứ hai ở ven biển."
    art = parse_article(page(HEAD, P1, body, P2))
    assert body in art.paragraphs


def test_a_station_footer_with_its_editor_in_chief_line_is_dropped():
    art = parse_article(
        page(
            HEAD,
            P1,
            P2,
            "ĐÀI PHÁT THANH VÀ TRUYỀN HÌNH TỈNH",
            "Chịu trách nhiệm chính: Giám đốc Đài",
        )
    )
    assert art.paragraphs == [P1, P2]


@pytest.mark.parametrize(
    "button",
    ["— Quảng cáo —", "– Quảng cáo –", "⚠ Báo lỗi bài viết", "+ Theo dõi tác giả", "Xem đầy đủ ›"],
)
def test_a_page_button_decorated_with_dashes_or_icons_is_dropped(button):
    art = parse_article(page(HEAD, P1, button, P2))
    assert art.headline == HEAD
    assert art.paragraphs == [P1, P2]


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("Mạng 5.5G phủ sóng.", "Mạng năm phẩy năm gờ phủ sóng."),
        ("Sóng 4.5G và 3G.", "Sóng bốn phẩy năm gờ và ba gờ."),
    ],
)
def test_a_lexicon_key_with_a_leading_digit_does_not_start_after_a_decimal_point(
    norm, written, spoken
):
    assert norm.normalize(written) == spoken


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("Xe có thiết bị GSHT.", "Xe có thiết bị giám sát hành trình."),
        ("Ban QLDA và Bộ CHQS tỉnh.", "Ban quản lý dự án và Bộ chỉ huy quân sự tỉnh."),
        (
            "Trạm đo 9.500 xcqđ/ngày.đêm.",
            "Trạm đo chín nghìn năm trăm xe con quy đổi một ngày đêm.",
        ),
        ("Nhà máy xử lý 300 m3/ngày đêm.", "Nhà máy xử lý ba trăm mét khối một ngày đêm."),
    ],
)
def test_round3d_short_forms_and_traffic_counts(norm, written, spoken):
    assert norm.normalize(written) == spoken
