"""Text normalisation: written Vietnamese news text -> what a newsreader says.

CONTRACT:
    Normalizer(lexicon_paths: Sequence[Path] = ()) ; .normalize(text: str) -> str
The result is NFC, lower or mixed case, contains no ASCII digits, and keeps
the text's punctuation where it helps prosody (commas, full stops).

Pipeline (see pipeline.py for the order of the classes): clean the text, freeze each
recognised class into a spoken span, join numeric spans into ranges, expand abbreviations,
Roman numerals and acronyms, then put the spoken spans back with spaces around them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

from newsvoice.findings import Finding
from newsvoice.text.normalize.classes import NUMERIC, Rule, RuleData, v_web
from newsvoice.text.normalize.flags import Note, findings_for, latin_known
from newsvoice.text.normalize.glued import default_inventory, plain_syllables, unglue
from newsvoice.text.normalize.lexicon import (
    LETTERS_FILE,
    LEXICON_FILES,
    asset_path,
    load_rows,
    load_tsv,
    merge_tables,
)
from newsvoice.text.normalize.numbers import number_words, read_integer_string
from newsvoice.text.normalize.pipeline import (
    DIMENSION_JOIN,
    GLUED_HYPHEN,
    MAX_SPANS,
    RANGE_JOIN,
    SPAN_CHARS,
    WEB,
    WEB_HINT,
    WEB_RULE_NAME,
    Spans,
    build_rules,
)
from newsvoice.text.normalize.syllables import is_caps_line

__all__ = ["Normalizer"]

_PRIVATE_USE = re.compile(SPAN_CHARS)
_ASCII_DIGITS = re.compile(r"[0-9]+")
_OTHER_DIGITS = re.compile(r"(?![0-9])\d")
_SPAN = re.compile(SPAN_CHARS)
_SPACES = re.compile(r"\s+")
# Characters after which a spoken span needs no space before it, and before which none after.
_OPENERS = frozenset("([{“‘\"'«/ \t\n")
_CLOSERS = frozenset(")]}”’\"'»,.;:!?… \t\n")
# Long inputs are cut at spaces into pieces this long, so spans never run out.
_CHUNK = MAX_SPANS // 2


def _context_table(path: Path) -> dict[str, frozenset[str]]:
    """contexts.tsv (word -> class) as class -> words."""
    by_class: dict[str, set[str]] = {}
    for word, cls in load_rows(path):
        by_class.setdefault(cls.strip(), set()).add(word.lower())
    return {k: frozenset(v) for k, v in by_class.items()}


def _code_table(path: Path) -> dict[str, tuple[str, str]]:
    """codes.tsv (prefix, spoken, kind) as prefix -> (spoken, kind)."""
    out: dict[str, tuple[str, str]] = {}
    for prefix, rest in load_rows(path):
        spoken, _, kind = rest.rpartition(" ")
        out[prefix] = (spoken, kind) if spoken else (rest, "word")
    return out


class Normalizer:
    """Written Vietnamese news text -> the words a newsreader says; user TSVs override."""

    def __init__(self, lexicon_paths: Sequence[Path] = ()) -> None:
        lexicon = merge_tables(
            [asset_path(n) for n in LEXICON_FILES] + [Path(p) for p in lexicon_paths]
        )
        currencies = load_tsv(asset_path("currencies.tsv"))
        self.data = RuleData(
            # a currency code after a number is a unit too ("1.350 JPY/kg")
            units={**currencies, **load_tsv(asset_path("units.tsv"))},
            contexts=_context_table(asset_path("contexts.tsv")),
            letters=load_tsv(asset_path(LETTERS_FILE)),
            lexicon=lexicon,
            symbols=load_tsv(asset_path("symbols.tsv")),
            currencies=currencies,
            codes=_code_table(asset_path("codes.tsv")),
            web=load_tsv(asset_path("web.tsv")),
            latin=frozenset(w.lower() for w in latin_known()),
            plain_syllables=plain_syllables(),
        )
        self._web_rule = Rule(WEB_RULE_NAME, WEB, "word", v_web)
        self._digit_rules, self._word_rules = build_rules(self.data)
        self._syllables = default_inventory()

    def normalize(self, text: str) -> str:
        """Spoken form of one line of written text (never raises, never leaves a digit)."""
        return self._run(text, None)

    def normalize_with_findings(
        self, text: str, *, sentence: int | None = None
    ) -> tuple[str, list[Finding]]:
        """The spoken form and the readings a producer should check (flags.py says which).
        A separate entry point so the plain path records nothing and stays fast."""
        notes: list[Note] = []
        cleaned = self._clean(text)
        unglued = unglue(cleaned, self._syllables)
        out = self._run(text, notes)
        return out, findings_for(cleaned, unglued, notes, out, self.data, sentence=sentence)

    def _run(self, text: str, notes: list[Note] | None) -> str:
        text = unglue(self._clean(text), self._syllables)
        if len(text) > _CHUNK:
            return " ".join(self._run(p, notes) for p in _chunks(text, _CHUNK))
        try:
            out = self._normalize(text, notes)
        except Exception:  # the contract is "never crashes": degrade to reading digits
            out = text
        out = unicodedata.normalize("NFC", out)
        return _read_stray_digits(out) if _has_digit(out) else out

    # -- steps ---------------------------------------------------------------------------

    @staticmethod
    def _clean(text: str) -> str:
        """NFC, no private-use characters, other scripts' digits as ASCII digits."""
        text = unicodedata.normalize("NFC", str(text))
        text = _PRIVATE_USE.sub(" ", text).replace("\u00a0", " ").replace("º", "°")
        if _OTHER_DIGITS.search(text):
            text = _OTHER_DIGITS.sub(lambda m: str(unicodedata.decimal(m[0], 0)), text)
        return text

    def _normalize(self, text: str, notes: list[Note] | None = None) -> str:
        spans = Spans(notes=notes)
        caps = is_caps_line(text)
        if WEB_HINT.search(text):
            text = self._apply(self._web_rule, text, spans, caps)
        if _has_digit(text):
            for rule in self._digit_rules:
                text = self._apply(rule, text, spans, caps)
            text = DIMENSION_JOIN.sub(lambda m: _join_dimension(m, spans, self.data), text)
            text = RANGE_JOIN.sub(lambda m: _join_range(m, spans), text)
            text = GLUED_HYPHEN.sub(" ", text)
        for rule in self._word_rules:
            text = self._apply(rule, text, spans, caps)
        return _SPACES.sub(" ", _thaw(text, spans)).strip()

    def _apply(self, rule: Rule, text: str, spans: Spans, caps: bool) -> str:
        """Run one tagger over the text and freeze what its verbaliser says."""
        needs = rule.needs
        if needs:
            for n in needs:  # a loop, not any(genexpr): this runs ~60 times a sentence
                if n in text:
                    break
            else:
                return text
        if rule.hint is not None and rule.hint.search(text) is None:
            return text

        def sub(m: re.Match[str]) -> str:
            res = rule.verbalise(m, self.data, caps)
            if res is None:
                return m[0]
            keep, spoken = res
            if spans.notes is not None:
                spans.notes.append(
                    Note(
                        rule.name,
                        m[0],
                        keep,
                        spoken,
                        _thaw(m.string[max(0, m.start() - 30) : m.start()], spans),
                    )
                )
            return keep + spans.freeze(rule.kind, spoken)

        return rule.pattern.sub(sub, text)


def _has_digit(text: str) -> bool:
    return any("0" <= c <= "9" for c in text)


def _read_stray_digits(text: str) -> str:
    """Last line of defence (digits from a user lexicon, or after an internal error)."""

    def say(m: re.Match[str]) -> str:
        i, j = m.start(), m.end()
        before = " " if i and text[i - 1].isalnum() else ""
        after = " " if j < len(text) and text[j].isalnum() else ""
        return before + read_integer_string(m[0]) + after

    return _ASCII_DIGITS.sub(say, text)


def _join_range(m: re.Match[str], spans: Spans) -> str:
    """'2020 - 2025', '50-80 mm', '19.8.1945-19.8.2025': two numeric spans make a range."""
    a, b = m[1], m[2]
    if spans.kind(a) == NUMERIC and spans.kind(b) == NUMERIC:
        return f"{a} {number_words()['range']} {b}"
    return m[0]


def _join_dimension(m: re.Match[str], spans: Spans, data: RuleData) -> str:
    """'40x60 cm', '2 × 3 m': an x between two numbers is 'nhân' (symbols.tsv)."""
    nxt = m.string[m.end()]
    if spans.kind(m[1]) != NUMERIC or spans.kind(nxt) != NUMERIC:
        return m[0]
    return f"{m[1]} {spans.freeze(NUMERIC, data.symbols.get('x', 'nhân'))} "


def _thaw(text: str, spans: Spans) -> str:
    """Put the spoken words back, with a space wherever they touch a word."""
    if not spans.spoken:
        return text
    n = len(text)

    def put(m: re.Match[str]) -> str:
        i = m.start()
        before = "" if i == 0 or text[i - 1] in _OPENERS else " "
        after = "" if i + 1 >= n or text[i + 1] in _CLOSERS else " "
        return before + spans.text(m[0]) + after

    return _SPAN.sub(put, text)


def _chunks(text: str, size: int) -> list[str]:
    """Cut at whitespace into pieces of at most ``size`` characters."""
    out: list[str] = []
    while len(text) > size:
        cut = text.rfind(" ", 0, size)
        cut = cut if cut > 0 else size
        out.append(text[:cut])
        text = text[cut:]
    out.append(text)
    return out
