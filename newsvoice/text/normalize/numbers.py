"""Reading numbers the way Vietnamese news is read aloud.

Cardinals follow the spoken rules (not num2words): 21 "hai mươi mốt", 25 "hai mươi lăm",
24 "hai mươi tư", 205 "hai trăm lẻ năm", 1.024 "một nghìn không trăm hai mươi tư",
10^12 "một nghìn tỷ". The words themselves are data (assets/number_words.tsv).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from newsvoice.text.normalize.lexicon import asset_path, load_tsv

# Above this many digits an integer is an identifier (account, serial), read digit by digit.
MAX_CARDINAL_DIGITS = 15
# Above this many decimals the fraction is read digit by digit.
MAX_FRACTION_CARDINAL = 3

_ROMAN = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_ROMAN_VALUE = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


@dataclass(frozen=True)
class NumberWords:
    """The word pieces of the reading rules, loaded once from number_words.tsv."""

    digits: tuple[str, ...]
    words: dict[str, str]

    def __getitem__(self, key: str) -> str:
        return self.words[key]

    def get(self, key: str, default: str) -> str:
        return self.words.get(key, default)


_DEFAULT_WORDS = {
    "0": "không",
    "1": "một",
    "2": "hai",
    "3": "ba",
    "4": "bốn",
    "5": "năm",
    "6": "sáu",
    "7": "bảy",
    "8": "tám",
    "9": "chín",
    "ten": "mười",
    "tens": "mươi",
    "hundred": "trăm",
    "thousand": "nghìn",
    "million": "triệu",
    "billion": "tỷ",
    "odd": "lẻ",
    "one_after_tens": "mốt",
    "four_after_tens": "tư",
    "five_after_ten": "lăm",
    "point": "phẩy",
    "ordinal_1": "nhất",
    "ordinal_4": "tư",
    "month_4": "tư",
    "plus": "cộng",
    "minus": "âm",
    "up": "tăng",
    "down": "giảm",
    "range": "đến",
    "ratio": "trên",
    "per": "một",
    "per_physical": "trên",
    "hour": "giờ",
    "minute": "phút",
    "second": "giây",
    "month": "tháng",
    "year": "năm",
    "quarter": "quý",
    "fraction": "phần",
    "fraction_4": "tư",
    "dot": "chấm",
    "versus": "so với",
}


@lru_cache(maxsize=1)
def number_words() -> NumberWords:
    """Built-in defaults overlaid with the asset file (so a missing file still reads numbers)."""
    words = dict(_DEFAULT_WORDS)
    words.update(load_tsv(asset_path("number_words.tsv")))
    return NumberWords(digits=tuple(words[str(d)] for d in range(10)), words=words)


def _read_group(n: int, full: bool, w: NumberWords) -> str:
    """Read 0 < n < 1000; ``full`` says the group follows a bigger one ("không trăm", "lẻ")."""
    h, t, u = n // 100, n // 10 % 10, n % 10
    out: list[str] = []
    if h or full:
        out += [w.digits[h], w["hundred"]]
    if t == 0:
        if u:
            if out:
                out.append(w["odd"])
            out.append(w.digits[u])
    elif t == 1:
        out.append(w["ten"])
        if u:
            out.append(w["five_after_ten"] if u == 5 else w.digits[u])
    else:
        out += [w.digits[t], w["tens"]]
        if u == 1:
            out.append(w["one_after_tens"])
        elif u == 4:
            out.append(w["four_after_tens"])
        elif u == 5:
            out.append(w["five_after_ten"])
        elif u:
            out.append(w.digits[u])
    return " ".join(out)


def _read_below_billion(n: int, full: bool, w: NumberWords) -> str:
    """Read 0 < n < 10^9 as triệu / nghìn / units groups; zero groups are skipped."""
    parts: list[str] = []
    for scale, word in ((1_000_000, w["million"]), (1_000, w["thousand"]), (1, "")):
        g = n // scale % 1000
        if g:
            parts.append(_read_group(g, full or bool(parts), w))
            if word:
                parts.append(word)
    return " ".join(parts)


def read_int(n: int) -> str:
    """Cardinal reading of a non-negative integer; "tỷ" repeats for very large numbers."""
    w = number_words()
    if n == 0:
        return w.digits[0]
    return _read_int(n, False, w)


def _read_int(n: int, full: bool, w: NumberWords) -> str:
    high, low = divmod(n, 1_000_000_000)
    parts: list[str] = []
    if high:
        parts += [_read_int(high, full, w), w["billion"]]
    if low:
        parts.append(_read_below_billion(low, full or bool(high), w))
    return " ".join(parts)


def read_digits(s: str) -> str:
    """Digit-by-digit reading of the ASCII digits in s (phone numbers, plates, serials)."""
    w = number_words()
    return " ".join(w.digits[int(c)] for c in s if "0" <= c <= "9")


def read_integer_string(s: str) -> str:
    """Read a digit string as a newsreader would: '03' -> 'ba', long ids digit by digit."""
    if len(s) > MAX_CARDINAL_DIGITS or (len(s) > 3 and s.startswith("0")):
        return read_digits(s)
    return read_int(int(s))


def read_fraction(s: str) -> str:
    """Digits after the decimal comma: '1' -> 'một', '25' -> 'hai mươi lăm', '05' -> 'không năm'."""
    if len(s) > MAX_FRACTION_CARDINAL:
        return read_digits(s)
    stripped = s.lstrip("0")
    zeros = read_digits(s[: len(s) - len(stripped)])
    rest = read_int(int(stripped)) if stripped else ""
    return " ".join(p for p in (zeros, rest) if p)


def read_decimal(int_part: str, frac: str | None) -> str:
    """'109', '1' -> 'một trăm lẻ chín phẩy một'."""
    head = read_integer_string(int_part)
    if not frac:
        return head
    return f"{head} {number_words()['point']} {read_fraction(frac)}"


def read_number_token(tok: str) -> str:
    """Read a written number: '1.250.000', '3,25', '1,250,000', '12.5', '03'."""
    if "." in tok and re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", tok):
        int_part, _, frac = tok.replace(".", "").partition(",")
        return read_decimal(int_part, frac or None)
    if tok.count(",") >= 2 and re.fullmatch(r"\d{1,3}(?:,\d{3})+", tok):
        return read_integer_string(tok.replace(",", ""))
    int_part, _, frac = re.sub(r"[.,]", ",", tok, count=1).partition(",")
    if not int_part.isascii() or not int_part.isdigit():
        return read_digits(tok)
    return read_decimal(int_part, frac or None)


def read_ordinal(n: int) -> str:
    """'thứ' + this: 1 -> 'nhất', 4 -> 'tư', else the cardinal."""
    w = number_words()
    return w.words.get(f"ordinal_{n}") or read_int(n)


def read_month(m: int) -> str:
    """'tháng' + this: 4 -> 'tư', else the cardinal."""
    w = number_words()
    return w.words.get(f"month_{m}") or read_int(m)


def roman_to_int(s: str) -> int | None:
    """Value of a well-formed Roman numeral, or None (so 'CLB' or 'MV' are not numbers)."""
    if not s or not _ROMAN.fullmatch(s):
        return None
    total = 0
    for a, b in zip(s, s[1:] + " ", strict=True):
        va, vb = _ROMAN_VALUE[a], _ROMAN_VALUE.get(b, 0)
        total += -va if va < vb else va
    return total or None
