"""Cardinal, decimal and Roman reading: exact cases plus a round-trip property over 0 .. 10^12."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsvoice.text.normalize.numbers import (
    read_decimal,
    read_digits,
    read_int,
    read_integer_string,
    read_month,
    read_number_token,
    read_ordinal,
    roman_to_int,
)

DIGITS = {
    "không": 0,
    "một": 1,
    "mốt": 1,
    "hai": 2,
    "ba": 3,
    "bốn": 4,
    "tư": 4,
    "năm": 5,
    "lăm": 5,
    "sáu": 6,
    "bảy": 7,
    "tám": 8,
    "chín": 9,
}


def parse_group(words: list[str]) -> int:
    """Words of 0..999 back to the number; strict, so a wrong reading fails."""
    value, i, hundreds = 0, 0, False
    if len(words) >= 2 and words[1] == "trăm":
        value += DIGITS[words[0]] * 100
        i, hundreds = 2, True
    rest = words[i:]
    if not rest:
        return value
    if rest[0] == "lẻ":
        assert len(rest) == 2 and hundreds, words
        return value + DIGITS[rest[1]]
    if rest[0] == "mười":
        assert len(rest) <= 2, words
        unit = DIGITS[rest[1]] if len(rest) == 2 else 0
        assert rest[1:] != ["mốt"], words  # 11 is "mười một"
        return value + 10 + unit
    if len(rest) >= 2 and rest[1] == "mươi":
        assert len(rest) <= 3 and DIGITS[rest[0]] >= 2, words
        unit = DIGITS[rest[2]] if len(rest) == 3 else 0
        return value + DIGITS[rest[0]] * 10 + unit
    assert len(rest) == 1 and not hundreds, words
    return DIGITS[rest[0]]


def parse_below_billion(words: list[str]) -> int:
    total = 0
    for scale, word in ((1_000_000, "triệu"), (1_000, "nghìn")):
        if word in words:
            k = words.index(word)
            total += parse_group(words[:k]) * scale
            words = words[k + 1 :]
    return total + (parse_group(words) if words else 0)


def parse_vietnamese(text: str) -> int:
    """Inverse of read_int for the test: 'một nghìn tỷ' -> 10**12."""
    words = text.split()
    if "tỷ" in words:
        k = len(words) - 1 - words[::-1].index("tỷ")
        return parse_vietnamese(" ".join(words[:k])) * 10**9 + (
            parse_below_billion(words[k + 1 :]) if words[k + 1 :] else 0
        )
    return parse_below_billion(words)


@pytest.mark.parametrize(
    "n, spoken",
    [
        (0, "không"),
        (5, "năm"),
        (10, "mười"),
        (11, "mười một"),
        (15, "mười lăm"),
        (20, "hai mươi"),
        (21, "hai mươi mốt"),
        (24, "hai mươi tư"),
        (25, "hai mươi lăm"),
        (105, "một trăm lẻ năm"),
        (110, "một trăm mười"),
        (114, "một trăm mười bốn"),
        (205, "hai trăm lẻ năm"),
        (1_000, "một nghìn"),
        (1_024, "một nghìn không trăm hai mươi tư"),
        (2_023, "hai nghìn không trăm hai mươi ba"),
        (10_010, "mười nghìn không trăm mười"),
        (1_000_000, "một triệu"),
        (1_000_050, "một triệu không trăm năm mươi"),
        (2_000_000_000, "hai tỷ"),
        (2_000_000_005, "hai tỷ không trăm lẻ năm"),
        (10**12, "một nghìn tỷ"),
        (187_450, "một trăm tám mươi bảy nghìn bốn trăm năm mươi"),
    ],
)
def test_read_int(n: int, spoken: str) -> None:
    assert read_int(n) == spoken


@settings(max_examples=3000, deadline=None)
@given(st.integers(min_value=0, max_value=10**12))
def test_cardinal_round_trip(n: int) -> None:
    spoken = read_int(n)
    assert parse_vietnamese(spoken) == n, spoken
    assert not any(c.isdigit() for c in spoken)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**12))
def test_dotted_thousands_read_as_the_same_number(n: int) -> None:
    assert read_number_token(f"{n:,}".replace(",", ".")) == read_int(n)


@pytest.mark.parametrize(
    "token, spoken",
    [
        ("1.250.000", "một triệu hai trăm năm mươi nghìn"),
        ("109,1", "một trăm lẻ chín phẩy một"),
        ("3,25", "ba phẩy hai mươi lăm"),
        ("3,05", "ba phẩy không năm"),
        ("0,125", "không phẩy một trăm hai mươi lăm"),
        ("2,71828", "hai phẩy bảy một tám hai tám"),
        ("12.5", "mười hai phẩy năm"),
        ("1,250,000", "một triệu hai trăm năm mươi nghìn"),
        ("07", "bảy"),
        ("0236", "không hai ba sáu"),
    ],
)
def test_read_number_token(token: str, spoken: str) -> None:
    assert read_number_token(token) == spoken


def test_small_helpers() -> None:
    assert read_decimal("4", "5") == "bốn phẩy năm"
    assert read_digits("0905") == "không chín không năm"
    assert read_integer_string("1" * 16) == " ".join(["một"] * 16)
    assert [read_ordinal(n) for n in (1, 2, 4, 10)] == ["nhất", "hai", "tư", "mười"]
    assert [read_month(m) for m in (1, 4, 12)] == ["một", "tư", "mười hai"]


@pytest.mark.parametrize(
    "roman, value",
    [
        ("I", 1),
        ("IV", 4),
        ("IX", 9),
        ("XII", 12),
        ("XIV", 14),
        ("XXI", 21),
        ("MCMXLV", 1945),
        ("IIII", None),
        ("VV", None),
        ("CLB", None),
        ("", None),
        ("IC", None),
    ],
)
def test_roman_to_int(roman: str, value: int | None) -> None:
    assert roman_to_int(roman) == value


@given(st.integers(min_value=1, max_value=3999))
def test_roman_round_trip(n: int) -> None:
    table = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ]
    out, rest = "", n
    for value, letters in table:
        while rest >= value:
            out += letters
            rest -= value
    assert roman_to_int(out) == n
