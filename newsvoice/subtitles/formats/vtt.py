"""WebVTT (.vtt): written by hand (it is small), read back into srt.Subtitle cues."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from datetime import timedelta

import srt as _srt

from newsvoice.subtitles.rules import Cue


def clock(seconds: float) -> str:
    """HH:MM:SS.mmm (also the EBU-TT-D media time form)."""
    ms = round(seconds * 1000)
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def write(cues: Sequence[Cue]) -> str:
    """WebVTT text: header, then one block per cue."""
    out = ["WEBVTT", ""]
    for i, c in enumerate(cues, 1):
        body = c.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        out += [str(i), f"{clock(c.start)} --> {clock(c.end)}", body, ""]
    return "\n".join(out)


_TIME = re.compile(r"(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})")


def _seconds(m: re.Match) -> timedelta:
    return timedelta(
        hours=int(m.group(1) or 0),
        minutes=int(m.group(2)),
        seconds=int(m.group(3)),
        milliseconds=int(m.group(4)),
    )


def read(text: str) -> list[_srt.Subtitle]:
    """Cues of WebVTT text: NOTE/STYLE blocks and cue settings dropped, tags removed,
    entities unescaped."""
    out: list[_srt.Subtitle] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        lines = block.split("\n")
        k = next((i for i, ln in enumerate(lines) if "-->" in ln), None)
        if k is None:
            continue
        start, _, rest = lines[k].partition("-->")
        a, b = _TIME.search(start), _TIME.search(rest)
        if not (a and b):
            raise ValueError(f"bad cue timing line {lines[k][:60]!r}")
        body = html.unescape(re.sub(r"</?[a-z][^>]*>", "", "\n".join(lines[k + 1 :])))
        out.append(
            _srt.Subtitle(index=len(out) + 1, start=_seconds(a), end=_seconds(b), content=body)
        )
    return out


def _sniff(text: str) -> bool:
    return text.lstrip().startswith("WEBVTT")


from newsvoice.subtitles.formats import Format  # noqa: E402

FORMAT = Format("vtt", ".vtt", "WebVTT", write, read, _sniff)
