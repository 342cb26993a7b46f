"""SSML-style inline marks in articles: ``<sub alias="spoken">written</sub>`` and
``<break time="700ms"/>``.

The subtitle shows the written text; the narration speaks the alias or pauses.
Marks are parsed once into spans so every later stage sees plain text plus
explicit spoken overrides, never raw tags.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MARK = re.compile(
    r"""<sub\s+alias\s*=\s*(?P<q>["'])(?P<alias>.*?)(?P=q)\s*>(?P<written>.*?)</sub\s*>"""
    r"""|<break\s+time\s*=\s*(?P<q2>["'])(?P<time>[\d.]+)\s*(?P<unit>ms|s)(?P=q2)\s*/?>""",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class Span:
    """A piece of a sentence: plain text (alias None), a <sub> (alias set) or a break."""

    written: str
    alias: str | None = None
    break_ms: int = 0

    @property
    def is_break(self) -> bool:
        return self.break_ms > 0 and not self.written


def parse_marks(text: str) -> list[Span]:
    """Split text into plain, <sub> and <break> spans (plain spans keep whitespace)."""
    spans: list[Span] = []
    pos = 0
    for m in _MARK.finditer(text):
        if m.start() > pos:
            spans.append(Span(text[pos : m.start()]))
        if m.group("alias") is not None:
            spans.append(Span(m.group("written"), alias=m.group("alias")))
        else:
            value = float(m.group("time"))
            ms = value * 1000 if m.group("unit").lower() == "s" else value
            spans.append(Span("", break_ms=max(1, round(ms))))
        pos = m.end()
    if pos < len(text):
        spans.append(Span(text[pos:]))
    return spans


def strip_marks(text: str) -> str:
    """The written text a viewer sees: marks replaced by their written part."""
    return "".join(s.written for s in parse_marks(text))


def has_marks(text: str) -> bool:
    return _MARK.search(text) is not None


def leading_break(text: str) -> tuple[int, str]:
    """Split off <break> marks that open ``text``: (their total ms, the rest).
    A break at the start of a sentence belongs after the previous one."""
    ms = 0
    rest = text
    while True:
        stripped = rest.lstrip()
        m = _MARK.match(stripped)
        if not m:
            return ms, rest
        spans = parse_marks(m.group(0))
        if not (len(spans) == 1 and spans[0].is_break):
            return ms, rest
        ms += spans[0].break_ms
        rest = stripped[m.end():]
