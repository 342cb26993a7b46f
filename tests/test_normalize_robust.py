"""The normaliser never crashes and never lets an ASCII digit through, whatever the input."""

from __future__ import annotations

import re
import unicodedata

import pytest
from conftest import shared_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsvoice.text.normalize import Normalizer

N = Normalizer()
DIGIT = re.compile(r"[0-9]")

PIECES = [
    *"0123456789",
    *".,/-:h%+()$°–' ",
    "ngày ",
    "tháng ",
    "thứ ",
    "Quý ",
    "số ",
    "tỷ số ",
    "km",
    "đồng/",
    "Km ",
    "QL",
    "UBND ",
    "TP.",
    "IV",
    "XII ",
    "khóa ",
    "m2",
    "°C",
    "USD",
    "\u0301",
    "\ue000",
    "٣",
    "Covid-",
    "KH-",
    "/TW",
    "A-",
    "tr",
    "g",
]


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text())
def test_any_unicode_text(text: str) -> None:
    out = N.normalize(text)
    assert not DIGIT.search(out)
    assert unicodedata.normalize("NFC", out) == out


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
@pytest.mark.slow
def test_digit_heavy_text(text: str) -> None:
    out = N.normalize(text)
    assert not DIGIT.search(out), (text, out)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**30))
def test_huge_numbers(n: int) -> None:
    assert not DIGIT.search(N.normalize(f"Con số {n} và {n:,}."))


def test_very_long_line() -> None:
    line = "Ngày 11/01 UBND chi 1.250.000 đồng, tăng 6,2%. " * 800
    out = N.normalize(line)
    assert not DIGIT.search(out)
    assert out.count("một triệu hai trăm năm mươi nghìn đồng") == 800


def test_other_scripts_digits_are_read() -> None:
    assert N.normalize("Có ٣ người") == "Có ba người"


@pytest.mark.parametrize("name", ["samples/dai-loc-party-building.txt"])
def test_sample_article_has_no_digits(name: str) -> None:
    path = shared_path(name)
    for line in path.read_text(encoding="utf-8").splitlines():
        out = N.normalize(line)
        assert not DIGIT.search(out), line
