"""Sentence splitting of Vietnamese news paragraphs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsvoice.text.sentences import default_rules, repair_glued, split_sentences


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        # plain
        (
            "Chiều 3/5, xã tổ chức ra quân. Hơn 300 người tham gia. Ai cũng vui!",
            ["Chiều 3/5, xã tổ chức ra quân.", "Hơn 300 người tham gia.", "Ai cũng vui!"],
        ),
        # question / exclamation
        (
            "Vì sao đường hỏng nhanh? Đơn vị thi công chưa trả lời! Người dân bức xúc.",
            ["Vì sao đường hỏng nhanh?", "Đơn vị thi công chưa trả lời!", "Người dân bức xúc."],
        ),
        # dotted abbreviations before names and places
        (
            "PGS.TS. Trần Văn Nam và ThS. Lê Hoa dự. Cuộc họp kéo dài 2 giờ.",
            ["PGS.TS. Trần Văn Nam và ThS. Lê Hoa dự.", "Cuộc họp kéo dài 2 giờ."],
        ),
        (
            "Đoàn làm việc tại Tp. Đà Nẵng, TX. Điện Bàn và Q. Hải Châu. Chiều về lại.",
            ["Đoàn làm việc tại Tp. Đà Nẵng, TX. Điện Bàn và Q. Hải Châu.", "Chiều về lại."],
        ),
        (
            "BS. Hoàng Minh và GS. Phan Đức trao đổi. Bệnh viện cảm ơn.",
            ["BS. Hoàng Minh và GS. Phan Đức trao đổi.", "Bệnh viện cảm ơn."],
        ),
        (
            "Lễ hội tại H. Duy Xuyên và X. Duy Sơn diễn ra sôi nổi. Khách đông.",
            ["Lễ hội tại H. Duy Xuyên và X. Duy Sơn diễn ra sôi nổi.", "Khách đông."],
        ),
        (
            "Thư gửi Th.S Nguyễn An được đọc. Buổi lễ kết thúc.",
            ["Thư gửi Th.S Nguyễn An được đọc.", "Buổi lễ kết thúc."],
        ),
        # v.v. mid-sentence and at the end of a sentence
        (
            "Gạo, muối, mì v.v. được trao tận tay. Bà con phấn khởi.",
            ["Gạo, muối, mì v.v. được trao tận tay.", "Bà con phấn khởi."],
        ),
        (
            "Hỗ trợ gạo, muối, mì v.v. Bà con rất phấn khởi.",
            ["Hỗ trợ gạo, muối, mì v.v.", "Bà con rất phấn khởi."],
        ),
        # numbers: decimals, grouped thousands, dotted dates
        (
            "Tăng trưởng 7,25%, thu 1.250.000 đồng mỗi người. Ngày 2.9.2024 là lễ lớn.",
            ["Tăng trưởng 7,25%, thu 1.250.000 đồng mỗi người.", "Ngày 2.9.2024 là lễ lớn."],
        ),
        (
            "Hội nghị diễn ra ngày 15.10. Ban tổ chức đã chuẩn bị chu đáo.",
            ["Hội nghị diễn ra ngày 15.10.", "Ban tổ chức đã chuẩn bị chu đáo."],
        ),
        (
            "Đường dài 3.5 km. 120 hộ dân được hưởng lợi.",
            ["Đường dài 3.5 km.", "120 hộ dân được hưởng lợi."],
        ),
        # ellipses
        (
            "Nắng, gió, bụi… Mọi thứ đều khắc nghiệt.",
            ["Nắng, gió, bụi…", "Mọi thứ đều khắc nghiệt."],
        ),
        (
            "Cần thêm cây xanh, ghế đá,... Người dân mong như vậy.",
            ["Cần thêm cây xanh, ghế đá,...", "Người dân mong như vậy."],
        ),
        ("Các em được tặng sách, vở, bút,....", ["Các em được tặng sách, vở, bút,...."]),
        ("Giá tăng... rồi lại giảm.", ["Giá tăng... rồi lại giảm."]),
        # quotes: the closing quote stays with its sentence
        (
            "Ông nói: “Phải làm ngay.” Sau đó ông rời đi.",
            ["Ông nói: “Phải làm ngay.”", "Sau đó ông rời đi."],
        ),
        (
            'Bà nói: "Tôi rất vui." Mọi người vỗ tay.',
            ['Bà nói: "Tôi rất vui."', "Mọi người vỗ tay."],
        ),
        (
            "Phong trào “Ngày thứ bảy tình nguyện”. Năm nay có 500 người.",
            ["Phong trào “Ngày thứ bảy tình nguyện”.", "Năm nay có 500 người."],
        ),
        ("“Tại sao lại thế?” – chị hỏi.", ["“Tại sao lại thế?” – chị hỏi."]),
        (
            "Anh hỏi: “Bao giờ xong?” Không ai trả lời.",
            ["Anh hỏi: “Bao giờ xong?”", "Không ai trả lời."],
        ),
        # numbered items inside one sentence
        (
            "Dự án có 2 hạng mục: 1. Làm đường; 2. Xây cầu. Vốn là 9 tỷ đồng.",
            ["Dự án có 2 hạng mục: 1. Làm đường; 2. Xây cầu.", "Vốn là 9 tỷ đồng."],
        ),
        ("1. Tình hình chung năm qua rất tốt.", ["1. Tình hình chung năm qua rất tốt."]),
        # initials in names
        (
            "Ảnh: N.H. Minh chụp tại hiện trường. Vụ việc đang được điều tra.",
            ["Ảnh: N.H. Minh chụp tại hiện trường.", "Vụ việc đang được điều tra."],
        ),
        (
            "Tác giả T.L được trao giải. Lễ trao giải tổ chức ở Huế.",
            ["Tác giả T.L được trao giải.", "Lễ trao giải tổ chức ở Huế."],
        ),
        (
            "Anh N.V.T. bị bắt. Sau đó, công an khám nhà anh N.V.T. Theo cơ quan điều tra, anh nhận tội.",
            [
                "Anh N.V.T. bị bắt.",
                "Sau đó, công an khám nhà anh N.V.T.",
                "Theo cơ quan điều tra, anh nhận tội.",
            ],
        ),
        # glued sentences
        (
            "Công trình dài khoảng 100m.Đơn vị thi công cam kết đúng hạn.",
            ["Công trình dài khoảng 100m.", "Đơn vị thi công cam kết đúng hạn."],
        ),
        (
            "Đội bóng TP.HCM thi đấu tại V.League 2024. Vé giá 50.000 đồng.",
            ["Đội bóng TP.HCM thi đấu tại V.League 2024.", "Vé giá 50.000 đồng."],
        ),
        (
            "Xem thêm tại https://example.vn/Tin-tuc.Html và baoquangnam.vn. Cảm ơn.",
            ["Xem thêm tại https://example.vn/Tin-tuc.Html và baoquangnam.vn.", "Cảm ơn."],
        ),
        # single sentence, no end punctuation (a headline)
        (
            "Huyện ủy Đại Lộc tổng kết công tác xây dựng Đảng năm 2023",
            ["Huyện ủy Đại Lộc tổng kết công tác xây dựng Đảng năm 2023"],
        ),
        # lowercase after a period is not a new sentence
        ("Đơn giá 5 tr. đồng mỗi mét.", ["Đơn giá 5 tr. đồng mỗi mét."]),
    ],
)
def test_split(paragraph, expected):
    assert split_sentences(paragraph) == expected


def test_inline_marks_are_opaque():
    para = 'Về <sub alias="thành phố. Hồ Chí Minh">TP. HCM</sub> họp. Xong <break time="1s"/> Về.'
    assert split_sentences(para) == [
        'Về <sub alias="thành phố. Hồ Chí Minh">TP. HCM</sub> họp.',
        'Xong <break time="1s"/> Về.',
    ]


def test_empty_and_blank():
    assert split_sentences("") == []
    assert split_sentences("   ") == []


def test_abbreviations_are_data():
    rules = default_rules()
    assert {"TP", "TS", "PGS.TS", "ThS"} <= rules.prefix
    assert "v.v" in rules.final
    assert "Sau" in rules.starters


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("khoảng 100m.Đơn vị thi công", "khoảng 100m. Đơn vị thi công"),
        ("năm 2023.Năm nay", "năm 2023. Năm nay"),
        ("thật sao?Chuyên gia nói", "thật sao? Chuyên gia nói"),
        ("cảm ơn”.Sau đó", "cảm ơn”. Sau đó"),
        ("TP.HCM, Tp.HCM, Tp.Hồ Chí Minh, V.League, 1.000, P.Hải Châu, ThS.Nguyễn", None),
        ("vào vnexpress.net/Thoi-su hoặc www.Baomoi.com", None),
        ("dịch vụ v.v.Các ngành", None),
        ("gồm: 1.Xây dựng; 2.Nâng cấp", None),
        ("bổ sungủy viên Ban Chấp hànhĐảng bộ", None),
    ],
)
def test_repair_glued(text, expected):
    assert repair_glued(text) == (expected or text)


_ALPHABET = st.sampled_from(
    list("aăâbcdđeêghiklmnoôơpqrstuưvxyAĐHNTQPVX0123456789 .,;:!?…\"“”‘’'()-–/%\n\t")
    + [
        "TP.",
        "v.v.",
        "...",
        "ệ",
        "ố",
        "ThS.",
        "1.000",
        '<sub alias="x. Y">z</sub>',
        '<break time="1s"/>',
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_ALPHABET, max_size=80).map("".join))
def test_never_loses_or_invents_characters(paragraph):
    sentences = split_sentences(paragraph)
    assert "".join("".join(s.split()) for s in sentences) == "".join(paragraph.split())
    assert all(s and s == s.strip() and s in paragraph for s in sentences)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_unicode(paragraph):
    sentences = split_sentences(paragraph)
    assert "".join("".join(s.split()) for s in sentences) == "".join(paragraph.split())


@settings(max_examples=200, deadline=None)
@given(st.lists(_ALPHABET, max_size=60).map("".join))
def test_repair_glued_only_adds_spaces(text):
    assert "".join(repair_glued(text).split()) == "".join(text.split())
