"""Subtitle formats behind one registry: each module writes cues and reads them back.

A new format is one module with a ``FORMAT`` and one line in ``_MODULES``.
``encode`` is the one way a render writes cues: shifted to the start timecode,
UTF-8, with the BOM a format wants.
Readers return ``srt.Subtitle`` objects (the srt package's one dataclass), so
``check`` judges every format with the same code.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from newsvoice.errors import InputError
from newsvoice.subtitles.rules import Cue

if TYPE_CHECKING:  # the writers and read_file load it; the format names need no parser
    import srt as srt_lib  # not `srt`: the submodule formats/srt.py takes that name here

_MODULES = {
    "srt": "srt",
    "vtt": "vtt",
    "ttml": "ttml",
    "avid": "avid",
}  # name -> module in this package


@dataclass(frozen=True)
class Format:
    name: str
    suffix: str
    description: str
    write: Callable[[Sequence[Cue]], str]
    read: Callable[[str], list[srt_lib.Subtitle]]
    sniff: Callable[[str], bool]
    bom: bool = False  # always starts with a UTF-8 BOM (Avid DS: Windows tools sniff it)
    bom_on_request: bool = False  # starts with one when asked (--srt-bom: some Windows players)
    framed: bool = False  # times are frames: read(text, fps) needs the rate


NAMES: tuple[str, ...] = tuple(_MODULES)


def get(name: str) -> Format:
    if name not in _MODULES:
        raise KeyError(name)
    return importlib.import_module(f"newsvoice.subtitles.formats.{_MODULES[name]}").FORMAT


def display(path: Path) -> str:
    return os.fsencode(path).decode("utf-8", "replace")


MAX_SUBTITLE_BYTES = 32 << 20  # a day of cues is a few MB


def shifted(cues: Sequence[Cue], frames: int) -> list[Cue]:
    """Cues moved ``frames`` later on their own grid (a start timecode): frame-exact."""
    return (
        [replace(c, start_f=c.start_f + frames, end_f=c.end_f + frames) for c in cues]
        if frames
        else list(cues)
    )


def encode(name: str, cues: Sequence[Cue], *, start_frames: int = 0, bom: bool = False) -> bytes:
    """The file of format ``name`` for ``cues`` starting ``start_frames`` into the timeline.
    ``bom``: the user asked for a BOM (--srt-bom); only a format that takes one on request
    (SRT) gets it, so callers pass the option as it is for every format."""
    fmt = get(name)
    lead = "\ufeff" if fmt.bom or (bom and fmt.bom_on_request) else ""
    return (lead + fmt.write(shifted(cues, start_frames))).encode("utf-8")


def read_file(path: Path, fps: Fraction = Fraction(25)) -> list[srt_lib.Subtitle]:
    """Cues of any subtitle file we write (SRT, WebVTT, EBU-TT-D, Avid DS), chosen by
    content; ``fps``: the frame rate of a format that counts frames (Avid DS)."""
    import srt as srt_lib

    from newsvoice.inputs.bounded import read_regular

    data = read_regular(path, MAX_SUBTITLE_BYTES, "subtitle file")
    try:
        text = (
            data.decode("utf-16")
            if data[:2] in (b"\xff\xfe", b"\xfe\xff")
            else data.decode("utf-8-sig")
        )
    except UnicodeDecodeError as e:
        raise InputError(f"{path} is not UTF-8 (or UTF-16 with a BOM) text") from e
    fmt = next((get(n) for n in NAMES if n != "srt" and get(n).sniff(text)), get("srt"))
    by_name = next((get(n) for n in NAMES if path.suffix.lower() == get(n).suffix), None)
    if by_name is not None and by_name.name != "srt" and fmt.name != by_name.name:
        # a .vtt without its WEBVTT header would be read as SRT with the wrong times
        raise InputError(
            f"{display(path)} is not a valid {by_name.description} file "
            f"({'no WEBVTT header' if by_name.name == 'vtt' else 'not TTML XML'})"
        )
    try:
        return fmt.read(text, fps) if fmt.framed else fmt.read(text)  # type: ignore[call-arg]
    except srt_lib.SRTParseError as e:  # its message quotes the whole unmatched rest of the file
        line = text.count("\n", 0, e.expected_start) + 1
        raise InputError(
            f"{path} is not a valid {fmt.description} file (expected a cue at line {line})"
        ) from None
    except OverflowError:
        raise InputError(f"{path}: a cue time is out of range") from None
    except ValueError as e:
        raise InputError(
            f"{path} is not a valid {fmt.description} file: {str(e).splitlines()[0][:120]}"
        ) from None


__all__ = ["NAMES", "Format", "encode", "get", "read_file", "shifted"]
