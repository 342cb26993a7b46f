"""SubRip (.srt): the srt package composes and parses it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import srt as _srt

from newsvoice.subtitles.rules import Cue


def td(seconds: float) -> timedelta:
    return timedelta(milliseconds=round(seconds * 1000))


def write(cues: Sequence[Cue]) -> str:
    """SRT text, cues numbered from 1."""
    subs = [
        _srt.Subtitle(index=i, start=td(c.start), end=td(c.end), content=c.text)
        for i, c in enumerate(cues, 1)
    ]
    return _srt.compose(subs, reindex=False)


def read(text: str) -> list[_srt.Subtitle]:
    return list(_srt.parse(text))


def _sniff(text: str) -> bool:
    return "-->" in text


from newsvoice.subtitles.formats import Format  # noqa: E402  (the registry imports this module lazily)

FORMAT = Format("srt", ".srt", "SubRip (SRT)", write, read, _sniff, bom_on_request=True)
