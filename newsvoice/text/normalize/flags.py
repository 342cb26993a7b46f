"""Readings a producer should check: the normaliser's own doubts, as typed Findings.

Only ``Normalizer.normalize_with_findings`` records notes (one per reading a rule made), so
the plain ``normalize`` path pays nothing. A note becomes a flag when the rule that made it
decided on weak evidence; the reasons are stable rule ids the manifest and review page use:

- ``unknown-acronym``: capitals in none of the tables, spelled letter by letter, where
  the spelling is in doubt (:func:`acronym_in_doubt`);
- ``latin-word``: a Latin-script word that is not Vietnamese, left for the engine to say;
- ``weak-number-context``: a number pattern read one way with no context word saying so
  (a bare d/m taken for a date, a pair between two names taken for a score, a code of an
  unknown kind);
- ``glued-split``: a token split into syllables because scraping lost a space;
- ``weak-line-decision``: a line the article reader kept or dropped on a weak signal
  (text/article.py ``line_findings``: a short last line kept, a sentence-like line dropped);
- ``raw-symbol``: a symbol no rule read (a slash, a bar, a hash...) left in the spoken text.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass
from functools import lru_cache

from newsvoice.findings import CHECK, Finding
from newsvoice.text.normalize.classes import LETTER, WEB_GUESS, WEB_RAW, RuleData, web_pieces
from newsvoice.text.normalize.glued import _TOKEN, _TWO_VOWEL_RUNS, split_glued
from newsvoice.text.normalize.lexicon import asset_path, load_rows
from newsvoice.text.normalize.syllables import has_vietnamese_marks, is_caps_line, is_syllable

UNKNOWN_ACRONYM = "unknown-acronym"
LATIN_WORD = "latin-word"
WEAK_NUMBER = "weak-number-context"
GLUED_SPLIT = "glued-split"
WEAK_LINE = "weak-line-decision"
RAW_SYMBOL = "raw-symbol"


@lru_cache(maxsize=1)
def latin_known() -> frozenset[str]:
    """Latin words read as written and not worth a flag (assets/latin_known.tsv)."""
    return frozenset(w for w, _ in load_rows(asset_path("latin_known.tsv")))


@dataclass(frozen=True)
class Note:
    """One reading a rule made: which rule, the written match, kept text, what it says, and
    a little of the text before it (spans already spoken)."""

    rule: str
    written: str
    keep: str
    spoken: str
    before: str


_LAST_WORD = re.compile(rf"({LETTER}+)\W*$")
_RAW_SYMBOL = re.compile(r"[/|#*=<>\\^~]")
_LATIN = re.compile(r"(?<![\w@./])[A-Za-z]+(?:['’][a-z]+)?(?![\w@])")


def _match_context(text: str, data: RuleData) -> bool:
    """A match word ('vòng', 'sân', 'trận', 'V.League') in the line: a pair between two
    names there is a result beyond doubt."""
    words = re.findall(r"[^\W\d_][\w.]*[^\W\d_]|[^\W\d_]", text.lower())
    pairs = [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    return any(data.is_context("match", w) for w in words + pairs)


_ONSET = (
    "(?:bl|br|cl|cr|dr|fl|fr|gl|gr|pl|pr|tr|th|ch|ph|kh|sc|sk|sl|sm|sn|sp|st|sw|[b-df-hj-np-tv-z])"
)
_CODA = "(?:ng|nh|ch|nt|nd|st|ks|ps|rt|rk|rd|rs|ls|lt|[b-df-hj-np-tv-z])"
_SAID_AS_WORD = re.compile(rf"(?:{_ONSET}?[aeiouy]{{1,3}}{_CODA}?){{2,5}}", re.IGNORECASE)


def acronym_in_doubt(token: str, known: Container[str] = ()) -> bool:
    """Is spelling an unknown acronym a guess a producer should check? Spelling is how
    Vietnamese news says unknown initials (MSC, VFA, CMIT, NIHBT: no vowel pattern to say
    them by), so those are no doubt. In doubt: one with Đ (a Vietnamese newsroom short
    form, often said in full: ĐT = đội tuyển) and one of 4+ letters that reads as Latin
    syllables (GLOBOCAN, VAMA: some bodies are said as a word); and a ``known`` acronym
    with 3+ more letters glued on (EVNHANOI: a unit's name after its group's)."""
    if "Đ" in token.upper():
        return True
    if any(token[:i] in known for i in range(3, len(token) - 2)):
        return True
    return len(token) >= 4 and _SAID_AS_WORD.fullmatch(token) is not None


def _weak_reason(note: Note, data: RuleData, text: str = "") -> str | None:
    """Why a number reading is weak, or None when its context was clear."""
    if note.rule == "score_teams":
        if _match_context(text, data):
            return None
        return "a pair between two names read as a score"
    if note.rule == "date_desc":
        return "a bare d-m read as a date"
    if note.rule == "date_dm" and not note.keep.strip():
        last = _LAST_WORD.search(note.before)
        if not (
            last and (data.is_context("date", last[1]) or data.is_context("date_prep", last[1]))
        ):
            return "a bare d/m read as a date, no date word before it"
    if note.rule == "alnum_code":
        head = re.match(r"[A-ZĐ]+", note.written)
        digits = re.search(r"[0-9]{3,}", note.written)  # two digits are a number on air (U23, ST25)
        if (
            head
            and digits
            and head[0] not in data.codes
            and len(head[0]) >= 2
            and not _known_series(note, data)
        ):
            return "a letter-and-digit code of unknown kind"
    return None


def _known_series(note: Note, data: RuleData) -> bool:
    """Codes whose letters are a known acronym (U23, G20, H5N1...) are not in doubt."""
    head = re.match(r"[A-ZĐ]+", note.written)
    return head is not None and (head[0] in data.lexicon or len(head[0]) == 1)


_LABEL = re.compile(r"[A-Za-z]+")


def _guessed_label(address: str, data: RuleData) -> bool:
    """An address with a part cut by guess (a syllable never seen) or left for the engine;
    one cut into known words, seen syllables and spelled clusters is no doubt."""
    body = re.sub(r"^https?://", "", address, flags=re.I)
    for m in _LABEL.finditer(body):
        low = m[0].lower()
        if len(low) < 4 or low in data.web or low in data.latin:
            continue
        if any(k in (WEB_GUESS, WEB_RAW) for _, k in web_pieces(low, data)):
            return True
    return False


def findings_for(
    cleaned: str,
    unglued: str,
    notes: list[Note],
    spoken: str,
    data: RuleData,
    *,
    sentence: int | None = None,
) -> list[Finding]:
    """Flags for one normalised line (see the module doc for the reasons)."""
    where = f"sentence {sentence}" if sentence else "line"
    out: list[Finding] = []

    def flag(rule: str, token: str, reading: str, message: str) -> None:
        out.append(
            Finding(
                where,
                CHECK,
                rule,
                f"{token!r} read as {reading!r}: {message}",
                sentence=sentence,
                token=token,
                reading=reading,
            )
        )

    for note in notes:
        if note.rule == "acronym":
            if not acronym_in_doubt(note.written, data.lexicon):
                continue
            flag(
                UNKNOWN_ACRONYM,
                note.written,
                note.spoken,
                "unknown acronym, spelled letter by letter",
            )
            continue
        if note.rule == "web" and _guessed_label(note.written, data):
            flag(LATIN_WORD, note.written, note.spoken, "an address with a part read by guess")
            continue
        reason = _weak_reason(note, data, cleaned)
        if reason:
            flag(WEAK_NUMBER, note.written.strip(), note.spoken, reason)
    if unglued != cleaned:
        for m in _TOKEN.finditer(cleaned):
            if _TWO_VOWEL_RUNS.search(m[0]):
                pieces = split_glued(m[0])
                if len(pieces) > 1:
                    flag(
                        GLUED_SPLIT, m[0], " ".join(pieces), "split into syllables (a lost space?)"
                    )
    raw = _RAW_SYMBOL.search(spoken)  # the first is enough to look at the line
    if raw is not None:
        around = spoken[max(0, raw.start() - 12) : raw.end() + 12].strip()
        flag(RAW_SYMBOL, around, around, f"{raw[0]!r} left unread")
    caps_line = is_caps_line(cleaned)
    seen: set[str] = {
        w for n in notes if n.rule == "web" for w in n.spoken.split()
    }  # flagged above
    known = latin_known()
    for m in _LATIN.finditer(spoken):
        word = m[0]
        if (
            word in seen
            or word in known
            or word.lower() in data.latin  # "VietinBank" is "Vietinbank"
            or len(word) < 2
            or (is_syllable(word) and not (word.isupper() and not caps_line))
            or has_vietnamese_marks(word)
        ):
            continue
        if word[0].isupper() and word[1:].islower():
            continue  # a capitalised name: engines say names as written
        seen.add(word)
        flag(LATIN_WORD, word, word, "a Latin-script word left for the engine")
    return out
