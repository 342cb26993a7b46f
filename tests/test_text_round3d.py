"""Round 3d of the text front-end (issue 22): page furniture told by its structure, found
on the measure11/measure12 sets of the fresh-article loop and tested on pages of our own.
A box of the page does not end like a sentence: bars, column gaps, minute marks and
percentages mark it anywhere; after the last sentence a block with one page mark goes."""

from __future__ import annotations

import pytest

from newsvoice.text.article import AFTER_BODY, WIDGET, parse_article

HEAD = "Cầu Rồng Vàng thông xe sau hai năm thi công"
P1 = "Sáng 3/5, tỉnh Bình Minh thông xe cầu Rồng Vàng dài 1,2 km, vốn đầu tư 850 tỷ đồng."
P2 = "Theo chủ đầu tư, cầu giúp rút ngắn quãng đường qua sông còn 5 phút."


def lines(*rows: str) -> bytes:
    return ("\n".join(rows) + "\n").encode("utf-8")


def reasons(art) -> dict[str, str]:
    return {d.text: d.reason for d in art.dropped}


def test_a_ticker_or_score_bar_above_the_headline_is_not_the_headline():
    art = parse_article(
        lines(
            "Nóng: Cầu Rồng Vàng | Giá xăng | Thời tiết cuối tuần",
            "CHUNG CUỘC | Sông Lam Nghệ An 2 - 0 Becamex Bình Dương",
            "Văn Đức 12', Đình Bắc 88'",
            HEAD,
            P1,
            P2,
        )
    )
    assert art.headline == HEAD
    assert art.paragraphs == [P1, P2]
    assert reasons(art)["Văn Đức 12', Đình Bắc 88'"] == WIDGET


def test_a_bar_inside_a_sentence_and_a_single_minute_are_prose():
    kept = [
        "Phút 45+2', Văn Toàn đánh đầu cận thành mở tỷ số cho đội khách.",
        "Ban tổ chức dùng ký hiệu A | B cho hai nhánh thi đấu.",
    ]
    art = parse_article(lines(HEAD, P1, *kept, P2))
    assert art.paragraphs == [P1, *kept, P2]


def test_table_rows_laid_out_in_columns_are_dropped_but_spaced_prose_is_read():
    spaced = "Cầu có sáu làn xe.  Hai bên có lối đi bộ rộng 2 m."
    art = parse_article(
        lines(
            HEAD,
            P1,
            "Hạng   Tỉnh          Vốn (tỷ)   Km",
            "1      Bình Minh     850        1,2",
            spaced,
            P2,
        )
    )
    assert art.paragraphs == [P1, " ".join(spaced.split()), P2]
    assert reasons(art)["1 Bình Minh 850 1,2"] == WIDGET


def test_poll_rows_counters_with_dots_and_a_map_caption_are_dropped():
    art = parse_article(
        lines(
            "Cập nhật 03/05/2026 07:40 GMT+7 · 2.045 lượt xem",
            HEAD,
            P1,
            "Sơ đồ hướng tuyến cầu Rồng Vàng. Nguồn: Sở GTVT",
            "Rất hài lòng 64%",
            "Chưa hài lòng 36,5%",
            P2,
        )
    )
    assert art.headline == HEAD
    assert art.paragraphs == [P1, P2]
    assert "Sơ đồ hướng tuyến cầu Rồng Vàng. Nguồn: Sở GTVT" in reasons(art)


def test_a_sentence_with_a_source_is_still_read():
    kept = "Số liệu do Sở Giao thông công bố sáng nay. Nguồn vốn chủ yếu từ ngân sách tỉnh."
    art = parse_article(lines(HEAD, P1, kept, P2))
    assert art.paragraphs == [P1, kept, P2]


def test_the_block_after_the_last_sentence_goes_when_it_carries_a_page_mark():
    tail = [
        "TRẦN MINH - HẢI YẾN (ảnh)",
        "BẠN ĐÁNH GIÁ THẾ NÀO VỀ CÂY CẦU?",
        "Đẹp và tiện",
        "Chưa tiện",
        "1.024 lượt bình chọn",
    ]
    art = parse_article(lines(HEAD, P1, P2, *tail))
    assert art.paragraphs == [P1, P2]
    assert all(reasons(art)[t] for t in tail)
    assert reasons(art)["Chưa tiện"] == AFTER_BODY


def test_an_author_box_with_a_counter_is_dropped():
    art = parse_article(lines(HEAD, P1, P2, "LÊ AN", "Phóng viên Ban Thời sự · 512 bài viết"))
    assert art.paragraphs == [P1, P2]


def test_a_last_line_without_a_full_stop_and_no_page_mark_is_kept():
    for last in ("Người dân hai bên sông rất phấn khởi", "Cầu sẽ mở cửa miễn phí đến hết năm 2026"):
        art = parse_article(lines(HEAD, P1, P2, last))
        assert art.paragraphs == [P1, P2, last]


def test_a_long_closing_paragraph_without_a_full_stop_keeps_the_block():
    long_last = " ".join(["Người dân hai bên sông rất phấn khởi khi cây cầu thông xe"] * 3)
    art = parse_article(lines(HEAD, P1, P2, "NGUYỄN AN", long_last))
    assert art.paragraphs[-1] == long_last


# ---------------------------------------------------------------- measure13: more furniture


def test_icon_captions_forms_promos_and_ad_labels_are_not_read():
    junk = [
        ">> Clip: Xe tải mất phanh lao xuống dốc cầu Rồng Vàng",
        "📺 VIDEO: Toàn cảnh lễ thông xe (02:15)",
        "🔍 Tra cứu lộ trình xe buýt: [Nhập số tuyến...] [Tìm kiếm]",
        "[Quảng cáo] Đất nền ven sông giá chỉ từ 15 triệu/m2",
        "Theo dõi fanpage Giao thông Bình Minh để cập nhật lịch phân luồng",
        "Xem đầy đủ lộ trình 12 tuyến xe buýt tại đây »",
    ]
    art = parse_article(lines(HEAD, P1, *junk, P2))
    assert art.paragraphs == [P1, P2]


def test_a_breadcrumb_with_a_long_last_section_and_a_slash_path_are_navigation():
    art = parse_article(
        lines(
            "Trang chủ › Thời sự › Giao thông › Hạ tầng giao thông - đô thị",
            "GIAO THÔNG / Hạ tầng - Đô thị",
            HEAD,
            P1,
        )
    )
    assert art.headline == HEAD


def test_a_capitals_title_over_a_box_goes_with_the_box():
    art = parse_article(
        lines(
            HEAD,
            P1,
            "LƯU LƯỢNG XE QUA CẦU (lượt/ngày)",
            "Thứ Hai 12.400 | Thứ Ba 11.900 | Thứ Tư 12.100",
            P2,
        )
    )
    assert art.paragraphs == [P1, P2]


def test_results_rows_and_their_title_above_the_headline_are_dropped():
    art = parse_article(
        lines("KẾT QUẢ VÒNG 5 GIẢI HẠNG NHẤT", "FT Bình Minh 2 - 0 Sông Xanh", HEAD, P1)
    )
    assert art.headline == HEAD


def test_readers_comments_and_prompts_after_the_article_are_not_read():
    art = parse_article(
        lines(
            HEAD,
            P1,
            P2,
            "Bạn có hài lòng với cây cầu mới không? Gửi bình luận của bạn",
            "* Bài viết sử dụng số liệu do chủ đầu tư cung cấp.",
            "Ý kiến bạn đọc (3)   Viết bình luận...",
            "Hoàng Lan - Bình Minh: Cầu đẹp quá, mong sớm có thêm đèn chiếu sáng.",
            "Văn Hải - 1 giờ trước: Đi qua thấy rất êm, cảm ơn tỉnh.",
            "Tin cùng chuyên mục",
            "Khởi công đường ven biển dài 20 km",
        )
    )
    assert art.paragraphs == [P1, P2]


def test_a_sentence_quoting_a_person_with_a_colon_is_still_read():
    quote = "Ông Lê Văn Hải: Cây cầu giúp bà con đi lại thuận tiện hơn nhiều."
    art = parse_article(lines(HEAD, P1, quote, P2))
    assert art.paragraphs == [P1, quote, P2]


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        # degrees and minutes with the hemisphere in words
        ("tâm áp thấp ở 12°18' vĩ độ Bắc", "tâm áp thấp ở mười hai độ mười tám phút vĩ độ Bắc"),
        ("nhiệt độ 30°C", "nhiệt độ ba mươi độ C"),  # a temperature is untouched
        # the lettered points of a law
        ("theo điểm b, s khoản 1 Điều 51", "theo điểm bê, ét khoản một Điều năm mươi mốt"),
        ("điểm đ khoản 2", "điểm đê khoản hai"),
        ("đạt 8 điểm a", "đạt tám điểm a"),
        # an IP rating digit by digit
        ("chuẩn kháng nước IP68", "chuẩn kháng nước i pê sáu tám"),
    ],
)
def test_round3d_readings(norm, written, spoken):
    assert norm.normalize(written) == spoken
