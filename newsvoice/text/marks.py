"""SSML-style inline marks in articles: ``<sub alias="spoken">written</sub>`` and
``<break time="700ms"/>``.

The subtitle shows the written text; the narration speaks the alias or pauses.
Marks are parsed once into spans so every later stage sees plain text plus
explicit spoken overrides, never raw tags.

Parsing is linear in the text: tags are matched by anchored patterns whose
quoted parts have a bounded length, and the closing ``</sub>`` of an opening tag
is looked up (bisect) in one precomputed list of closing tags, so unclosed marks
cannot make the scan backtrack over the rest of the article.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from newsvoice.errors import InputError

MAX_BREAK_MS = 10_000  # the --pause-paragraph/head/tail limit: a mark pauses no longer
_MAX_ATTR = 500  # longest alias or time value read as a mark (longer: plain text)

_OPEN_SUB = re.compile(
    rf"""<sub\s+alias\s*=\s*(?:"(?P<a1>[^"]{{0,{_MAX_ATTR}}})"|'(?P<a2>[^']{{0,{_MAX_ATTR}}})')\s*>""",
    re.IGNORECASE,
)
_CLOSE_SUB = re.compile(r"</sub\s*>", re.IGNORECASE)
_BREAK = re.compile(
    rf"""<break\s+time\s*=\s*(?:"(?P<t1>[^"<>]{{0,{_MAX_ATTR}}})"|'(?P<t2>[^'<>]{{0,{_MAX_ATTR}}})')\s*/?>""",
    re.IGNORECASE,
)
_TAG_START = re.compile(r"<(?:sub|break)\b", re.IGNORECASE)
_TIME = re.compile(r"\s*(?P<num>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>ms|s)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Span:
    """A piece of a sentence: plain text (alias None), a <sub> (alias set) or a break."""

    written: str
    alias: str | None = None
    break_ms: int = 0

    @property
    def is_break(self) -> bool:
        return self.break_ms > 0 and not self.written


def break_ms(value: str) -> int:
    """``700ms`` / ``1.5s`` -> milliseconds, capped to MAX_BREAK_MS; a malformed time
    (``1.2.3s``, ``.s``, ``..ms``) is an InputError naming it."""
    m = _TIME.fullmatch(value)
    if not m:
        raise InputError(f'malformed <break time="{value[:40]}"/>: use e.g. 700ms or 1.5s')
    ms = float(m.group("num")) * (1000 if m.group("unit").lower() == "s" else 1)
    return max(1, min(MAX_BREAK_MS, round(ms)))


def _marks(text: str) -> list[tuple[int, int, Span]]:
    """(start, end, span) of every mark, in order, in one pass."""
    closes: list[tuple[int, int]] | None = None
    found: list[tuple[int, int, Span]] = []
    pos = 0
    while (m := _TAG_START.search(text, pos)) is not None:
        start = m.start()
        if (b := _BREAK.match(text, start)) is not None:
            found.append(
                (start, b.end(), Span("", break_ms=break_ms(b.group("t1") or b.group("t2") or "")))
            )
            pos = b.end()
            continue
        if (o := _OPEN_SUB.match(text, start)) is not None:
            if closes is None:
                closes = [(c.start(), c.end()) for c in _CLOSE_SUB.finditer(text)]
            i = bisect.bisect_left(closes, (o.end(), -1))
            if i < len(closes):
                c_start, c_end = closes[i]
                alias = o.group("a1") if o.group("a1") is not None else o.group("a2")
                written = text[o.end() : c_start]
                # nothing written to show for the alias: the alias is the text (an empty written
                # part gave the word segmenter an empty word, and its Rust core panicked)
                span = Span(written, alias=alias) if written.strip() else Span(alias)
                found.append((start, c_end, span))
                pos = c_end
                continue
        pos = start + 1  # not a mark: plain text
    return found


def mark_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every mark, for stages that must step over them unread."""
    return [(s, e) for s, e, _ in _marks(text)]


def parse_marks(text: str) -> list[Span]:
    """Split text into plain, <sub> and <break> spans (plain spans keep whitespace)."""
    spans: list[Span] = []
    pos = 0
    for start, end, span in _marks(text):
        if start > pos:
            spans.append(Span(text[pos:start]))
        spans.append(span)
        pos = end
    if pos < len(text):
        spans.append(Span(text[pos:]))
    return spans


def strip_marks(text: str) -> str:
    """The written text a viewer sees: marks replaced by their written part."""
    return "".join(s.written for s in parse_marks(text))


def has_marks(text: str) -> bool:
    return bool(_marks(text))


def leading_break(text: str) -> tuple[int, str]:
    """Split off <break> marks that open ``text``: (their total ms, the rest).
    A break at the start of a sentence belongs after the previous one."""
    ms = 0
    rest = text
    while True:
        stripped = rest.lstrip()
        m = _BREAK.match(stripped)
        if not m:
            return ms, rest
        ms += break_ms(m.group("t1") or m.group("t2") or "")
        rest = stripped[m.end() :]
