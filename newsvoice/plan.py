"""The plan of spoken units: article -> sentences -> phrases (written + spoken).

Data flows one way: text -> Plan -> audio + timings -> files.
"""

from __future__ import annotations

from newsvoice.marks import parse_marks
from newsvoice.normalize import Normalizer


def spoken_text(text: str, normalizer: Normalizer) -> str:
    """Spoken form of a written line with inline marks: plain runs are normalised,
    <sub> spans speak their alias, <break> spans say nothing."""
    parts: list[str] = []
    for span in parse_marks(text):
        if span.alias is not None:
            parts.append(span.alias)
        elif span.written.strip():
            parts.append(normalizer.normalize(span.written))
    return " ".join(" ".join(parts).split())
