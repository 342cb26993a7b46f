"""Semiotic classes: for each one a tagger (a regex that finds it) and a verbaliser (a small
pure function that says it), in the spirit of NeMo's Vietnamese text normaliser.

A verbaliser gets the regex match and the rule data and returns ``(keep, spoken)``: ``keep``
is written text left as it is (a context word such as "Chiều" or "Quý") and ``spoken`` is the
reading, or None to leave the match alone so a later class can take it. ``caps`` says the
line is an all-caps headline (then capitalised words are words, not acronyms). The taggers'
regexes and their order are in pipeline.py; the words are data in assets/*.tsv.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from newsvoice.text.normalize.lexicon import trie_pattern
from newsvoice.text.normalize.numbers import (
    number_words,
    read_digits,
    read_int,
    read_integer_string,
    read_month,
    read_number_token,
    read_ordinal,
    roman_to_int,
)
from newsvoice.text.normalize.syllables import has_vietnamese_marks, is_syllable, strip_marks

Result = tuple[str, str] | None

# Kinds of frozen spans: numeric ones can be joined into ranges with "đến".
NUMERIC = "num"
WORD = "word"

LETTER = r"[^\W\d_]"
NOT_LETTER_AFTER = rf"(?!{LETTER})"
# A written number: dotted thousands (1.250.000 / 1.250,5), comma thousands with two or more
# groups (1,250,000), or digits with an optional decimal part (109,1 / 12.5).
NUM = (
    r"(?<![0-9])(?:[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?(?![0-9]|[.,][0-9])"
    r"|[0-9]{1,3}(?:,[0-9]{3}){2,}(?![0-9]|[.,][0-9])"
    r"|[0-9]+(?:[.,][0-9]+)?)(?![0-9])"
)
SCALE_WORDS = r"(?:nghìn|ngàn|triệu|tỷ|tỉ|vạn)"
SCALES = rf"(?:\s+{SCALE_WORDS})*"
# A sign before a number: +, -, − (and an en dash typed as minus, "–2°C", but not the dash
# of a spaced range "10 –12").
SIGN = r"(?P<sign>(?<![^\s(\[])(?:[+\-−]|(?<![0-9]\s)–))?"
DASH = r"[-–—]"


@dataclass(frozen=True)
class RuleData:
    """The data the verbalisers read (all loaded from TSV files)."""

    units: Mapping[str, str]
    contexts: Mapping[str, frozenset[str]]  # class -> lower-case context words
    letters: Mapping[str, str]
    lexicon: Mapping[str, str]
    symbols: Mapping[str, str] = field(default_factory=dict)
    currencies: Mapping[str, str] = field(default_factory=dict)
    codes: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # prefix -> (spoken, kind)
    web: Mapping[str, str] = field(default_factory=dict)  # address parts (web.tsv)
    latin: frozenset[str] = frozenset()  # lower-case loanwords read as written (latin_known)
    plain_syllables: frozenset[str] = frozenset()  # syllables of our word lists, marks stripped

    def is_context(self, cls: str, word: str) -> bool:
        return word.lower() in self.contexts.get(cls, frozenset())


@dataclass(frozen=True)
class Rule:
    """One semiotic class: name, tagger, kind of the spoken span, verbaliser."""

    name: str
    pattern: re.Pattern[str]
    kind: str
    verbalise: Callable[[re.Match[str], RuleData, bool], Result]
    needs: tuple[str, ...] = ()  # the rule runs only on text holding one of these (speed)
    hint: re.Pattern[str] | None = None  # ... or only where this cheap regex is found


def context_pattern(data: RuleData, *classes: str) -> str:
    """Case-insensitive whole-word alternation of the context words of some classes."""
    words = {w for c in classes for w in data.contexts.get(c, ())}
    return rf"(?<!\w)(?i:{trie_pattern(sorted(words))})(?!\w)"


def _valid_date(d: int, m: int) -> bool:
    return 1 <= d <= 31 and 1 <= m <= 12


def say_date(d: int, m: int, y: str | None = None) -> str:
    """'11', '1' -> 'mười một tháng một'; with a year '... năm hai nghìn ...'."""
    w = number_words()
    out = f"{read_int(d)} {w['month']} {read_month(m)}"
    return f"{out} {w['year']} {read_integer_string(y)}" if y else out


# ---------------------------------------------------------------- document codes, roads


def v_code(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'96-QĐ/TW' -> 'chín mươi sáu': newsreaders say the number, not the suffix letters."""
    out = read_integer_string(m["num"])
    if m["year"]:
        out += f" {number_words()['year']} {read_integer_string(m['year'])}"
    return "", out


def v_road_km(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'Km 1285+300' -> 'ki lô mét một nghìn ... cộng ba trăm'."""
    w = number_words()
    unit = data.units.get("km", "ki lô mét")
    if m["a2"]:  # "tại Km 45 Quốc lộ 12A": a road marker, no metres after it
        return "", f"{unit} {read_integer_string(m['a2'])}"
    return "", f"{unit} {read_integer_string(m['a'])} {w['plus']} {read_integer_string(m['b'])}"


# ---------------------------------------------------------------- dates


def v_date_dmy(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'02/02/2023', '15-8-2024', '19.8.1945' -> full date."""
    d, mo = int(m["d"]), int(m["m"])
    return ("", say_date(d, mo, m["y"])) if _valid_date(d, mo) else None


def v_day_range(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'5-6/9' -> 'năm đến sáu tháng chín'."""
    d1, d2, mo = int(m["d1"]), int(m["d2"]), int(m["m"])
    if not (_valid_date(d1, mo) and _valid_date(d2, mo) and d1 < d2):
        return None
    return "", f"{read_int(d1)} {number_words()['range']} {say_date(d2, mo, m['y'])}"


def v_quarter(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'Quý I/2024' -> 'Quý một năm hai nghìn ...'; 'quý 4' -> 'quý bốn'."""
    q = m["q"]
    n = int(q) if q.isdigit() else roman_to_int(q)
    if not n:
        return None
    out = read_int(n)
    if m["y"]:
        out += f" {number_words()['year']} {read_integer_string(m['y'])}"
    return m["kw"] + " ", out


def v_month_year(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'tháng 4/2024' -> 'tháng tư năm ...'; a bare '11/2023' gets its 'tháng' said."""
    mo = int(m["m"])
    pre = m.groupdict().get("pre") or ""
    if not 1 <= mo <= 12 or _pre_is(data, "ratio", pre):
        return None
    w = number_words()
    kw = (pre + " " if pre else "") + m["kw"]
    out = f"{read_month(mo)} {w['year']} {read_integer_string(m['y'])}"
    return (kw + " ", out) if m["kw"] else (kw, f"{w['month']} {out}")


def v_month_range(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'tháng 8-10/2024' -> 'tháng tám đến tháng mười năm ...'."""
    m1, m2 = int(m["m1"]), int(m["m2"])
    if not 1 <= m1 < m2 <= 12:
        return None
    w = number_words()
    out = (
        f"{read_month(m1)} {w['range']} {w['month']} {read_month(m2)} "
        f"{w['year']} {read_integer_string(m['y'])}"
    )
    return (m["kw"] + " ", out) if m["kw"] else ("", f"{w['month']} {out}")


def v_month(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'tháng 4' -> 'tháng tư'."""
    mo = int(m["m"])
    return (m["kw"] + " ", read_month(mo)) if 1 <= mo <= 12 else None


def v_date_kw(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'chiều 12.10', 'ngày 4-7': with a date word before, d.m and d-m are dates."""
    d, mo = int(m["d"]), int(m["m"])
    return (m["kw"] + " ", say_date(d, mo)) if _valid_date(d, mo) else None


def v_date_desc(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'30-4', '16-10': a dash pair that goes down is a date, not a range (ranges go up)."""
    d, mo = int(m["d"]), int(m["m"])
    return ("", say_date(d, mo)) if _valid_date(d, mo) and d > mo else None


# Written d/m that, with no date word before, are set phrases rather than dates.
_RATIO_PHRASES = frozenset({"24/7"})


def _pre_is(data: RuleData, cls: str, pre: str) -> bool:
    """Is the one- or two-word text before a number a context word of this class?"""
    return bool(pre) and (data.is_context(cls, pre) or data.is_context(cls, pre.split()[-1]))


def v_date_dm(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'11/01' -> 'mười một tháng một', unless a ratio word comes before ('đạt 9/12') or it
    is a fraction ('1/3 dân số', see v_fraction)."""
    fraction = v_fraction(m, data, caps)
    if fraction:
        return fraction
    d, mo = int(m["d"]), int(m["m"])
    pre = m["pre"] or ""
    if not _valid_date(d, mo) or _pre_is(data, "ratio", pre):
        return None
    if f"{d}/{mo}" in _RATIO_PHRASES and not _pre_is(data, "date", pre):
        return None
    return (pre + " " if pre else ""), say_date(d, mo)


# ---------------------------------------------------------------- phone, plates, scores


def v_phone(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'0236 3822 123' -> digits one by one, a comma between the written groups."""
    text = m["p"]
    n_digits = sum(c.isdigit() for c in text)
    low = 8 if text.startswith(("1800", "1900")) else 9
    if not low <= n_digits <= 12:
        return None
    w = number_words()
    groups = [g for g in re.split(r"[\s.\-()]+", text) if g]
    said = [(w["plus"] + " " if g.startswith("+") else "") + read_digits(g) for g in groups]
    return "", ", ".join(said)


def v_plate(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'43A-123.45' -> 'bốn ba A, một hai ba bốn năm'."""
    series = " ".join(read_digits(c) if c.isdigit() else c for c in m["s"])
    tail = m["b"] or m["b2"]
    return "", f"{read_digits(m['a'])} {series}, {read_digits(tail)}"


_NEXT_WORD = re.compile(rf"\s*({LETTER}+|%)")


def v_score(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'tỷ số 3-0' -> 'tỷ số ba không': a score is two numbers, not a range. A pair followed
    by a unit or a time word ('mỗi hiệp 3-4 phút') is a range after all."""
    if m.string[m.end() : m.end() + 2].lstrip()[:1] in ("°", "%"):
        return None  # "điều hòa ở 26-27°C": a range of degrees, not a score
    nxt = _NEXT_WORD.match(m.string, m.end())
    if nxt and (
        nxt[1] in data.units
        or data.is_context("count_noun", nxt[1])
        or re.fullmatch(SCALE_WORDS, nxt[1])
    ):
        return None
    return m["kw"] + m["mid"] + " ", f"{read_integer_string(m['a'])} {read_integer_string(m['b'])}"


# ---------------------------------------------------------------- time


def v_time(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'7h30' -> 'bảy giờ ba mươi', '20:00' -> 'hai mươi giờ', '7h30'' -> '... phút'."""
    w = number_words()
    out = f"{read_int(int(m['h']))} {w['hour']}"
    mins = m["m"]
    secs = m.groupdict().get("s")
    if mins and (int(mins) or secs):
        out += f" {read_int(int(mins))}"
        if m.groupdict().get("suf") or secs:
            out += f" {w['minute']}"
    if secs and int(secs):
        out += f" {read_int(int(secs))} {w['second']}"
    return "", out


# ---------------------------------------------------------------- ratios, ordinals, romans


def v_ratio(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'15/18' -> 'mười lăm trên mười tám'; '24/24h' -> '... trên hai mươi tư giờ'."""
    w = number_words()
    out = f"{read_number_token(m['a'])} {w['ratio']} {read_number_token(m['b'])}"
    out += f" {w['hour']}" if m["h"] else ""
    unit = m.groupdict().get("unit")
    return "", out + (f" {_say_unit(unit, data)}" if unit else "")  # "140/90 mmHg"


def v_ordinal(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'thứ 1' -> 'thứ nhất', 'thứ 4' -> 'thứ tư', 'thứ 2' -> 'thứ hai'."""
    return m["kw"] + " ", read_ordinal(int(m["n"]))


def v_roman_context(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'khóa XIII' -> 'khóa mười ba', 'lần thứ XV' -> 'lần thứ mười lăm'."""
    r = m["r"]
    n = roman_to_int(r)
    if n is None or (len(r) == 1 and r not in "IVX"):
        return None  # "hạng C", "nhóm D" are letters, not 100 and 500
    kw = m["kw"]
    last = kw.split()[-1]
    said = read_ordinal(n) if data.is_context("ordinal", last) else read_int(n)
    return kw + " ", said


def v_roman_free(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """A free-standing II, XIV... ('Thế chiến II', 'vua Charles III') is a number,
    except in an all-caps headline where 'VI' may be a word."""
    if caps:
        return None
    n = roman_to_int(m["r"])
    return ("", read_int(n)) if n else None


def v_service_digits(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'đường dây nóng 112' -> 'một một hai'."""
    return m["kw"] + m["mid"] + " ", read_digits(m["n"])


# ---------------------------------------------------------------- money, measures, cardinals


def v_money_prefix(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'$5' -> 'năm đô la', '$1,5 tỷ' -> 'một phẩy năm tỷ đô la'."""
    scale = " ".join(m["scale"].split())
    cur = data.units.get(m["cur"], m["cur"])
    body = " ".join(p for p in (read_number_token(m["n"]), scale, cur) if p)
    return "", body


def _say_unit(unit: str, data: RuleData) -> str:
    return data.units.get(unit, unit)


def _per_joiner(head: str, unit: str | None, per: str, data: RuleData) -> str:
    """'đồng/kg', '%/năm', 'lần/ngày', 'người/km2' say 'một' (so much for each); a ratio of
    two physical units ('km/h', 'tấn/ha') says 'trên'."""
    w = number_words()
    if (
        not unit
        or unit in data.currencies
        or data.is_context("currency", head)
        or data.is_context("per_time", per)
    ):
        return w["per"]
    return w["per_physical"]


def v_measure(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'300 km' -> 'ba trăm ki lô mét', '4,5 triệu tấn/ha', '400 đồng/lít' -> '... đồng một lít'."""
    unit = m["unit"]
    head = _say_unit(unit, data) if unit else m["word"]
    parts = [read_number_token(m["n"])]
    scale = " ".join(m["scale"].split())
    if scale:
        parts.append(scale)
    parts.append(head)
    if m["per"]:
        for per in m["per"].split("/")[1:]:
            count = re.match(r"[0-9][0-9.]*\s?", per)
            if count:  # "lít/100 km": per a hundred kilometres
                per = per[count.end() :]
                parts += [
                    number_words()["per_physical"],
                    read_number_token(count[0].strip()),
                    _say_unit(per, data),
                ]
            else:
                parts += [_per_joiner(head, unit, per, data), _say_unit(per, data)]
    change = _change_word_before(m.string, m.start(), data) if m["sign"] else None
    if unit != "%" and m.string[max(0, m.start() - 1) : m.start()] != "(":
        change = None  # "xuống -3°C" is minus three; only "tăng (+2 điểm)", "tăng +5%" repeat
    return "", _signed(m["sign"], " ".join(parts), unit == "%", change)


def v_cardinal(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'1.250.000' -> 'một triệu hai trăm năm mươi nghìn', '03' -> 'ba', '-5' -> 'âm năm'."""
    change = None
    if m["sign"] and m.string[max(0, m.start() - 1) : m.start()] == "(":
        change = _change_word_before(m.string, m.start(), data)
    return "", _signed(m["sign"], read_number_token(m["n"]), False, change)


def v_percent_word(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """A '%' with no number before it ('điểm %') is still said."""
    return "", data.units.get("%", "phần trăm")


def v_digits(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """Last resort: any digit run left is read as a number, so no digit reaches an engine."""
    return "", read_integer_string(m[0])


# ---------------------------------------------------------------- lexicon and acronyms

_DOTTED_LETTER = re.compile(r"[A-ZĐ]\.")


def lexicon_verbaliser(after_ok: Callable[[str, int], bool]):
    """Build the lexicon verbaliser; ``after_ok(text, end)`` checks a one-letter key like 'P.'
    is followed by a name or number (so 'Nguyễn Văn H.' is not 'huyện')."""

    def v_lexicon(m: re.Match[str], data: RuleData, caps: bool) -> Result:
        key = m[0]
        spoken = data.lexicon.get(key)
        if spoken is None:
            return None
        if _DOTTED_LETTER.fullmatch(key) and (
            not after_ok(m.string, m.end()) or _after_person(m.string, m.start(), data)
        ):
            return None
        if caps and all(is_syllable(t) for t in re.split(r"[\s.]+", key) if t):
            return None  # a headline word in capitals, e.g. "CA" in "CA SĨ"
        if _TICKER.fullmatch(key) and _ticker_context(m.string, m.start(), data):
            return "", _spell(key, data)  # "mã HPG ..., HSG và NKG": tickers, spelled
        return "", spoken

    return v_lexicon


_TICKER = re.compile(r"[A-Z]{3}")


def _ticker_context(text: str, start: int, data: RuleData, reach: int = 80) -> bool:
    """A ticker word ('mã', 'cổ phiếu') earlier in the sentence: three capitals there are a
    stock ticker (spelled), not the general reading of the letters ('HSG' học sinh giỏi)."""
    window = re.split(r"[.!?;]\s", text[max(0, start - reach) : start])[-1].lower()
    words = re.findall(rf"{LETTER}+", window)
    pairs = [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    return any(data.is_context("ticker", w) for w in words + pairs)


_TWO_BEFORE = re.compile(rf"(?:({LETTER}+)\s+)?({LETTER}+)\s+$")


def _after_person(text: str, start: int, data: RuleData) -> bool:
    """'Nguyễn Văn Q. 35 tuổi', 'anh T. 1990': a single capital after a name (two capitalised
    words) or a person word ('anh', 'bị cáo') is an initial, not 'quận'/'phường'."""
    m = _TWO_BEFORE.search(text, max(0, start - 40), start)
    if not m:
        return False
    a, b = m[1], m[2]
    if data.is_context("person", b) or (a and data.is_context("person", f"{a} {b}")):
        return True
    return bool(a) and a[0].isupper() and b[0].isupper() and not data.is_context("place_word", b)


def v_clause_letters(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'điểm b, s khoản 1 Điều 51' -> 'điểm bê, ét': the lettered points of a law."""
    said = [data.letters.get(c.upper(), c) for c in re.findall(r"[a-zđ]", m["l"])]
    return m["kw"] + " ", ", ".join(said)


def v_acronym(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """Unknown all-caps acronym (2-8 letters) that is not a Vietnamese syllable: spell it."""
    tok = m[0]
    if has_vietnamese_marks(tok) or (is_syllable(tok) and (caps or len(tok) > 2)):
        return None  # two capitals in a mixed-case line ("Zalo OA") are letters, not a word
    if not all(c in data.letters for c in tok):
        return None
    return "", " ".join(data.letters[c] for c in tok)


# ---------------------------------------------------------------- round 2: scores, seasons,
# fractions, codes, signed changes, symbols, exchange-rate pairs, repeated abbreviations

_PAIR = re.compile(r"([0-9]{1,2})\s*[-–:]\s*([0-9]{1,2})(?:\s*\(([0-9]{1,2})\))?")


_SCORE_BEFORE = 60


def v_score_list(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'(6-4, 3-6, 7-6(5))' -> '(sáu bốn, ba sáu, bảy sáu năm)': set scores, not dates. One
    pair in brackets is a score when a score word is inside ('(4-3 luân lưu)') or shortly
    before ('thắng 1-1 (4-3)')."""
    pairs = _PAIR.findall(m["body"])
    if len(pairs) == 1:
        near = m.string[max(0, m.start() - _SCORE_BEFORE) : m.start()] + " " + (m["tail"] or "")
        words = re.findall(rf"{LETTER}+", near.lower())
        pairs_of_words = [" ".join(words[i : i + 2]) for i in range(len(words))]
        if not any(data.is_context("score", w) for w in words + pairs_of_words):
            return None
    said = []
    for a, b, tie in pairs:
        pair = f"{read_integer_string(a)} {read_integer_string(b)}"
        said.append(pair + (f" {read_integer_string(tie)}" if tie else ""))
    tail = f" {m['tail'].strip()}" if m["tail"] else ""
    return "(", ", ".join(said) + tail + ")"


_PREV_TOKEN = re.compile(r"(\S+)\s+$")
_NEXT_CHAR = re.compile(r"\s*(\S)")


def v_score_teams(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'Arsenal 2-1 Chelsea', 'Hà Nội FC 2-2 HAGL': a pair between two names is a result.
    A date word before ('Ngày 30-4 Hà Nội ...') keeps it a date."""
    prev = _PREV_TOKEN.search(m.string, max(0, m.start() - 40), m.start())
    nxt = _NEXT_CHAR.match(m.string, m.end())
    if not prev or not nxt or not (nxt[1].isupper() or _is_span(nxt[1])):
        return None
    word = prev[1]
    if not (word[0].isupper() or _is_span(word[-1])) or data.is_context("date", word):
        return None
    return "", f"{read_integer_string(m['a'])} {read_integer_string(m['b'])}"


def _is_span(ch: str) -> bool:
    return 0xE000 <= ord(ch) <= 0xF8FF


def v_season(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'mùa giải 2024/25', 'năm học 2024-2025': a season names both years, it is no range.
    A two-digit second year takes the first one's century; the years must follow on."""
    a, b = m["a"], m["b"]
    full_b = b if len(b) == 4 else a[:2] + b
    if int(full_b) != int(a) + 1:
        return None
    if m["sep"] != "/":
        before = _LAST_WORDS.search(m.string, max(0, m.start() - 40), m.start())
        words = [w for w in (before[1], before[2]) if w] if before else []
        if not (
            words
            and (
                data.is_context("season", words[-1])
                or data.is_context("season", " ".join(words[-2:]))
            )
        ):
            return None
    return "", f"{read_integer_string(a)} {read_integer_string(full_b)}"


def _fraction_ok(pre: str, post: str, data: RuleData) -> bool:
    """A word before ('khoảng', 'hơn') or a noun after ('dân số', 'diện tích') says fraction."""
    if _pre_is(data, "fraction", pre):
        return True
    words = post.split()
    return bool(words) and (
        data.is_context("fraction_noun", words[0])
        or data.is_context("fraction_noun", " ".join(words[:2]))
    )


def v_fraction(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'1/3 dân số' -> 'một phần ba dân số', 'khoảng 3/4' -> 'khoảng ba phần tư'; with a date
    word before ('ngày 1/3') or no fraction context it is left to the date reader."""
    a, b = int(m["d"]), int(m["m"])
    pre = m["pre"] or ""
    if not 1 <= a < b <= 10 or _pre_is(data, "date", pre) or _pre_is(data, "date_prep", pre):
        return None
    if not _fraction_ok(pre, m["post"] or "", data):
        return None
    w = number_words()
    denom = w.get(f"fraction_{b}", read_int(b))
    return (pre + " " if pre else ""), f"{read_int(a)} {w.get('fraction', 'phần')} {denom}"


_CODE_PART = re.compile(r"[A-ZĐ]+|[0-9]+|\.")


def _spell(letters: str, data: RuleData) -> str:
    return " ".join(data.letters.get(c, c) for c in letters)


def v_alnum_code(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """Letters glued to numbers: roads 'ĐT.741' -> 'đường tỉnh bảy trăm bốn mươi mốt',
    exam groups 'A00' -> 'a không không', flights 'VN123' -> 'vê en một hai ba', variants
    'XBB.1.5' -> 'ích bê bê một chấm năm', 'H5N1', 'U23'. The prefixes are data (codes.tsv)."""
    parts = _CODE_PART.findall(m["c"])
    head = parts[0]
    spoken_head, kind = data.codes.get(head, ("", "spell"))
    said_before = _LAST_WORDS.search(m.string, max(0, m.start() - 40), m.start())
    if (
        spoken_head
        and said_before
        and (
            _fold(said_before[2]) == _fold(spoken_head.split()[0])
            or data.is_context("road", said_before[2])
        )
    ):
        spoken_head = ""  # "đường ĐT609", "tỉnh lộ ĐT.741": the road was named, spell the code
    out = [spoken_head or _spell(head, data)]
    first_digits = True
    prev = head
    for part in parts[1:]:
        if part == ".":
            prev = part if prev[-1].isdigit() else prev
            continue
        if part.isdigit():
            if prev == ".":
                out.append(number_words().get("dot", "chấm"))
            by_digit = kind == "digits" or (
                kind == "spell"
                and (
                    (len(part) > 1 and part[0] == "0")
                    or (first_digits and len(part) >= 3)  # VN123, MH370, A350, B787
                )
            )
            out.append(read_digits(part) if by_digit else read_integer_string(part))
            first_digits = False
        else:
            raw = kind == "road" and not (part.isupper() and len(part) <= 2)
            out.append(part if raw else _spell(part, data))  # QL4D: bốn đê
        prev = part
    return "", " ".join(out)


_LAST_WORDS = re.compile(rf"(?:({LETTER}+)\s+)?({LETTER}+)\s*\(?\s*$")


_CLAUSE_START = re.compile(r"[.,;:!?](?=\s)|^")  # not the comma of "12,5"


def _change_word_before(text: str, start: int, data: RuleData) -> str | None:
    """The change word ('tăng', 'giảm xuống'...) right before a signed number, or, for a
    number in brackets, anywhere earlier in the same clause ('tăng 12,5 điểm (+1,02%)')."""
    m = _LAST_WORDS.search(text, max(0, start - 40), start)
    if m:
        two = f"{m[1]} {m[2]}" if m[1] else ""
        found = next((w for w in (two, m[2]) if w and data.is_context("change", w)), None)
        if found:
            return found
    if text[max(0, start - 1) : start] != "(":
        return None
    clause = text[max(0, start - 120) : start - 1]
    clause = clause[max(mm.end() for mm in _CLAUSE_START.finditer(clause)) :]
    words = re.findall(rf"{LETTER}+", clause)
    return next((w for w in reversed(words) if data.is_context("change", w)), None)


def _signed(sign: str | None, body: str, percent: bool, change: str | None = None) -> str:
    """'+6,2%' -> 'tăng ...', '-3%' -> 'giảm ...', '-5°C' -> 'âm ...'. After a change word
    ('tăng (+6,2%)') the sign is not said again, unless it contradicts the word."""
    if not sign:
        return body
    w = number_words()
    if change:
        down = change.lower().startswith(("giảm", "xuống"))
        if (sign == "+") != down:
            return body
        return f"{w['plus'] if sign == '+' else w['minus']} {body}"
    if sign == "+":
        return f"{w['up'] if percent else w['plus']} {body}"
    return f"{w['down'] if percent else w['minus']} {body}"


def v_letter_slash(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'cúm A/H5N1' -> 'cúm a hát năm en một': a type letter before a code, no slash said."""
    return "", _spell(m["l"], data)


def v_word_over_number(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'111,4 bé trai/100 bé gái' -> '... bé trai trên một trăm bé gái': a count over a
    number of something else."""
    return " ", number_words()["per_physical"] + " "


def v_symbol(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'&' -> 'và', 'OPEC+'/'45+2' -> 'cộng', '≥' -> 'lớn hơn hoặc bằng', '~30' -> 'khoảng
    ba mươi' (silent after 'khoảng'). The words are data (symbols.tsv)."""
    sym = m[0].strip()
    spoken = data.symbols.get(sym)
    if spoken is None:
        return None
    if data.is_context("approx", spoken):
        before = _LAST_WORDS.search(m.string, max(0, m.start() - 40), m.start())
        if before and (
            data.is_context("approx", before[2])
            or (before[1] and data.is_context("approx", f"{before[1]} {before[2]}"))
        ):
            return "", ""
    return "", spoken


def v_currency_pair(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'USD/VND' -> 'đô la Mỹ so với đồng Việt Nam': an exchange rate, not a per-unit."""
    a, b = data.currencies.get(m["a"]), data.currencies.get(m["b"])
    if not a or not b:
        return None
    return "", f"{a} {number_words().get('versus', 'so với')} {b}"


_WORDS = re.compile(rf"{LETTER}+")


def _fold(word: str) -> str:
    """Compare words without case, tones or vowel marks ('Hóa' = 'hoá' = 'HOA'), đ as d."""
    return strip_marks(word).replace("đ", "d")


def v_paren_abbr(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'Trung tâm Kiểm soát bệnh tật (CDC)': an abbreviation in brackets right after its full
    name is not said; the name was just read. It is the full name when the initials match
    ('Ngân hàng Nhà nước (NHNN)') or most words of its lexicon reading are right before it."""
    abbr = m["abbr"]
    letters = [c for c in abbr if c.isalpha() and c.isupper()]
    before = [_fold(w) for w in _WORDS.findall(m.string, max(0, m.start() - 200), m.start())]
    if len(letters) >= 2 and len(before) >= len(letters):
        initials = "".join(w[0] for w in before[-len(letters) :])
        if initials == "".join(_fold(c) for c in letters):
            return "", ""
    reading = data.lexicon.get(abbr)
    if reading:
        words = [_fold(w) for w in _WORDS.findall(reading)]
        window = set(before[-2 * len(words) - 4 :])
        if len(words) >= 2 and sum(w in window for w in words) >= 0.6 * len(words):
            return "", ""
    return None


# ---------------------------------------------------------------- round 3: addresses, score
# runs, dash chains, word ratios, person initials

_WEB_PART = re.compile(r"[A-Za-z]+|[0-9]+|[@./\-_]")
_SCHEME = re.compile(r"^https?://", re.I)
_VOWEL = re.compile(r"[aeiouy]", re.I)


# Kinds of the pieces of an address label (web_pieces), and what each costs: a cut into
# pieces we know is cheap; a syllable never seen in our Vietnamese word lists ("py" of
# "go|py") or a chunk left for the engine is dear, so "gop|y" and "lien|hoan" win.
WEB_KNOWN = "known"  # a word of web.tsv or latin_known.tsv
WEB_SYLLABLE = "syllable"  # a syllable seen in our word lists (tone marks stripped)
WEB_GUESS = "guess"  # a well-formed syllable never seen
WEB_SPELL = "spell"  # a cluster without a vowel ("thpt", "fpt"): spelled
WEB_RAW = "raw"  # a chunk that is none of these: left for the engine
_PIECE_COST = {WEB_KNOWN: 10, WEB_SYLLABLE: 10, WEB_SPELL: 15, WEB_GUESS: 20, WEB_RAW: 30}
_RAW_PER_LETTER = 4  # a raw chunk costs more the longer it is: any cut into syllables wins
_NO_VOWEL = re.compile(r"[^aeiouy]{3,5}")
_TAIL_LETTERS = re.compile(r"[^aeiouy]{1,2}")
_TAIL_EXTRA = 10


def _piece_kind(piece: str, data: RuleData) -> str | None:
    if len(piece) >= 3 and (piece in data.web or piece in data.latin):
        return WEB_KNOWN
    if is_syllable(piece):
        return WEB_SYLLABLE if piece in data.plain_syllables else WEB_GUESS
    if _NO_VOWEL.fullmatch(piece):
        return WEB_SPELL
    if len(piece) >= 4 and _VOWEL.search(piece):
        return WEB_RAW
    return None


def web_pieces(label: str, data: RuleData) -> list[tuple[str, str]]:
    """A lower-case address label cut into the cheapest pieces (see _PIECE_COST):
    'lienhoanphimvietnam' -> lien hoan phim viet nam, 'thitotnghiepthpt' -> ... + thpt
    spelled, 'fptshop' -> fpt spelled + shop, 'danangfantasticity' -> da nang + a raw word.
    A known word never touches a raw chunk ('fan|tasticity' is one foreign word)."""
    n = len(label)
    Best = tuple[int, int, list[tuple[str, str]]]
    best: list[dict[str, Best]] = [{} for _ in range(n + 1)]
    best[0][""] = (0, 0, [])
    for i in range(n):
        for last, here in best[i].items():
            for j in range(i + 1, n + 1):
                piece = label[i:j]
                kind = _piece_kind(piece, data)
                if kind is None and j == n and i > 0 and _TAIL_LETTERS.fullmatch(piece):
                    kind = WEB_SPELL  # "benhvienk": a letter after the words is spelled
                if kind is None or (kind != WEB_RAW and j - i > 12):
                    continue
                if {last, kind} == {WEB_KNOWN, WEB_RAW} or (last == WEB_RAW and kind != WEB_KNOWN):
                    continue
                if kind == WEB_SPELL and i > 0 and j < n:
                    continue  # "thpt", "fpt" stand at an edge; "st" of "fantasticity" does not
                cost = _PIECE_COST[kind] + _per_letter(kind) * len(piece)
                if kind == WEB_SPELL and len(piece) <= 2:
                    cost += _TAIL_EXTRA  # a lone tail letter is a last resort
                cand = (here[0] + cost, here[1] + (piece[0] in "aeiouy"), here[2] + [(piece, kind)])
                there = best[j].get(kind)
                if there is None or _rank(cand) < _rank(there):
                    best[j][kind] = cand
    if not best[n]:
        return [(label, WEB_RAW)]
    return min(best[n].values(), key=_rank)[2]


def _per_letter(kind: str) -> int:
    """A raw chunk costs more the longer it is; a spelled cluster a little more per letter,
    so it does not steal the next word's onset ('fpt|play', not 'fptp|lay')."""
    return _RAW_PER_LETTER if kind == WEB_RAW else 1 if kind == WEB_SPELL else 0


def _rank(b: tuple[int, int, list[tuple[str, str]]]) -> tuple[int, int, int]:
    """Cheapest, then fewest pieces, then fewest pieces starting with a vowel."""
    return b[0], len(b[2]), b[1]


def _say_piece(piece: str, kind: str, data: RuleData) -> str:
    if kind == WEB_KNOWN:
        return data.web.get(piece, piece)
    if kind == WEB_SPELL:
        return _spell(piece.upper(), data)
    return piece


def say_web_label(label: str, data: RuleData) -> str:
    """One label of an address: a known word (web.tsv), spelled when short or without a vowel,
    cut into known words, syllables and spelled clusters when it can be (web_pieces), else
    left as written (the engine says it; flagged)."""
    low = label.lower()
    if low in data.web:
        return data.web[low]
    if label.isdigit():
        return read_integer_string(label) if len(label) <= 4 else read_digits(label)
    if (len(label) <= 3 and not is_syllable(low)) or not _VOWEL.search(label):
        return _spell(label.upper(), data)
    if is_syllable(low) or low in data.latin:
        return low
    return " ".join(_say_piece(p, k, data) for p, k in web_pieces(low, data))


def v_web(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'duongbo@mt.gov.vn' -> 'duong bo a còng em tê chấm gốp chấm vê en', 'viettel.vn/5g'
    -> 'viettel chấm vê en gạch chéo năm gờ'; the scheme (https://) is not said."""
    text = _SCHEME.sub("", m[0])
    out = []
    parts = _WEB_PART.findall(text)
    for k, part in enumerate(parts):
        if part in "@./-_":
            out.append(data.web.get(part, part))
        elif (
            part.isdigit() and k + 1 < len(parts) and parts[k + 1].lower() == "g" and len(part) == 1
        ):
            out.append(read_integer_string(part))  # "5g": a network generation
        else:
            out.append(say_web_label(part, data))
    return "", " ".join(out)


def _score_context_before(text: str, start: int, data: RuleData, reach: int = 80) -> bool:
    """A score word ('thắng', 'tỷ số', 'các set') in the clause before ``start``."""
    window = text[max(0, start - reach) : start]
    window = re.split(r"[.;:!?]\s", window)[-1]
    words = re.findall(rf"{LETTER}+", window.lower())
    return any(data.is_context("score", w) for w in words) or any(
        data.is_context("score", f"{a} {b}") for a, b in zip(words, words[1:], strict=False)
    )


def v_score_run(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'thắng 6-3, 4-6, 7-5', 'các set 25-22, 18-25': every pair of a comma list after a
    score word is a score, not a date or a range."""
    if not _score_context_before(m.string, m.start(), data):
        return None
    nxt = _NEXT_WORD.match(m.string, m.end())
    if nxt and (nxt[1] in data.units or data.is_context("count_noun", nxt[1])):
        return None
    said = []
    for a, b, tie in _PAIR.findall(m[0]):
        said.append(
            f"{read_integer_string(a)} {read_integer_string(b)}"
            + (f" {read_integer_string(tie)}" if tie else "")
        )
    return "", ", ".join(said)


def v_dash_chain(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'NPK 20-20-15', '4-4-2': three or more numbers joined by dashes are a code or a
    formation, each number said in turn (no 'đến')."""
    return "", " ".join(read_integer_string(n) for n in re.split(r"\s*[-–]\s*", m[0]))


def v_word_ratio(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'tỷ lệ nợ xấu/tổng dư nợ' -> '... trên ...', 'hàng hóa/năm' -> '... một năm'; a slash
    between words with no ratio word before is left alone (the engine does not say it)."""
    w = number_words()
    if data.is_context("per_time", m["b"]):
        return m["a"] + " ", w["per"] + " " + m["b"]
    before = m.string[max(0, m.start() - 40) : m.start()].lower()
    words = re.findall(rf"{LETTER}+", before)
    pairs = [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    if any(data.is_context("ratio_name", x) for x in words + pairs):
        return m["a"] + " ", w["ratio"] + " " + m["b"]
    return None


# ---------------------------------------------------------------- round 3b: masked numbers,
# lower-case codes, versions, bare per-units


def v_masked_number(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'069.2XXX.XXX' -> 'không sáu chín chấm hai ích ích ích ...': a number with hidden
    digits is read sign by sign (digits one by one, X as the letter, the dots said)."""
    text = m["m"]
    if not re.search(r"[Xx]", text) or sum(c.isdigit() for c in text) < 2:
        return None
    w = number_words()
    said = []
    for ch in text:
        if ch.isdigit():
            said.append(read_digits(ch))
        elif ch in "Xx":
            said.append(data.letters.get("X", "ích"))
        elif ch == ".":
            said.append(w.get("dot", "chấm"))
        elif ch == "-":
            said.append(data.web.get("-", "gạch ngang"))
    return "", " ".join(said)


def v_alnum_lower(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'sv388', 'bet88': lower-case letters glued to digits (a site or account name) are
    spelled, three or more digits read one by one; a Vietnamese syllable is no code."""
    letters = m["l"]
    if is_syllable(letters) or letters in data.units:
        return None
    digits = m["d"]
    said = read_digits(digits) if len(digits) >= 3 else read_integer_string(digits)
    return "", f"{_spell(letters.upper(), data)} {said}"


def v_version(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'ACFTA 3.0', 'iOS 18.1', 'công nghiệp 4.0' -> '... ba chấm không': after a name or a
    version word, a dotted pair with no unit is a version (Vietnamese decimals take a comma)."""
    pre = m["pre"]
    named = data.is_context("version", pre) or not (has_vietnamese_marks(pre) or is_syllable(pre))
    if not named and m["b"] != "0":
        return None  # "Hà Nội 35.5 độ": an English-style decimal after a Vietnamese word
    w = number_words().get("dot", "chấm")
    return pre + " ", f"{read_integer_string(m['a'])} {w} {read_integer_string(m['b'])}"


def v_year_code(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'CVE-2024-21762' -> 'xê vê e hai nghìn không trăm hai mươi tư hai một bảy sáu hai':
    a register's letters, the year said as a year, the serial digit by digit."""
    return "", f"{_spell(m['p'], data)} {read_integer_string(m['y'])} {read_digits(m['n'])}"


def v_leading_zero(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'BRT 01' -> 'không một': after a code's capitals a written leading zero is a digit,
    said; elsewhere '07 đảng viên' is a count and '08 giờ' a time (cardinals)."""
    return "", read_digits(m["n"])


def v_number_letter(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'Quốc lộ 4D' -> 'bốn đê', 'lớp 10A' -> 'mười a', '3D' -> 'ba đê': a number and one
    capital letter, the letter said by its Vietnamese name."""
    return "", f"{read_integer_string(m['n'])} {_spell(m['l'], data)}"


def v_unit_after_count(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'hàng nghìn m3' -> 'hàng nghìn mét khối', 'vài trăm ha': a unit after a number
    said in words."""
    return m["kw"] + " ", _say_unit(m["u"], data)


def v_per_unit(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'100.000/mm3' -> 'một trăm nghìn trên mi li mét khối': a count for each unit."""
    scale = " ".join(m["scale"].split())
    body = " ".join(p for p in (read_number_token(m["n"]), scale) if p)
    out = f"{body} {number_words()['per_physical']} {_say_unit(m['u'], data)}"
    return "", _signed(m["sign"], out, False)


def v_coordinate(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """ "13°25'N" -> 'mười ba độ hai mươi lăm phút vĩ độ Bắc', "111°40'E" -> '... kinh độ
    Đông': a position at sea or on a map, the hemisphere letter said in full."""
    w = number_words()
    out = [read_integer_string(m["d"]), w.get("degree", "độ")]
    if m["m"]:
        out += [read_integer_string(m["m"]), w["minute"]]
    if m["s"]:
        out += [read_integer_string(m["s"]), w["second"]]
    if not m["h"]:
        # "12°18' vĩ độ Bắc": degrees and minutes with the hemisphere in words
        return ("", " ".join(out)) if m["m"] else None
    key = {"N": "lat_N", "S": "lat_S", "E": "lon_E", "W": "lon_W"}[m["h"]]
    return "", " ".join(out + [w.get(key, m["h"])])


def v_vessel(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'BĐ 96879 TS', 'QNg-90123-TS': a fishing boat's number (province letters, number,
    TS for thủy sản) is spelled and its digits read one by one."""
    return "", f"{_spell(m['p'].upper(), data)} {read_digits(m['n'])} {_spell(m['s'], data)}"


def v_doc_symbol(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'A/80/L.12', 'S/RES/2728': a UN or treaty document symbol, each part in turn (letters
    spelled, numbers read), the slashes and dots not said."""
    parts = re.findall(r"[A-Z]+|[0-9]+", m["c"])
    if not any(p.isdigit() for p in parts):
        return None
    return "", " ".join(read_integer_string(p) if p.isdigit() else _spell(p, data) for p in parts)


def v_initials(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'bé N.T.M.', 'ông N.V.A': a person's dotted initials are spelled letter by letter."""
    letters = re.findall(r"[A-ZĐ]", m[0])
    at_end = m[0].endswith(".") and m["end"] is not None  # the dot also ends the sentence
    return "", _spell("".join(letters), data) + ("." if at_end else "")


def v_race_time(m: re.Match[str], data: RuleData, caps: bool) -> Result:
    """'16:01.14', '3:32.65': a race time (minutes, seconds, hundredths), not a clock time:
    'mười sáu phút một giây mười bốn'."""
    w = number_words()
    return "", (
        f"{read_integer_string(m['m'])} {w['minute']} {read_int(int(m['s']))} {w['second']} "
        f"{read_integer_string(m['c'])}"
    )
