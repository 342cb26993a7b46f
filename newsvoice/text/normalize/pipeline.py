"""The taggers, in the order they run, and the span-freezing machinery.

Each rule rewrites the classes it recognises into a *frozen span*: one private-use character
standing for the spoken words, so later rules never re-read them (the "TW" of a consumed
"96-QĐ/TW" is not expanded again, the digits of "Covid-19" are not read again). Order goes
from the most specific digit-bearing shapes (codes, dates, phones) to plain cardinals, then
ranges are joined, then the word-level classes (lexicon, Roman numerals, acronyms) run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from newsvoice.text.normalize.classes import (
    DASH,
    LETTER,
    NOT_LETTER_AFTER,
    NUM,
    NUMERIC,
    SCALE_WORDS,
    SCALES,
    SIGN,
    WORD,
    Rule,
    RuleData,
    context_pattern,
    lexicon_verbaliser,
    v_acronym,
    v_alnum_code,
    v_alnum_lower,
    v_cardinal,
    v_clause_letters,
    v_code,
    v_coordinate,
    v_currency_pair,
    v_dash_chain,
    v_date_desc,
    v_date_dm,
    v_date_dmy,
    v_date_kw,
    v_day_range,
    v_digits,
    v_doc_symbol,
    v_initials,
    v_leading_zero,
    v_letter_slash,
    v_masked_number,
    v_measure,
    v_money_prefix,
    v_month,
    v_month_range,
    v_month_year,
    v_number_letter,
    v_ordinal,
    v_paren_abbr,
    v_per_unit,
    v_percent_word,
    v_phone,
    v_plate,
    v_quarter,
    v_race_time,
    v_ratio,
    v_road_km,
    v_roman_context,
    v_roman_free,
    v_score,
    v_score_list,
    v_score_run,
    v_score_teams,
    v_season,
    v_service_digits,
    v_symbol,
    v_time,
    v_unit_after_count,
    v_version,
    v_vessel,
    v_word_over_number,
    v_word_ratio,
    v_year_code,
)
from newsvoice.text.normalize.lexicon import trie_pattern

# Frozen spans are private-use characters; input text has them removed first.
SPAN_BASE = 0xE000
SPAN_LIMIT = 0xF8FF
SPAN_CHARS = f"[\\u{SPAN_BASE:04x}-\\u{SPAN_LIMIT:04x}]"
_WORD_OR_SPAN = f"[\\w\\u{SPAN_BASE:04x}-\\u{SPAN_LIMIT:04x}]"
MAX_SPANS = SPAN_LIMIT - SPAN_BASE + 1

_D12 = r"[0-9]{1,2}"
_Y4 = r"[0-9]{4}"
# Up to two words before a number, to look for a context word ("tỷ lệ 2/3", "ngày 4/5").
_PRE = rf"(?:(?P<pre>(?<!\w){LETTER}+(?:\s+{LETTER}+)?)\s+)?"
# An integer, possibly with dotted thousands (3.500/4.000).
_INT = r"[0-9]{1,3}(?:\.[0-9]{3})+(?![0-9])|[0-9]+"
_END_NUM = r"(?![0-9]|[/.,\-][0-9])"
# One score of a list in brackets, with an optional tie-break: "7-6(5)".
_PAIR = r"[0-9]{1,2}\s*[-–:]\s*[0-9]{1,2}(?:\s*\([0-9]{1,2}\))?"
# One score of a list without brackets: "6-3, 4-6, 7-6(5)".
_RUN_PAIR = r"[0-9]{1,2}\s*[-–]\s*[0-9]{1,2}(?:\([0-9]{1,2}\))?"
# Web and e-mail addresses (lower-case top-level domains only, so "TP.HCM" is no address).
_TLD = (
    r"(?:vn|com|net|org|gov|edu|info|io|biz|asia|me|tv|app|ai|co|uk|us|int|online|site|store"
    r"|news|jp|kr|cn|fr|de|au|sg|la|kh|th)"
)
WEB = re.compile(
    r"(?<![\w@./])(?:[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"
    rf"|(?:https?://)?[A-Za-z0-9][A-Za-z0-9\-]*(?:\.[A-Za-z0-9\-]+)*\.{_TLD}(?![\w\-])"
    r"(?:/[A-Za-z0-9\-._~/%?=&]*[A-Za-z0-9/])?)(?![\w@])"
)
WEB_HINT = re.compile(rf"@|\.{_TLD}\b")
WEB_RULE_NAME = "web"


@dataclass
class Spans:
    """The spoken spans of one normalize() call (per call, never shared)."""

    kinds: list[str] = field(default_factory=list)
    spoken: list[str] = field(default_factory=list)
    notes: list | None = None  # findings mode only: one flags.Note per reading

    def freeze(self, kind: str, text: str) -> str:
        self.kinds.append(kind)
        self.spoken.append(text)
        return chr(SPAN_BASE + len(self.spoken) - 1)

    def kind(self, ch: str) -> str:
        return self.kinds[ord(ch) - SPAN_BASE]

    def text(self, ch: str) -> str:
        return self.spoken[ord(ch) - SPAN_BASE]


def _lexicon_pattern(keys: list[str]) -> re.Pattern[str]:
    """Whole-token match of literal keys; a key ending in a letter may be followed by a digit
    ('QL14B'), one ending in a digit by neither, one ending in punctuation ('TP.') by anything.
    A key starting with a digit does not start after a decimal point ('5G' in '5.5G')."""
    boundary = rf"(?:(?<={LETTER}){NOT_LETTER_AFTER}|(?<=[0-9])(?![0-9A-Za-z])|(?<![\w]))"
    start = r"(?<![\w])(?:(?![0-9])|(?<![0-9][.,]))"
    return re.compile(rf"{start}{trie_pattern(keys)}{boundary}")


_SI_PREFIX = frozenset("kKMGTPE")


def unit_keys(units: Mapping[str, str]) -> list[str]:
    """The unit symbols a number may take. A capitalised word is a name, not a unit ("3.0
    Tesla", "Mach"), unless it is a prefixed unit ("Mbps", "Gflops") or a unit in capitals
    at a sentence start ("Byte")."""

    def is_name(key: str) -> bool:
        if not re.fullmatch(r"[A-Z][a-z]{3,}", key):
            return False
        return not (key.lower() in units or (key[0] in _SI_PREFIX and key[1:] in units))

    return sorted(k for k in units if not is_name(k))


# Characters without which a rule cannot match: its regex is not run on text lacking them.
_NEEDS: dict[str, tuple[str, ...]] = {
    "doc_symbol": ("/",),
    "coordinate": ("°",),
    "vessel": ("TS",),
    "per_unit": ("/",),
    "race_time": (":",),
    "letter_slash": ("/",),
    "road_km": ("Km", "KM", "km"),
    "score_list": ("(",),
    "score_run": (",",),
    "ratio": ("/", ":"),
    "money_prefix": ("$", "€", "£"),
    "time_colon": (":",),
    "paren_abbr": ("(",),
    "currency_pair": ("/",),
    "word_ratio": ("/",),
    "percent_word": ("%",),
    "code": ("/", "-"),
    "month_year_bare": ("/",),
    "month_year": ("/", "-"),
    "month_range": ("/",),
    "day_range": ("/",),
    "date_dm": ("/",),
    "season": ("/", "-", "–"),
    "date_dmy": ("/", ".", "-"),
    "dash_chain": ("-",),
    "score_teams": ("-", "–"),
    "score": ("-", "–", ":"),
    "date_desc": ("-",),
    "date_kw": (".", "-"),
    "time_h": ("h", "H"),
    "time_g": ("g",),
    "roman_free": ("I", "V", "X"),
    "word_over_number": ("/",),
    "year_code": ("-",),
    "unit_after_count": (
        "nghìn",
        "ngàn",
        "triệu",
        "tỷ",
        "tỉ",
        "vạn",
        "trăm",
        "chục",
        "Trăm",
        "Chục",
    ),
}


# Cheap regexes without a match of which a rule cannot match (one class scan, not the
# rule's lookbehinds at every position).
_HINTS: dict[str, re.Pattern[str]] = {
    "alnum_lower": re.compile(r"[a-z][0-9]"),
    "version": re.compile(r"[0-9]\.[0-9]"),
    "initials": re.compile(r"[A-ZĐ]\.[A-ZĐ]"),
    "masked_number": re.compile(r"[0-9][Xx]|[.\- ][Xx]{2}"),
    "number_letter": re.compile(r"[0-9][A-ZĐ]"),
    "leading_zero": re.compile(r"[A-ZĐ] 0"),
    "code_digits": re.compile(r"(?i:imo|mmsi|mã|số hiệu)"),
    "roman_context": re.compile(r"\s[IVXLCDM]"),
    "date_kw": re.compile(r"[0-9][.\-][0-9]"),
    "time_h": re.compile(r"[0-9][hH]"),
    "time_g": re.compile(r"[0-9]g[0-5]"),
    "quarter": re.compile(r"(?i:quý)"),
    "clause_letters": re.compile(r"(?i:điểm|tiết) [a-zđ](?![\w])"),
}


def build_rules(data: RuleData) -> tuple[list[Rule], list[Rule]]:
    """(rules for text with digits, digit-bearing lexicon entries first; word rules that run
    after ranges are joined)."""
    units = trie_pattern(unit_keys(data.units))
    unit_re = rf"(?:{units})(?!{LETTER}|\.{LETTER})"  # "vòng 7 V.League" is no volt
    per = rf"(?:/(?:(?:[0-9]{{1,3}}(?:\.[0-9]{{3}})+|[0-9]{{1,4}})\s?)?(?:{unit_re}|{LETTER}+))*"  # đồng/kg, lít/100 km
    date_kw = context_pattern(data, "date")
    digit_keys = [k for k in data.lexicon if any(c.isdigit() for c in k)]
    word_keys = [k for k in data.lexicon if not any(c.isdigit() for c in k)]

    def r(name: str, pattern: str, kind: str, fn, flags: int = 0) -> Rule:
        return Rule(
            name, re.compile(pattern, flags), kind, fn, _NEEDS.get(name, ()), _HINTS.get(name)
        )

    digit_rules = [
        r(
            "lexicon_digits",
            _lexicon_pattern(digit_keys).pattern,
            WORD,
            lexicon_verbaliser(lambda s, i: True),
        ),
        r(
            "doc_symbol",
            r"(?<![\w/])(?P<c>[A-Z]{1,4}(?:/(?:[A-Z]{1,4}|[0-9]{1,4})(?:\.[0-9]{1,3})?){2,})(?![\w/])",
            WORD,
            v_doc_symbol,
        ),
        r(
            "coordinate",
            r"(?<![0-9.,])(?P<d>[0-9]{1,3})\s?°\s?(?:(?P<m>[0-9]{1,2})\s?['′’]"
            r"(?:\s?(?P<s>[0-9]{1,2})\s?[\"″”])?)?(?:\s?(?P<h>[NSEW])(?![\w]))?",
            WORD,
            v_coordinate,
        ),
        r(
            "vessel",
            r"(?<![\w\-])(?P<p>[A-ZĐ][A-ZĐa-z]{1,3})[\s\-.]?(?P<n>[0-9]{4,6})[\s\-.]?(?P<s>TS)(?![\w])",
            WORD,
            v_vessel,
        ),
        r(
            "masked_number",
            r"(?<![\w.,/])(?P<m>[0-9][0-9Xx]*(?:[.\- ][0-9Xx]{2,}){1,4})(?![\w]|[.,][0-9])",
            WORD,
            v_masked_number,
        ),
        r(
            "alnum_lower",
            r"(?<![\w.@/\-])(?<![0-9] )(?P<l>[a-z]{1,3})(?P<d>[0-9]{2,6})(?![\w@]|[.,\-/]\w)",
            WORD,
            v_alnum_lower,
        ),
        r(
            "alnum_code",
            r"(?=[A-ZĐ])(?:(?<![\w.\-/])|(?<=(?<!\w)[A-ZĐ]/))(?P<c>(?:[A-ZĐ]{2,4}\.?|[A-ZĐ])[0-9]+"
            r"(?:\.?[A-ZĐ]{1,3}[0-9]*|\.[0-9]+)*)(?![\w\-]|[.,][0-9])",
            WORD,
            v_alnum_code,
        ),
        r("letter_slash", rf"(?<![\w/])(?P<l>[A-ZĐ])/(?={SPAN_CHARS})", WORD, v_letter_slash),
        r(
            "code",
            r"(?<![\w/.\-])(?P<num>[0-9]+)(?:/(?P<year>[0-9]{4}))?[/\-]"
            r"(?P<suf>[A-ZĐ]{2}[A-ZĐa-zđ0-9&]*(?:[\-/.][A-ZĐa-zđ0-9&]+)*)",
            WORD,
            v_code,
        ),
        r(
            "road_km",
            r"(?<!\w)(?:(?:Km|KM|km)\s?(?P<a>[0-9]+)\+(?P<b>[0-9]+)|(?:Km|KM)\s?(?P<a2>[0-9]+))"
            r"(?![0-9]|[.,][0-9])",
            NUMERIC,  # "Km 130-Km 140" is a range
            v_road_km,
        ),
        r(
            "score_list",
            rf"\((?P<body>\s*{_PAIR}(?:\s*[,;]\s*{_PAIR})*)(?P<tail>\s+{LETTER}+(?:\s+{LETTER}+)?)?"
            r"\s*\)",
            WORD,
            v_score_list,
        ),
        r(
            "score_run",
            rf"(?<![\w.,/\-]){_RUN_PAIR}(?:\s*,\s*{_RUN_PAIR})+{_END_NUM}",
            WORD,
            v_score_run,
        ),
        r(
            "score",
            rf"(?P<kw>{context_pattern(data, 'score')})(?P<mid>(?:\s+{LETTER}+){{0,6}}?)\s+"
            rf"(?P<a>{_D12})\s*[-–:]\s*(?P<b>{_D12}){_END_NUM}",
            WORD,
            v_score,
        ),
        r(
            "score_teams",
            rf"(?<=[\w{SPAN_CHARS[1:-1]}] )(?P<a>{_D12})\s*[-–]\s*(?P<b>{_D12})"
            rf"(?=\s+(?:{LETTER}|{SPAN_CHARS}))",
            WORD,
            v_score_teams,
        ),
        r(
            "season",
            rf"(?<![0-9.,/])(?P<a>(?:19|20)[0-9]{{2}})\s*(?P<sep>[/\-–])\s*(?P<b>[0-9]{{4}}|[0-9]{{2}})"
            rf"{_END_NUM}",
            NUMERIC,
            v_season,
        ),
        r(
            "date_dmy",
            rf"(?<![0-9.,/])(?P<d>{_D12})(?P<sep>[/.\-])(?P<m>{_D12})(?P=sep)(?P<y>{_Y4})"
            r"(?![0-9]|[/.,][0-9])",
            NUMERIC,
            v_date_dmy,
        ),
        r(
            "dash_chain",
            r"(?<![\w.,/\-])[0-9]{1,3}(?:-[0-9]{1,3}){2,}(?![\w\-]|[.,][0-9])",
            WORD,
            v_dash_chain,
        ),
        r(
            "month_range",
            rf"(?:(?P<kw>(?<!\w)(?i:tháng))\s+)?(?<![0-9.,/])(?P<m1>{_D12})\s*[-–]\s*"
            rf"(?P<m2>{_D12})/(?P<y>{_Y4}){_END_NUM}",
            NUMERIC,
            v_month_range,
        ),
        r(
            "day_range",
            rf"(?<![0-9.,/])(?P<d1>{_D12})\s*[-–]\s*(?P<d2>{_D12})/(?P<m>{_D12})"
            rf"(?:/(?P<y>{_Y4}))?(?![0-9]|[/.][0-9])",
            NUMERIC,
            v_day_range,
        ),
        r(
            "quarter",
            rf"(?P<kw>(?<!\w)(?i:quý))\s+(?P<q>IV|I{{1,3}}|[1-4])(?:\s*[/\-]\s*(?P<y>{_Y4}))?"
            r"(?![\w])(?![/.,\-][0-9])",
            NUMERIC,
            v_quarter,
        ),
        r(
            "month_year",
            rf"(?:(?P<kw>(?<!\w)(?i:tháng))\s+)(?P<m>{_D12})\s*[/\-]\s*(?P<y>{_Y4}){_END_NUM}",
            NUMERIC,
            v_month_year,
        ),
        r(
            "month_year_bare",
            rf"{_PRE}(?<![0-9.,/\-])(?P<kw>)(?P<m>{_D12})/(?P<y>{_Y4}){_END_NUM}",
            NUMERIC,
            v_month_year,
        ),
        r("month", rf"(?P<kw>(?<!\w)(?i:tháng))\s+(?P<m>{_D12}){_END_NUM}", NUMERIC, v_month),
        r(
            "phone",
            r"(?<![\w.,/])(?P<p>(?:\+84|\(\+84\)|\(0[0-9]{1,3}\)|0[0-9]{1,4}|1[89]00)"
            r"(?:[ .\-]?[0-9]{2,4}){1,4})(?![\w]|[.,][0-9])",
            WORD,
            v_phone,
        ),
        r(
            "plate",
            r"(?<![\w.])(?P<a>[0-9]{2})-?(?P<s>[A-Z]{1,2}[0-9]?)"
            r"(?:[\-.]?(?P<b>[0-9]{3}\.[0-9]{2}|[0-9]{4,5})|\s(?P<b2>[0-9]{3}\.[0-9]{2}))"
            r"(?![\w]|[.,][0-9])",
            WORD,
            v_plate,
        ),
        r(
            "time_h",
            r"(?<![0-9/.,])(?P<h>[01]?[0-9]|2[0-4])[hH](?P<m>[0-5][0-9])?"
            rf"(?P<suf>'|p(?!{LETTER})|ph(?!{LETTER}))?(?![0-9]){NOT_LETTER_AFTER}",
            NUMERIC,
            v_time,
        ),
        r(
            "time_g",
            r"(?<![0-9/.,])(?P<h>[01]?[0-9]|2[0-3])g(?P<m>[0-5][0-9])(?![\w])",
            NUMERIC,
            v_time,
        ),
        r(
            "race_time",
            r"(?<![0-9:/.,])(?P<m>[0-9]{1,2}):(?P<s>[0-5][0-9])[.,](?P<c>[0-9]{1,2})(?![0-9]|[.,:][0-9])",
            NUMERIC,
            v_race_time,
        ),
        r(
            "time_colon",
            r"(?<![0-9:/.,])(?P<h>[01]?[0-9]|2[0-4]):(?P<m>[0-5][0-9])"
            r"(?::(?P<s>[0-5][0-9]))?(?![0-9]|:[0-9])",
            NUMERIC,
            v_time,
        ),
        r(
            "date_kw",
            rf"(?P<kw>{date_kw})\s+(?P<d>{_D12})(?P<sep>[.\-])(?P<m>{_D12})"
            r"(?![0-9]|[/.\-,][0-9])",
            NUMERIC,
            v_date_kw,
        ),
        r(
            "date_desc",
            rf"(?<![0-9.,/\-])(?P<d>{_D12})-(?P<m>{_D12})(?![0-9]|[/.,\-][0-9])"
            rf"(?!\s*(?:{unit_re}|{SCALE_WORDS}))",
            NUMERIC,
            v_date_desc,
        ),
        r(
            "date_dm",
            rf"{_PRE}(?<![0-9/.,])(?P<d>{_D12})/(?P<m>{_D12})(?![0-9]|[/.,][0-9])"
            rf"(?=(?P<post>\s+{LETTER}+(?:\s+{LETTER}+)?))?",
            NUMERIC,
            v_date_dm,
        ),
        r(
            "ratio",
            rf"(?<![0-9/.,:])(?P<a>{_INT}(?:,[0-9]+(?=/))?)[/:](?P<b>(?:{_INT})(?:,[0-9]+)?)"
            rf"(?:(?P<h>h)(?!{LETTER}))?(?![0-9]|[/:][0-9])(?:[ \t]?(?P<unit>{unit_re}))?",
            NUMERIC,
            v_ratio,
        ),
        r(
            "ordinal",
            r"(?P<kw>(?<!\w)(?i:thứ))\s+(?P<n>[0-9]{1,3})(?![0-9]|[.,/][0-9])",
            WORD,
            v_ordinal,
        ),
        r(
            "service_digits",
            rf"(?P<kw>{context_pattern(data, 'digits')})(?P<mid>(?:\s+(?i:số))?)\s+"
            r"(?P<n>[0-9]{3,5})(?![0-9]|[.,][0-9])",
            WORD,
            v_service_digits,
        ),
        r(
            "code_digits",
            rf"(?P<kw>{context_pattern(data, 'code_digits')})(?P<mid>(?:\s+(?i:số))?)\s+"
            r"(?P<n>[0-9]{5,12})(?![0-9]|[.,][0-9])",
            WORD,
            v_service_digits,
        ),
        r(
            "year_code",
            r"(?<![\w\-])(?P<p>[A-Z]{2,5})-(?P<y>(?:19|20)[0-9]{2})-(?P<n>[0-9]{3,7})(?![\w\-])",
            WORD,
            v_year_code,
        ),
        r(
            "money_prefix",
            rf"(?P<cur>[$€£])\s?(?P<n>{NUM})(?P<scale>{SCALES})",
            NUMERIC,
            v_money_prefix,
        ),
        r(
            "version",
            rf"(?P<pre>(?<!\w)(?:[A-ZĐ][\w\-]*|[a-z]+[A-Z]\w*|{context_pattern(data, 'version')}))\s+"
            r"(?P<a>[0-9]{1,2})\.(?P<b>[0-9]{1,2})(?![0-9]|[.,][0-9])"
            rf"(?!\s*(?:{SCALE_WORDS}|{unit_re}|[A-ZĐ]))",
            WORD,
            v_version,
        ),
        r(
            "per_unit",
            rf"(?<![^\W\d_]){SIGN}(?P<n>{NUM})(?P<scale>{SCALES})/(?P<u>{unit_re})",  # not m3/h
            NUMERIC,
            v_per_unit,
        ),
        r(
            "measure",
            rf"{SIGN}(?P<n>{NUM})(?P<scale>{SCALES})\s?"
            rf"(?:(?P<unit>{unit_re})|(?P<word>{LETTER}+)(?=/(?:[0-9]|{LETTER})))(?P<per>{per})",
            NUMERIC,
            v_measure,
        ),
        r(
            "leading_zero",
            r"(?<=[A-ZĐ] )(?P<n>0[0-9]{1,2})(?![\w\-]|[.,:/][0-9])"
            r"(?!\s*(?i:giờ|phút|giây|ngày|tháng|năm|tuổi)(?!\w))",
            NUMERIC,
            v_leading_zero,
        ),
        r(
            "number_letter",
            r"(?<![\w.,/\-])(?P<n>[0-9]{1,4})(?P<l>[A-ZĐ])(?![\w\-]|\.\w|['’])",
            NUMERIC,
            v_number_letter,
        ),
        r("cardinal", rf"{SIGN}(?P<n>{NUM})", NUMERIC, v_cardinal),
        r("digits", r"[0-9]+", NUMERIC, v_digits),
    ]
    roman_kw = context_pattern(data, "roman", "ordinal")
    currencies = trie_pattern(sorted(data.currencies))
    symbols = "".join(re.escape(c) for c in sorted(data.symbols) if c not in "+xX<>")
    counted = trie_pattern(
        sorted(u for u in data.units if u.isascii() and (len(u) >= 2 or not u.isalpha()))
    )
    unit_after_count = r(
        "unit_after_count",
        rf"(?P<kw>(?<!\w)(?i:{SCALE_WORDS}|trăm|chục))\s+(?P<u>{counted})(?![\w/]|\.\w)",
        WORD,
        v_unit_after_count,
    )
    digit_rules.insert(0, unit_after_count)  # "hàng nghìn m3": before the 3 is read
    word_rules = [
        unit_after_count,
        r("paren_abbr", r"\(\s*(?P<abbr>[A-ZĐ][A-Za-zĐđ&.\-]{1,11})\s*\)", WORD, v_paren_abbr),
        r(
            "currency_pair",
            rf"(?<![\w/])(?P<a>{currencies})/(?P<b>{currencies})(?![\w/])",
            WORD,
            v_currency_pair,
        ),
        r(
            "roman_context",
            rf"(?P<kw>{roman_kw})\s+(?P<r>[IVXLCDM]+)(?![\w])",
            WORD,
            v_roman_context,
        ),
        r(
            "initials",
            r"(?<![\w.])(?:[A-ZĐ]\.){2,3}[A-ZĐ](?:\.|(?![\w.]))(?P<end>(?=\s*$))?",
            WORD,
            v_initials,
        ),
        r("lexicon", _lexicon_pattern(word_keys).pattern, WORD, lexicon_verbaliser(_name_follows)),
        r(
            "word_ratio",
            rf"(?<![\w/])(?P<a>{LETTER}{{2,}})/(?P<b>{LETTER}{{2,}})(?![\w/])",
            WORD,
            v_word_ratio,
        ),
        r(
            "word_over_number",
            rf"(?<=[^\W\d_]{{2}})/(?={SPAN_CHARS})",
            WORD,
            v_word_over_number,
        ),
        r("roman_free", r"(?<![\w])(?P<r>(?=[IVX]{2,}(?![\w]))[IVX]+)(?![\w])", WORD, v_roman_free),
        r("percent_word", r"(?<![0-9\w])%", WORD, v_percent_word),
        r("acronym", r"(?<![\w])[A-ZĐ]{2,8}(?![\w])", WORD, v_acronym),
        r(
            "clause_letters",
            r"(?P<kw>\b(?:điểm|Điểm|tiết|Tiết))\s+(?P<l>[a-zđ](?:\s*,\s*[a-zđ])*)(?![\w])",
            WORD,
            v_clause_letters,
        ),
        r(
            "symbol",
            rf"(?=[{symbols}+<>])(?:[{symbols}]|(?<=[^\s(\[+])\+|(?<![^\s(])[<>](?=\s*{SPAN_CHARS})"
            rf"|(?<={_WORD_OR_SPAN} )\+(?= {_WORD_OR_SPAN}))",  # "15 phút + 10 giây"
            WORD,
            v_symbol,
        ),
    ]
    return digit_rules, word_rules


_NEXT_CHAR = re.compile(r"\s*(\S)")
_SPAN_RE = re.compile(SPAN_CHARS)


def _name_follows(text: str, end: int) -> bool:
    """After 'P.', 'Q.', 'H.', 'X.': a capitalised name or a number must follow."""
    m = _NEXT_CHAR.match(text, end)
    return m is not None and (m[1].isupper() or m[1].isdigit() or bool(_SPAN_RE.match(m[1])))


DIMENSION_JOIN = re.compile(rf"({SPAN_CHARS})[ \t]*[x×X][ \t]*(?={SPAN_CHARS})")
RANGE_JOIN = re.compile(rf"({SPAN_CHARS})[ \t]*{DASH}[ \t]*({SPAN_CHARS})")
GLUED_HYPHEN = re.compile(rf"(?<={LETTER})-(?={SPAN_CHARS})|(?<={SPAN_CHARS})-(?={LETTER})")
