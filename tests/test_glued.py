"""Words glued by scraping are split back into syllables; real words never are."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsvoice.text.normalize import Normalizer
from newsvoice.text.normalize.glued import default_inventory, split_glued, unglue

ROOT = Path(__file__).resolve().parents[1]

GLUED = [
    ("sungủy", "sung ủy"),
    ("hànhĐảng", "hành Đảng"),
    ("ThanhHóa", "Thanh Hóa"),
    ("thựchiện", "thực hiện"),
    ("ngườidân", "người dân"),
    ("quyếtđịnh", "quyết định"),
    ("giữgìn", "giữ gìn"),
    ("tiếpnhận", "tiếp nhận"),
    ("khôngđược", "không được"),
    ("kinhtế", "kinh tế"),
    ("Điệnthoại", "Điện thoại"),
    ("nhàmáy", "nhà máy"),
    ("phốcổ", "phố cổ"),
    ("bảovệ", "bảo vệ"),
    ("pháttriển", "phát triển"),
    ("anninh", "an ninh"),  # no marks: left alone (could be a brand), see below
]

# Real syllables with long onsets, glides and rare rhymes: never split.
WHOLE = [
    "Nguyễn",
    "nghiêng",
    "khuyến",
    "khuỷu",
    "giường",
    "quốc",
    "xoong",
    "ngoằn",
    "nghèo",
    "huỳnh",
    "khuya",
    "thuở",
    "gìn",
    "quyển",
    "truyện",
    "người",
    "rượu",
    "Đảng",
    "ngoéo",
]
# English words, brands and foreign names: left as written.
FOREIGN = [
    "Facebook",
    "online",
    "iPhone",
    "Vinamilk",
    "TikTok",
    "VinFast",
    "Mátxcơva",
    "Xanhpêtécbua",
    "container",
    "Sacombank",
]


@pytest.mark.parametrize("glued, split", GLUED)
def test_glued_words_are_split(glued: str, split: str) -> None:
    expected = glued if split == "an ninh" else split  # "anninh" has no Vietnamese mark
    assert " ".join(split_glued(glued)) == expected


@pytest.mark.parametrize("word", WHOLE + FOREIGN)
def test_words_are_never_split(word: str) -> None:
    assert split_glued(word) == [word]


def test_every_syllable_of_our_word_list_is_in_the_inventory() -> None:
    inv = default_inventory()
    lines = (ROOT / "assets" / "compounds.txt").read_text("utf-8").splitlines()
    words = {w for line in lines if not line.startswith("#") for w in line.split()}
    bad = sorted(w for w in words if not inv.is_syllable(w) and w != "container")
    assert bad == []


def test_inventory_rejects_misspellings() -> None:
    inv = default_inventory()
    for bad in ["ka", "cae", "ghá", "ngha", "quu", "cí", "ápp", "tàt", "bướcc", "sungủy"]:
        assert not inv.is_syllable(bad), bad
    for good in ["kẻ", "ghế", "nghĩ", "quý", "gì", "cát", "bước", "tạp"]:
        assert inv.is_syllable(good), good


def test_ambiguous_or_unseen_splits_are_left_alone() -> None:
    # every piece must be a seen syllable unless the case changes at the cut
    assert split_glued("ẹcxít") == ["ẹcxít"]


def test_unglue_a_line_and_the_narration() -> None:
    assert (
        unglue("Bổ sungủy viên và cơ quan hànhĐảng ủy.")
        == "Bổ sung ủy viên và cơ quan hành Đảng ủy."
    )
    spoken = Normalizer().normalize("Đoàn kiểm tra côngtác của UBND ngày 2/9 ở Windows.")
    assert spoken == "Đoàn kiểm tra công tác của ủy ban nhân dân ngày hai tháng chín ở Windows."


def test_real_text_is_left_as_it_is() -> None:
    """No word of our word lists or of the example articles is ever split."""
    texts = [(ROOT / "assets" / "compounds.txt").read_text("utf-8")]
    texts += [p.read_text("utf-8") for p in sorted((ROOT / "examples").glob("*.txt"))]
    for text in texts:
        body = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
        assert unglue(body) == body
