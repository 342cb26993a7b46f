"""Round 3b of the text front-end (issue 22): the general rules found by the fresh-article
loop (bench/fresh.py), each tested on cases of our own, not copies of the bench sets."""

from __future__ import annotations

import pytest
from conftest import page

from newsvoice.text.article import line_findings, parse_article
from newsvoice.text.normalize.classes import WEB_RAW, WEB_SPELL, web_pieces
from newsvoice.text.normalize.flags import WEAK_LINE
from newsvoice.text.normalize.pipeline import unit_keys
from newsvoice.text.plan import build_plan

HEAD = "Tỉnh mở thêm tuyến xe buýt nhanh nối sân bay với trung tâm"
P1 = "Sở Giao thông vận tải vừa công bố lộ trình tuyến xe buýt mới dài 28 km qua 14 điểm dừng."
P2 = "Theo kế hoạch, tuyến sẽ chạy thử trong ba tháng trước khi khai thác chính thức."


# ---------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    ("label", "pieces"),
    [
        ("hoidap", ["hoi", "dap"]),  # seen syllables
        ("gopy", ["gop", "y"]),  # "go|py": py is never seen in our word lists
        ("tuyendungthcs", ["tuyen", "dung", "thcs"]),  # a spelled cluster at the edge
        ("fptplay", ["fpt", "play"]),  # spelled cluster, then a foreign word
        ("vietnamwonderland", ["viet", "nam", "wonderland"]),  # one raw chunk, kept whole
    ],
)
def test_address_labels_are_cut_into_the_cheapest_pieces(norm, label, pieces):
    assert [p for p, _ in web_pieces(label, norm.data)] == pieces


def test_a_known_word_never_touches_a_raw_chunk(norm):
    # "fan" is a known loanword, but "fan|tasyland" would cut one foreign word in two
    got = web_pieces("fantasyland", norm.data)
    assert got == [("fantasyland", WEB_RAW)]
    assert web_pieces("thpt", norm.data) == [("thpt", WEB_SPELL)]


def test_addresses_read_and_flagged_only_when_guessed(norm):
    spoken, found = norm.normalize_with_findings("Góp ý gửi về hoidap@sodulich.gov.vn nhé.")
    assert "hoi dap a còng so du lich chấm gốp chấm vê en" in spoken
    assert found == []
    spoken, found = norm.normalize_with_findings("Xem tại vietnamwonderland.com ngay.")
    assert "viet nam wonderland chấm com" in spoken
    assert [f.rule for f in found] == ["latin-word"]


# ---------------------------------------------------------------- units, versions, codes


def test_a_capitalised_word_is_a_name_not_a_unit():
    units = {"Tesla": "tét la", "Mbps": "mê ga bít trên giây", "bps": "bít", "Byte": "bai"}
    units["byte"] = "bai"
    assert unit_keys(units) == ["Byte", "Mbps", "bps", "byte"]


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("Máy chụp 1,5 Tesla mới.", "Máy chụp một phẩy năm Tesla mới."),
        (
            "Nâng cấp lên phiên bản 2.1 từ tuần sau.",
            "Nâng cấp lên phiên bản hai chấm một từ tuần sau.",
        ),
        ("Gói Web 3.0 ra mắt.", "Gói Web ba chấm không ra mắt."),
        ("Nhiệt độ Hà Nội 35.5 độ.", "Nhiệt độ Hà Nội ba mươi lăm phẩy năm độ."),
        ("Huyết áp 120/80 mmHg.", "Huyết áp một trăm hai mươi trên tám mươi mi li mét thủy ngân."),
        (
            "Bạch cầu 9.000/mm3 là bình thường.",
            "Bạch cầu chín nghìn trên mi li mét khối là bình thường.",
        ),
        ("Bạch cầu 7,5 G/L.", "Bạch cầu bảy phẩy năm gi ga trên lít."),
        (
            "Gọi 0912.XXX.789 để nhận quà.",
            "Gọi không chín một hai chấm ích ích ích chấm bảy tám chín để nhận quà.",
        ),
        ("Nhóm kh123 lừa đảo.", "Nhóm ca hát một hai ba lừa đảo."),
        ("Máy bay A321 và đội U23.", "Máy bay a ba hai một và đội u hai mươi ba."),
        (
            "Tàu ở 8°30'N, 105°15'E.",
            "Tàu ở tám độ ba mươi phút vĩ độ Bắc, một trăm lẻ năm độ mười lăm phút kinh độ Đông.",
        ),
        ("Tàu KH-90456-TS bị nạn.", "Tàu ca hát chín không bốn năm sáu tê ét bị nạn."),
        ("Gọi ngay số 115 khi cấp cứu.", "Gọi ngay số một một năm khi cấp cứu."),
        (
            "Nghị quyết S/RES/2728 được thông qua.",
            "Nghị quyết ét e rờ e ét hai nghìn bảy trăm hai mươi tám được thông qua.",
        ),
        ("Tai nạn tại Km 17 quốc lộ 5.", "Tai nạn tại ki lô mét mười bảy quốc lộ năm."),
        ("Cổ phiếu HSG và PVS cùng tăng.", "Cổ phiếu hát ét gờ và pê vê ét cùng tăng."),
        ("Đội thi HSG quốc gia.", "Đội thi học sinh giỏi quốc gia."),
        (
            "Họ thắng Becamex Thành phố Hồ Chí Minh 2-1 ở vòng 4.",
            "Họ thắng Becamex Thành phố Hồ Chí Minh hai một ở vòng bốn.",
        ),
        ("Bé N.V.B. được xuất viện.", "Bé en vê bê được xuất viện."),
        ("Nhắn qua Zalo OA của xã.", "Nhắn qua da lô ô a của xã."),
    ],
)
def test_round3b_readings(norm, written, spoken):
    assert norm.normalize(written) == spoken


# ---------------------------------------------------------------- flags


def test_known_acronyms_and_code_families_are_no_doubt(norm):
    _, found = norm.normalize_with_findings("Chụp MRI và CT, gieo giống OM4900.")
    assert found == []
    _, found = norm.normalize_with_findings("Giống XQ4900 cho năng suất cao.")
    assert [f.rule for f in found] == ["weak-number-context"]


def test_a_pair_between_names_with_a_match_word_is_no_doubt(norm):
    _, found = norm.normalize_with_findings("Ở lượt về, Đông Á Thanh Hóa 2-0 Quảng Nam.")
    assert found == []
    _, found = norm.normalize_with_findings("Đông Á Thanh Hóa 2-0 Quảng Nam, ông nói.")
    assert [f.token for f in found] == ["2-0"]


def test_weak_line_decisions_are_flagged():
    art = parse_article(page(HEAD, P1, P2, "Hồng Nhung, Tuấn Vũ"))
    assert line_findings(art) == []  # a byline at the end is dropped on a strong signal
    art = parse_article(page(HEAD, P1, P2, "Gói hỗ trợ mới của tỉnh"))
    flags = line_findings(art)
    assert [f.rule for f in flags] == [WEAK_LINE]
    assert flags[0].token == "Gói hỗ trợ mới của tỉnh"


def test_plan_carries_weak_line_flags(norm):
    art = parse_article(page(HEAD, P1, P2, "Gói hỗ trợ mới của tỉnh"))
    plan = build_plan(art, norm)
    assert WEAK_LINE in {f.rule for f in plan.findings}


# ---------------------------------------------------------------- junk by structure


def test_related_box_header_by_its_mark_and_headlines_ending_in_questions():
    art = parse_article(
        page(
            HEAD,
            P1,
            P2,
            "Các bài cùng chuyên mục",
            "Vì sao xe buýt nhanh vắng khách?",
            "Hà Nội sẽ có thêm 5 tuyến xe điện",
        )
    )
    assert art.paragraphs == [P1, P2]
    assert {d.reason for d in art.dropped} >= {"related links"}


def test_page_labels_share_bars_and_credits_are_dropped():
    art = parse_article(
        page(
            HEAD,
            P1,
            P2,
            "Tin, bài: Quốc Khánh",
            "Chia sẻ | Zalo | Facebook",
            "Từ khóa: xe buýt, sân bay",
        )
    )
    assert art.paragraphs == [P1, P2]


def test_footer_starting_with_a_licence_number_is_dropped():
    art = parse_article(
        page(
            HEAD,
            P1,
            P2,
            "Giấy phép hoạt động số 77/GP-BTTTT. Tổng biên tập: Trần Văn B.",
            "Trụ sở: 12 Lý Thường Kiệt, Hà Nội.",
        )
    )
    assert art.paragraphs == [P1, P2]
    assert [d.reason for d in art.dropped] == ["footer", "footer"]


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("Anh về đích sau 2:05.31.", "Anh về đích sau hai phút năm giây ba mươi mốt."),
        ("Lúc 20:30 khai mạc.", "Lúc hai mươi giờ ba mươi khai mạc."),
        ("Giá 95,5 US cent/pound.", "Giá chín mươi lăm phẩy năm xen Mỹ một pao."),
        ("Trận đấu tại SVĐ Thống Nhất.", "Trận đấu tại sân vận động Thống Nhất."),
    ],
)
def test_round3b_times_quotes_and_venues(norm, written, spoken):
    assert norm.normalize(written) == spoken


def test_known_loanwords_are_known_in_any_case(norm):
    _, found = norm.normalize_with_findings("Khách hàng VietinBank và VIETINBANK.")
    assert [f.token for f in found if f.rule == "latin-word"] == []


def test_breadcrumb_from_home_is_navigation_even_with_numbers():
    art = parse_article(page(HEAD, P1, P2, "Trang chủ | Thể thao | Vòng 12"))
    assert art.paragraphs == [P1, P2]
    assert art.dropped[-1].reason == "navigation"


def test_a_range_of_degrees_after_a_score_word_is_no_score(norm):
    # "hòa" is a score word ("hòa 2-2"), but "điều hòa ở 26-27°C" is a range of degrees
    got = norm.normalize("Bật điều hòa ở 25-26°C.")
    assert got == "Bật điều hòa ở hai mươi lăm đến hai mươi sáu độ C."


def test_a_letter_after_the_words_of_an_address_is_spelled(norm):
    assert [p for p, _ in web_pieces("nhathuocb", norm.data)] == ["nha", "thuoc", "b"]


def test_explain_lists_weak_line_decisions(norm):
    from newsvoice.text.plan import explain_lines

    art = parse_article(page(HEAD, P1, P2, "Gói hỗ trợ mới của tỉnh"))
    out = explain_lines(list(art.paragraphs), norm, article=art)
    assert out[-1].startswith("#   check weak-line-decision: short last line kept")
    assert not any("weak-line" in p for p in explain_lines(list(art.paragraphs), norm))


def test_initials_that_end_the_sentence_keep_its_full_stop(norm):
    assert norm.normalize("Người bị hại là bà T.T.H.") == "Người bị hại là bà tê tê hát."
