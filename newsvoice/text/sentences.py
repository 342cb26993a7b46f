"""Sentence splitting for Vietnamese news text.

CONTRACT:  split_sentences(paragraph: str) -> list[str]
Each sentence is verbatim text of the paragraph (stripped), so that
"".join-ing them with single spaces gives back the paragraph modulo whitespace.

How: every run of terminal punctuation (". ! ? … ..." plus closing quotes or
brackets) is a candidate boundary; it becomes one when the next word starts a
sentence (capital letter, digit, opening quote) and the word before the dot is not
a dotted abbreviation ("TP.", "PGS.TS.") or a name initial ("N.H. Minh"), nor a list
number ("gồm: 1. Xây dựng…"). Abbreviations and sentence starters are data in
assets/sentences_*.tsv. A "." glued to a capitalised word ("100m.Đơn vị") is a
boundary too, with the same exceptions. Inline marks (<sub …>…</sub>, <break/>) are
opaque.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_TERMINAL_RUN = re.compile(r"[.!?…]+[”\"’'»)\]]*")
_CLOSERS = "”\"’'»)]"
_OPENERS = "“\"‘'«([-–—"
_INITIALS = re.compile(r"(?:[A-ZĐ]\.)*[A-ZĐ]")
_LIST_NUMBER = re.compile(r"\d{1,2}|[a-zđ]|[IVX]{1,4}")
_URLISH = re.compile(r"://|^\W*www\.|@|\.[a-z]{2,6}/", re.IGNORECASE)


@dataclass(frozen=True)
class SplitRules:
    """Data the splitter needs: dotted abbreviations by kind and sentence starters."""

    prefix: frozenset[str]
    final: frozenset[str]
    starters: frozenset[str]


def _data_lines(name: str) -> list[list[str]]:
    text = resources.files("newsvoice.assets").joinpath(name).read_text("utf-8")
    return [ln.split("\t") for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


@lru_cache(maxsize=1)
def default_rules() -> SplitRules:
    """Rules from assets/sentences_abbreviations.tsv and assets/sentences_starters.tsv."""
    abbrevs = _data_lines("sentences_abbreviations.tsv")
    return SplitRules(
        prefix=frozenset(r[0].strip() for r in abbrevs if r[1].strip() == "prefix"),
        final=frozenset(r[0].strip() for r in abbrevs if r[1].strip() == "final"),
        starters=frozenset(r[0].strip() for r in _data_lines("sentences_starters.tsv")),
    )


def _masked(text: str) -> str:
    """The text with inline marks blanked out (same length), so no boundary falls inside."""
    if "<" not in text:
        return text
    from newsvoice.text.marks import mark_spans  # linear, whatever unclosed marks the text holds

    out, pos = [], 0
    for start, end in mark_spans(text):
        out += [text[pos:start], "\x00" * (end - start)]
        pos = end
    return "".join(out) + text[pos:]


def _word_before(text: str, pos: int) -> tuple[str, int]:
    """The whitespace-delimited token ending at ``pos`` (quotes/brackets trimmed) and
    where it starts."""
    start = pos
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return text[start:pos].lstrip(_OPENERS).rstrip(_CLOSERS), start


def _next_word(text: str, pos: int) -> str:
    """The word after ``pos``, skipping spaces, opening quotes, dashes and blanked marks."""
    i = pos
    while i < len(text) and (text[i].isspace() or text[i] in _OPENERS or text[i] == "\x00"):
        i += 1
    j = i
    while j < len(text) and not text[j].isspace() and text[j] not in ',.;:!?…”"’)':
        j += 1
    return text[i:j]


def _is_list_number(text: str, token: str, start: int) -> bool:
    """ "1." in "gồm 3 hạng mục: 1. Xây dựng…; 2. Nâng cấp…" or at the paragraph start."""
    if not _LIST_NUMBER.fullmatch(token):
        return False
    before = text[:start].rstrip()
    return not before or before[-1] in ":;,(–-" or before.endswith((".", "!", "?"))


def _abbrev_kind(token: str, rules: SplitRules) -> str | None:
    """'prefix', 'final', 'initials' or None for the token before a dot."""
    for cand in (token, token.rsplit(".", 1)[-1]):
        if cand in rules.prefix:
            return "prefix"
        if cand in rules.final:
            return "final"
    if _INITIALS.fullmatch(token):
        return "initials"
    return None


def _starts_sentence(word: str) -> bool:
    return bool(word) and (word[0].isupper() or word[0].isdigit())


def _period_ends(text: str, m: re.Match[str], nxt: str, rules: SplitRules) -> bool:
    """Whether a '.' run followed by whitespace ends the sentence."""
    token, start = _word_before(text, m.start())
    if any(c in _CLOSERS for c in m.group()) and _starts_sentence(nxt):
        return True  # “Tốt.” Sau đó…  — the quote closed the sentence
    kind = _abbrev_kind(token, rules)
    if kind == "prefix":
        return False
    if kind == "final":
        return nxt[:1].isupper()
    if kind == "initials":
        return nxt in rules.starters
    if _is_list_number(text, token, start):
        return False
    return _starts_sentence(nxt)


def _glued_ends(text: str, m: re.Match[str], rules: SplitRules) -> bool:
    """A '.', '?' or '!' with no space before a capitalised word: "100m.Đơn vị"."""
    run = m.group()
    if run not in (".", "?", "!") or m.start() == 0:
        return False
    prev = text[m.start() - 1]
    if not (prev.islower() or prev.isdigit() or prev in '%)”"’'):
        return False
    after = text[m.end() : m.end() + 2]
    if len(after) < 2 or not (after[0].isupper() and after[1].islower()):
        return False
    token, start = _word_before(text, m.start())
    whole = text[start:].split(maxsplit=1)[0]  # the token on both sides of the dot
    if _URLISH.search(whole) or _abbrev_kind(token, rules) is not None:
        return False
    return not _is_list_number(text, token, start)


def boundaries(text: str, rules: SplitRules | None = None) -> list[int]:
    """Offsets in ``text`` where a new sentence starts (after the end punctuation)."""
    rules = rules or default_rules()
    masked = _masked(text)
    cuts: list[int] = []
    for m in _TERMINAL_RUN.finditer(masked):
        end = m.end()
        if end >= len(masked) or not masked[end:].strip(" \t\n\r\x00"):
            continue
        if not masked[end].isspace() and masked[end] != "\x00":
            if _glued_ends(masked, m, rules):
                cuts.append(end)
            continue
        if m.start() > 0 and masked[m.start() - 1] in "([":
            continue  # "(...)", "(?)"
        nxt = _next_word(masked, end)
        core = m.group().rstrip(_CLOSERS)
        if nxt[:1].islower():
            continue
        if "?" in core or "!" in core:
            ok = bool(nxt) or masked[end:].lstrip()[:1] in _OPENERS
        elif "…" in core or ".." in core:
            ok = nxt[:1].isupper()
        else:
            ok = _period_ends(masked, m, nxt, rules)
        if ok:
            cuts.append(end)
    return cuts


def split_sentences(paragraph: str) -> list[str]:
    """The sentences of one paragraph, verbatim and stripped, in order."""
    cuts = [0, *boundaries(paragraph), len(paragraph)]
    pieces = (paragraph[a:b].strip() for a, b in zip(cuts, cuts[1:], strict=False))
    return [p for p in pieces if p]


def repair_glued(text: str, rules: SplitRules | None = None) -> str:
    """Insert the missing space of glued sentences: "khoảng 100m.Đơn vị" ->
    "khoảng 100m. Đơn vị". "TP.HCM", "V.League", "1.000", URLs stay as they are."""
    rules = rules or default_rules()
    masked = _masked(text)
    out: list[str] = []
    pos = 0
    for m in _TERMINAL_RUN.finditer(masked):
        end = m.end()
        if end < len(masked) and not masked[end].isspace() and _glued_ends(masked, m, rules):
            out.append(text[pos:end])
            out.append(" ")
            pos = end
    out.append(text[pos:])
    return "".join(out)
