"""Avid DS subtitles (.txt): what Media Composer's SubCap imports, and the only route
into Avid that carries Vietnamese (EBU STL's ISO 6937 has no horn or hook above).

Written as ``<stem>.avid.txt`` (never over an article ``<stem>.txt``). Cues are
``HH:MM:SS:FF HH:MM:SS:FF`` pairs between ``<begin subtitles>`` and ``<end subtitles>``; the text is UTF-8, written with a BOM so Windows tools take it for
Unicode. Times are frames on the cues' own grid (frame-exact, drop-frame at 29.97);
the file does not say its rate, so the reader takes one (25 unless told).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from fractions import Fraction

import srt as _srt

from newsvoice.subtitles.rules import Cue
from newsvoice.timecode import FrameRate, format_tc, parse

HEADER = "@ This file written with the Avid Caption plugin, version 1"
_PAIR = re.compile(r"^(\d{2}:\d{2}:\d{2}[:;]\d{2})\s+(\d{2}:\d{2}:\d{2}[:;]\d{2})\s*$")


def write(cues: Sequence[Cue]) -> str:
    """Avid DS text: header, then a timecode pair and the lines of each cue."""
    out = [HEADER, "", "<begin subtitles>", ""]
    for c in cues:
        rate = FrameRate(c.fps)
        out += [f"{format_tc(c.start_f, rate)} {format_tc(c.end_f, rate)}", *c.lines, ""]
    out += ["<end subtitles>", ""]
    return "\r\n".join(out)


def read(text: str, fps: Fraction = Fraction(25)) -> list[_srt.Subtitle]:
    """Cues of Avid DS text at ``fps``; ValueError on a malformed block."""
    rate = FrameRate(fps)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    try:
        a = next(i for i, ln in enumerate(lines) if ln.strip().lower() == "<begin subtitles>")
    except StopIteration:
        raise ValueError("no <begin subtitles> line") from None
    out: list[_srt.Subtitle] = []
    i = a + 1
    while i < len(lines):
        ln = lines[i].strip()
        i += 1
        if not ln:
            continue
        if ln.lower() == "<end subtitles>":
            return out
        m = _PAIR.match(ln)
        if not m:
            raise ValueError(f"line {i}: expected a timecode pair, got {ln[:60]!r}")
        body: list[str] = []
        while i < len(lines) and lines[i].strip():
            body.append(lines[i].strip())
            i += 1
        start, end = (timedelta(seconds=float(parse(t, rate) / rate.fps)) for t in m.groups())
        out.append(_srt.Subtitle(index=len(out) + 1, start=start, end=end, content="\n".join(body)))
    raise ValueError("no <end subtitles> line")


def _sniff(text: str) -> bool:
    return "<begin subtitles>" in text[:4000].lower()


from newsvoice.subtitles.formats import Format  # noqa: E402  (the registry imports this module lazily)

FORMAT = Format(
    "avid", ".avid.txt", "Avid DS subtitles", write, read, _sniff, bom=True, framed=True
)
