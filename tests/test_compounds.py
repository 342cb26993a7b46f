"""assets/compounds.txt: the multi-syllable words the subtitle segmenter never splits."""

import re
import unicodedata
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parents[1] / "assets" / "compounds.txt"
SYLLABLE = re.compile(r"[^\W\d_]+")  # letters only: no digits, no punctuation

MUST_HAVE = [
    "công tác",
    "diễn ra",
    "thông qua",
    "nhân dân",
    "tổ chức",
    "kiểm tra",
    "giám sát",
    "triển khai",
    "đảng viên",
    "văn hóa",
    "văn hoá",
]


@pytest.fixture(scope="module")
def raw() -> str:
    return PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def entries(raw: str) -> list[str]:
    return [line for line in raw.splitlines() if line.strip() and not line.startswith("#")]


def test_has_comment_header(raw: str):
    assert raw.startswith("#")


def test_file_is_nfc(raw: str):
    assert unicodedata.normalize("NFC", raw) == raw


def test_every_entry_is_a_lower_case_word_of_two_or_three_syllables(entries: list[str]):
    bad = []
    for line in entries:
        syllables = line.split(" ")
        if (
            line != line.lower()
            or line != line.strip()
            or not 2 <= len(syllables) <= 3
            or not all(SYLLABLE.fullmatch(s) for s in syllables)
            or unicodedata.normalize("NFC", line) != line
        ):
            bad.append(line)
    assert bad == []


def test_no_duplicates_and_sorted(entries: list[str]):
    assert len(set(entries)) == len(entries)
    assert entries == sorted(entries)


def test_enough_entries(entries: list[str]):
    assert len(entries) >= 2500


@pytest.mark.parametrize("word", MUST_HAVE)
def test_must_have_words(entries: list[str], word: str):
    assert word in set(entries)
