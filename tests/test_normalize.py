"""The normaliser by semiotic class: written news text -> exactly what a newsreader says."""

from __future__ import annotations

import re
from pathlib import Path

from newsvoice.text.normalize import Normalizer
from newsvoice.text.normalize.lexicon import load_tsv, trie_pattern


def check(norm: Normalizer, cases: list[tuple[str, str]]) -> None:
    for written, spoken in cases:
        assert norm.normalize(written) == spoken, written


def test_contract_example(norm: Normalizer) -> None:
    assert norm.normalize("Sáng ngày 11/01, UBND TP.HCM họp.") == (
        "Sáng ngày mười một tháng một, ủy ban nhân dân thành phố Hồ Chí Minh họp."
    )


def test_cardinals_and_leading_zeros(norm: Normalizer) -> None:
    check(
        norm,
        [
            ("Xã có 41 thôn.", "Xã có bốn mươi mốt thôn."),
            ("Trường có 1.015 học sinh.", "Trường có một nghìn không trăm mười lăm học sinh."),
            ("Kỷ luật 07 đảng viên và 01 chi bộ.", "Kỷ luật bảy đảng viên và một chi bộ."),
            ("Tổng cộng 3.000.000.000 đồng.", "Tổng cộng ba tỷ đồng."),
            ("Tổng vốn 1.000.000.000.000 đồng.", "Tổng vốn một nghìn tỷ đồng."),
            ("Còn 0 ca mắc.", "Còn không ca mắc."),
            ("Khoảng 2.500 tỷ đồng.", "Khoảng hai nghìn năm trăm tỷ đồng."),
        ],
    )


def test_decimals_and_percent(norm: Normalizer) -> None:
    check(
        norm,
        [
            ("Tăng trưởng 8,4%.", "Tăng trưởng tám phẩy bốn phần trăm."),
            ("Lạm phát 2,75%.", "Lạm phát hai phẩy bảy mươi lăm phần trăm."),
            ("Đạt 101,5% kế hoạch.", "Đạt một trăm lẻ một phẩy năm phần trăm kế hoạch."),
            (
                "GRDP tăng (+7,3%) so với năm trước.",
                "gờ e rờ đê pê tăng (bảy phẩy ba phần trăm) so với năm trước.",
            ),
            ("Xuất khẩu (-2,1%).", "Xuất khẩu (giảm hai phẩy một phần trăm)."),
            ("Sản lượng 2,3 triệu tấn.", "Sản lượng hai phẩy ba triệu tấn."),
        ],
    )


def test_dates(norm: Normalizer) -> None:
    check(
        norm,
        [
            ("Ngày 05/3, hội nghị mở.", "Ngày năm tháng ba, hội nghị mở."),
            ("Trưa 14/4 đoàn về.", "Trưa mười bốn tháng tư đoàn về."),
            (
                "Ngày 21/12/2024, khánh thành.",
                "Ngày hai mươi mốt tháng mười hai năm hai nghìn không trăm hai mươi tư, khánh thành.",
            ),
            ("Tối 3.9, lũ rút.", "Tối ba tháng chín, lũ rút."),
            ("Sáng 2-9 diễu binh.", "Sáng hai tháng chín diễu binh."),
            (
                "Ngày 20-7-2025 khai mạc.",
                "Ngày hai mươi tháng bảy năm hai nghìn không trăm hai mươi lăm khai mạc.",
            ),
            (
                "Tháng 3/2025, nghiệm thu.",
                "Tháng ba năm hai nghìn không trăm hai mươi lăm, nghiệm thu.",
            ),
            ("Cuối tháng 4 sẽ xong.", "Cuối tháng tư sẽ xong."),
            ("Quý III/2025 tăng.", "Quý ba năm hai nghìn không trăm hai mươi lăm tăng."),
            ("Hội chợ ngày 7-8/10.", "Hội chợ ngày bảy đến tám tháng mười."),
            ("Từ ngày 2 đến 5/6.", "Từ ngày hai đến năm tháng sáu."),
            (
                "Dịp (2.9.1945-2.9.2025).",
                "Dịp (hai tháng chín năm một nghìn chín trăm bốn mươi lăm đến "
                "hai tháng chín năm hai nghìn không trăm hai mươi lăm).",
            ),
            (
                "Năm 1999 và năm 2030.",
                "Năm một nghìn chín trăm chín mươi chín và năm hai nghìn không trăm ba mươi.",
            ),
            (
                "Đến 12/2026 hoàn thành.",
                "Đến tháng mười hai năm hai nghìn không trăm hai mươi sáu hoàn thành.",
            ),
        ],
    )


def test_ranges_and_scores(norm: Normalizer) -> None:
    check(
        norm,
        [
            (
                "Giai đoạn 2026 - 2030.",
                "Giai đoạn hai nghìn không trăm hai mươi sáu đến hai nghìn không trăm ba mươi.",
            ),
            ("Nhiệt độ 33-36 độ C.", "Nhiệt độ ba mươi ba đến ba mươi sáu độ C."),
            ("Mưa 100–150 mm.", "Mưa một trăm đến một trăm năm mươi mi li mét."),
            ("Giá tăng 500-700 đồng/kg.", "Giá tăng năm trăm đến bảy trăm đồng một ki lô gam."),
            ("Gió 62-74 km/h.", "Gió sáu mươi hai đến bảy mươi tư ki lô mét trên giờ."),
            ("Đội khách thắng 3-1.", "Đội khách thắng ba một."),
            ("Chung cuộc tỷ số 2-2.", "Chung cuộc tỷ số hai hai."),
            ("Từ 2-3 ngày.", "Từ hai đến ba ngày."),
        ],
    )


def test_times(norm: Normalizer) -> None:
    check(
        norm,
        [
            ("Lúc 8h45, xe đến.", "Lúc tám giờ bốn mươi lăm, xe đến."),
            ("Từ 6h đến 22h.", "Từ sáu giờ đến hai mươi hai giờ."),
            ("Khoảng 16 giờ 20 phút.", "Khoảng mười sáu giờ hai mươi phút."),
            ("Lúc 19:30 tối.", "Lúc mười chín giờ ba mươi tối."),
            ("Lúc 21:00.", "Lúc hai mươi mốt giờ."),
            ("Khung 7h-9h.", "Khung bảy giờ đến chín giờ."),
        ],
    )


def test_units_and_money(norm: Normalizer) -> None:
    check(
        norm,
        [
            ("Dài 12 km.", "Dài mười hai ki lô mét."),
            ("Rộng 250 m2.", "Rộng hai trăm năm mươi mét vuông."),
            ("Trồng 30 ha.", "Trồng ba mươi héc ta."),
            ("Sốt 39°C.", "Sốt ba mươi chín độ C."),
            ("Đường dây 500 KV.", "Đường dây năm trăm ki lô vôn."),
            ("Nặng 8 kg.", "Nặng tám ki lô gam."),
            ("Vốn 12 triệu USD.", "Vốn mười hai triệu đô la Mỹ."),
            ("Giá $20.", "Giá hai mươi đô la."),
            ("Phí 35.000 VNĐ.", "Phí ba mươi lăm nghìn đồng."),
            ("Thu 2.000 đồng/người/tháng.", "Thu hai nghìn đồng một người một tháng."),
            ("Năng suất 60 tạ/ha.", "Năng suất sáu mươi tạ một héc ta."),
            ("Lạnh -3°C.", "Lạnh âm ba độ C."),
        ],
    )


def test_roman_and_ordinals(norm: Normalizer) -> None:
    check(
        norm,
        [
            ("Quốc hội khóa XV.", "Quốc hội khóa mười lăm."),
            ("Quý IV tăng mạnh.", "Quý bốn tăng mạnh."),
            ("Thế kỷ XX.", "Thế kỷ hai mươi."),
            ("Đại hội lần thứ XIII.", "Đại hội lần thứ mười ba."),
            ("Đại hội XII của Đảng.", "Đại hội mười hai của Đảng."),
            ("Cô Vi và ông Lý ở CLB.", "Cô Vi và ông Lý ở câu lạc bộ."),
            ("Về thứ 1.", "Về thứ nhất."),
            ("Đứng thứ 4.", "Đứng thứ tư."),
            ("Lần thứ 3 tổ chức.", "Lần thứ ba tổ chức."),
            ("Sáng thứ 6 tuần này.", "Sáng thứ sáu tuần này."),
        ],
    )


def test_phones_plates_ratios_roads(norm: Normalizer) -> None:
    check(
        norm,
        [
            ("Gọi 0912 345 678.", "Gọi không chín một hai, ba bốn năm, sáu bảy tám."),
            ("Số 0236.3822.123.", "Số không hai ba sáu, ba tám hai hai, một hai ba."),
            ("Số (024) 3825 1234.", "Số không hai bốn, ba tám hai năm, một hai ba bốn."),
            ("Xe 51G-678.90 bị giữ.", "Xe năm một G, sáu bảy tám chín không bị giữ."),
            ("Đạt 12/15 chỉ tiêu.", "Đạt mười hai trên mười lăm chỉ tiêu."),
            ("Có 45/52 xã.", "Có bốn mươi lăm trên năm mươi hai xã."),
            ("Trực 24/24h.", "Trực hai mươi tư trên hai mươi tư giờ."),
            ("Tại Km 812+450.", "Tại ki lô mét tám trăm mười hai cộng bốn trăm năm mươi."),
            ("Trên QL1A và QL14B.", "Trên quốc lộ một a và quốc lộ mười bốn bê."),
            ("Trên quốc lộ 19C.", "Trên quốc lộ mười chín xê."),
        ],
    )


def test_abbreviations_codes_foreign(norm: Normalizer) -> None:
    check(
        norm,
        [
            ("Thường trực HĐND huyện.", "Thường trực hội đồng nhân dân huyện."),
            ("Về TP. Huế.", "Về thành phố Huế."),
            ("Sở GD&ĐT.", "Sở giáo dục và đào tạo."),
            ("Theo Nghị quyết số 18-NQ/TW.", "Theo Nghị quyết số mười tám."),
            ("Công văn số 215/UBND-KT.", "Công văn số hai trăm mười lăm."),
            (
                "Quyết định 1432/QĐ-UBND ngày 5/6.",
                "Quyết định một nghìn bốn trăm ba mươi hai ngày năm tháng sáu.",
            ),
            (
                "Nghị định 15/2025/NĐ-CP.",
                "Nghị định mười lăm năm hai nghìn không trăm hai mươi lăm.",
            ),
            ("GDP quý này.", "gờ đê pê quý này."),
            ("Dịch Covid-19 lắng xuống.", "Dịch cô vít mười chín lắng xuống."),
        ],
    )


def test_acronyms_spelled_but_words_kept(norm: Normalizer) -> None:
    check(
        norm,
        [
            ("Đội HAGL thắng.", "Đội Hoàng Anh Gia Lai thắng."),
            ("Tổ chức BVXK họp.", "Tổ chức bê vê ích ca họp."),
            ("CHỦ TỊCH NƯỚC THĂM TRƯỜNG", "CHỦ TỊCH NƯỚC THĂM TRƯỜNG"),
            ("TRAO QUÀ CHO CA SĨ NHI", "TRAO QUÀ CHO CA SĨ NHI"),
            ("Anh Nam và chị Hoa.", "Anh Nam và chị Hoa."),
            ("Nguyễn Văn T. cho biết.", "Nguyễn Văn T. cho biết."),
        ],
    )


def test_ordinary_text_untouched(norm: Normalizer) -> None:
    text = "Hội nghị diễn ra trang trọng, ấm cúng; “tự chuyển hoá” được nhắc đến."
    assert norm.normalize(text) == text


def test_user_lexicon_overrides(tmp_path: Path) -> None:
    user = tmp_path / "user.tsv"
    user.write_text("# mine\nUBND\tủy ban\nXYZ\tích i dét\n\n", encoding="utf-8")
    n = Normalizer(lexicon_paths=[user])
    assert n.normalize("UBND và XYZ.") == "ủy ban và ích i dét."


def test_user_lexicon_with_digits_is_still_digit_free(tmp_path: Path) -> None:
    user = tmp_path / "user.tsv"
    user.write_text("ABC\tkênh 14\n", encoding="utf-8")
    assert Normalizer(lexicon_paths=[user]).normalize("Xem ABC.") == "Xem kênh mười bốn."


def test_missing_tsv_loads_empty(tmp_path: Path) -> None:
    assert load_tsv(tmp_path / "nope.tsv") == {}


def test_trie_pattern_prefers_longest() -> None:
    pat = re.compile(trie_pattern(["TP.", "TP.HCM", "TP"]))
    assert [m[0] for m in pat.finditer("TP.HCM TP. TP")] == ["TP.HCM", "TP.", "TP"]
