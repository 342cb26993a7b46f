"""Round 3 of the text front-end: junk by structure, readings beyond the named categories,
and the flags a producer must check (issue 22)."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import page
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsvoice.findings import CHECK, Finding
from newsvoice.text.article import parse_article
from newsvoice.text.normalize import Normalizer

HEAD = "Cao tốc mới sẽ được mở rộng lên bốn làn xe"
P1 = "Bộ Xây dựng vừa có văn bản gửi tỉnh về việc mở rộng tuyến cao tốc dài 98 km."
P2 = "Theo đó, tuyến sẽ được mở rộng từ hai lên bốn làn xe trong năm tới."


def reasons(art) -> list[tuple[str, str]]:
    return [(d.text, d.reason) for d in art.dropped]


def test_related_box_and_byline_before_it_are_dropped():
    art = parse_article(
        page(
            HEAD,
            P1,
            P2,
            "Minh Anh",
            "Tin liên quan",
            "Khởi tố giám đốc công ty địa ốc ở Hà Đông",
            "Lịch thi đấu vòng 8",
        )
    )
    assert art.paragraphs == [P1, P2]
    assert ("Khởi tố giám đốc công ty địa ốc ở Hà Đông", "related links") in reasons(art)
    assert ("Minh Anh", "byline") in reasons(art)


def test_related_box_ends_at_the_next_body_paragraph():
    art = parse_article(page(HEAD, P1, "Tin liên quan", "Bắt tạm giam kế toán trưởng", P2))
    assert art.paragraphs == [P1, P2]
    assert ("Bắt tạm giam kế toán trưởng", "related links") in reasons(art)


def test_site_footer_is_dropped_from_its_first_line():
    footer = [
        "Bản quyền thuộc Đài Phát thanh và Truyền hình tỉnh Lào Cai",
        "Giấy phép số 215/GP-BTTTT cấp ngày 12/5/2021",
        "Địa chỉ: Số 8 đường Hoàng Liên",
        "Điện thoại: 0214 3840 123 - Email: toasoan@laocaitv.vn",
        'Ghi rõ nguồn "LCTV" khi phát hành lại thông tin từ website này.',
    ]
    art = parse_article(page(HEAD, P1, P2, "PV", *footer))
    assert art.paragraphs == [P1, P2]
    assert [r for t, r in reasons(art) if t in footer] == ["footer"] * len(footer)


@pytest.mark.parametrize(
    "written, spoken",
    [
        ("e-mail duongbo@mt.gov.vn.", "e-mail duong bo a còng em tê chấm gốp chấm vê en."),
        ("tại viettel.vn/5g hoặc", "tại viettel chấm vê en gạch chéo năm gờ hoặc"),
        ("web https://www.vtv.vn nhé", "web vê kép vê kép vê kép chấm vê tê vê chấm vê en nhé"),
        ("Hà Nội FC 3-1 HAGL", "Hà Nội ép xê ba một Hoàng Anh Gia Lai"),
        (
            "thắng tay vợt Nhật Bản 6-3, 4-6, 7-5 để",
            "thắng tay vợt Nhật Bản sáu ba, bốn sáu, bảy năm để",
        ),
        ("với tỷ số 7-6, 6-2.", "với tỷ số bảy sáu, sáu hai."),
        (
            "sau các set 25-22, 18-25, 15-12.",
            "sau các set hai mươi lăm hai mươi hai, mười tám hai mươi lăm, mười lăm mười hai.",
        ),
        ("phân bón NPK 20-20-15", "phân bón en pê ca hai mươi hai mươi mười lăm"),
        ("tỷ lệ nợ xấu/tổng dư nợ", "tỷ lệ nợ xấu trên tổng dư nợ"),
        ("hệ số P/E là 12 lần", "hệ số pê trên e là mười hai lần"),
        ("tỷ lệ chọi 1/1,6", "tỷ lệ chọi một trên một phẩy sáu"),
        ("IF = 49,7", "i ép bằng bốn mươi chín phẩy bảy"),
        ("bị cáo K. (SN 1978)", "bị cáo K. (sinh năm một nghìn chín trăm bảy mươi tám)"),
        ("Nguyễn Văn Q. 35 tuổi", "Nguyễn Văn Q. ba mươi lăm tuổi"),
        ("tại Q. 1", "tại quận một"),
        ("92.300 đồng/cp", "chín mươi hai nghìn ba trăm đồng một cổ phiếu"),
        ("đạt 1,5 Gbps", "đạt một phẩy năm gi ga bít trên giây"),
        (
            "pin 5.000 mAh, camera 200 MP",
            "pin năm nghìn mi li am pe giờ, ca mê ra hai trăm mê ga pi xeo",
        ),
        ("vòng 7 V.League", "vòng bảy vi lích"),
        ("Thanh khoản trên HoSE, UPCoM-Index giảm", "Thanh khoản trên hô xê, ắp côm in đéc giảm"),
        ("ĐT Việt Nam thua", "đội tuyển Việt Nam thua"),
        (
            "Vụ Đông Xuân 2024-2025",
            "Vụ Đông Xuân hai nghìn không trăm hai mươi tư hai nghìn không trăm hai mươi lăm",
        ),
    ],
)
def test_round3_readings(norm, written, spoken):
    assert norm.normalize(written) == spoken


def test_findings_are_typed_checks_and_leave_the_reading_unchanged(norm):
    text = "Tổ chức ĐXZT họp với HAGL, xem tại apple.com hoặc dùng blockchain."
    spoken, found = norm.normalize_with_findings(text, sentence=3)
    assert spoken == norm.normalize(text)
    assert all(isinstance(f, Finding) and f.severity == CHECK and f.sentence == 3 for f in found)
    by_rule = {f.rule: f for f in found}
    assert by_rule["unknown-acronym"].token == "ĐXZT"
    assert by_rule["unknown-acronym"].reading == "đê ích dét tê"
    assert "blockchain" in {f.token for f in found if f.rule == "latin-word"}
    assert not any(f.token == "HAGL" for f in found)  # a known club is no doubt


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("Tàu của hãng MSC cập cảng.", False),  # three letters: spelling is how news says them
        ("Viện NIHBT tiếp nhận máu.", False),  # no vowel pattern to say it by
        ("Theo GLOBOCAN, số ca tăng.", True),  # reads as Latin syllables: maybe said as a word
        ("Hiệp hội VAMA công bố.", True),
        ("EVNHANOI khuyến cáo người dân.", True),  # a known group's initials with more glued on
        ("Đội SVĐ làm việc.", False),  # known
    ],
)
def test_unknown_acronyms_are_flagged_only_where_spelling_is_in_doubt(norm, text, flagged):
    _, found = norm.normalize_with_findings(text)
    assert any(f.rule == "unknown-acronym" for f in found) is flagged, found


def test_weak_number_context_is_flagged(norm):
    _, found = norm.normalize_with_findings("Hà Nội FC 3-1 HAGL, Quang Hải nói.")
    assert [(f.rule, f.token) for f in found] == [("weak-number-context", "3-1")]
    _, sure = norm.normalize_with_findings("Đội nhà thắng với tỷ số 3-1.")
    assert sure == []
    # a match word in the line (round 3b): the pair between two names is a result, no doubt
    _, sure = norm.normalize_with_findings("Hà Nội FC 3-1 HAGL trên sân Hàng Đẫy.")
    assert sure == []


def test_sentences_explain_prints_each_flag(tmp_path):
    art = tmp_path / "tin.txt"
    art.write_text(f"{HEAD}\nÔng nói tổ chức ĐXZT họp ở Hà Nội hôm qua.\n", "utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "newsvoice", "sentences", "--explain", str(art)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "#   check unknown-acronym: ĐXZT -> đê ích dét tê" in out.stdout.splitlines()


def test_plan_carries_findings(norm):
    from newsvoice.text.plan import build_plan

    art = parse_article(page(HEAD, "Tổ chức ĐXZT họp ở Hà Nội hôm qua, đạt 9 điểm.", P2))
    plan = build_plan(art, norm)
    assert [(f.rule, f.token, f.sentence) for f in plan.findings] == [
        ("unknown-acronym", "ĐXZT", 2)
    ]


_PIECES = st.sampled_from(
    [
        "duongbo@mt.gov.vn",
        "viettel.vn/5g",
        "6-3, 4-6, 7-6(5)",
        "20-20-15",
        "1/1,6",
        "SN 1978",
        "Q. 1",
        "V.League 2025/26",
        "5.000 mAh",
        "1,5 Gbps",
        "=",
        "≈",
        "giá/thu nhập",
        "HbA1c",
        "x@y",
        "a.vn/1/2/3",
        "Nguyễn Văn Q. 35",
        "tỷ số",
        "thắng",
        "các set",
        "12-3-2024",
        "9-9-9-9-9",
        "@@..vn",
        " ",
        ",",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_PIECES, st.text(max_size=6)), max_size=12))
def test_no_digit_left_and_never_crashes(pieces):
    text = " ".join(pieces)
    norm = _shared()
    spoken = norm.normalize(text)
    assert not re.search(r"[0-9]", spoken)
    spoken2, found = norm.normalize_with_findings(text)
    assert spoken2 == spoken and all(f.severity == CHECK for f in found)


_NORM: list[Normalizer] = []


def _shared() -> Normalizer:
    if not _NORM:
        _NORM.append(Normalizer())
    return _NORM[0]


def test_render_prints_the_count_of_readings_to_check(tmp_path):
    art = tmp_path / "tin.txt"
    art.write_text(f"{HEAD}\nTổ chức ĐXZT họp ở Hà Nội hôm qua.\n", "utf-8")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "newsvoice",
            "render",
            str(art),
            "-o",
            str(tmp_path / "out"),
            "--engine",
            "espeak",
            "--no-cache",
            "--subs",
            "srt",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert (
        f"tin.txt: 1 readings to check: newsvoice review {tmp_path / 'out' / 'tin.json'}"
        in out.stderr
    )
