"""Subtitle formats behind one registry: each module writes cues and reads them back.

A new format is one module with a ``FORMAT`` and one line in ``_MODULES``.
Readers return ``srt.Subtitle`` objects (the srt package's one dataclass), so
``check`` judges every format with the same code.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from newsvoice.errors import InputError
from newsvoice.subtitles.rules import Cue

if TYPE_CHECKING:  # the writers and read_file load it; the format names need no parser
    import srt as srt_lib  # not `srt`: the submodule formats/srt.py takes that name here

_MODULES = {"srt": "srt", "vtt": "vtt", "ttml": "ttml"}  # name -> module in this package


@dataclass(frozen=True)
class Format:
    name: str
    suffix: str
    description: str
    write: Callable[[Sequence[Cue]], str]
    read: Callable[[str], list[srt_lib.Subtitle]]
    sniff: Callable[[str], bool]


NAMES: tuple[str, ...] = tuple(_MODULES)


def get(name: str) -> Format:
    if name not in _MODULES:
        raise KeyError(name)
    return importlib.import_module(f"newsvoice.subtitles.formats.{_MODULES[name]}").FORMAT


def display(path: Path) -> str:
    return os.fsencode(path).decode("utf-8", "replace")


MAX_SUBTITLE_BYTES = 32 << 20  # a day of cues is a few MB


def read_file(path: Path) -> list[srt_lib.Subtitle]:
    """Cues of any subtitle file we write (SRT, WebVTT, EBU-TT-D), chosen by content."""
    import srt as srt_lib

    from newsvoice.inputs.bounded import read_regular

    data = read_regular(path, MAX_SUBTITLE_BYTES, "subtitle file")
    try:
        text = data.decode("utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{path} is not UTF-8 (or UTF-16 with a BOM) text") from e
    fmt = next((get(n) for n in NAMES if n != "srt" and get(n).sniff(text)), get("srt"))
    by_name = next((get(n) for n in NAMES if path.suffix.lower() == get(n).suffix), None)
    if by_name is not None and by_name.name != "srt" and fmt.name != by_name.name:
        # a .vtt without its WEBVTT header would be read as SRT with the wrong times
        raise InputError(f"{display(path)} is not a valid {by_name.description} file "
                         f"({'no WEBVTT header' if by_name.name == 'vtt' else 'not TTML XML'})")
    try:
        return fmt.read(text)
    except srt_lib.SRTParseError as e:  # its message quotes the whole unmatched rest of the file
        line = text.count("\n", 0, e.expected_start) + 1
        raise InputError(f"{path} is not a valid {fmt.description} file (expected a cue at line {line})") from None
    except OverflowError:
        raise InputError(f"{path}: a cue time is out of range") from None
    except ValueError as e:
        raise InputError(f"{path} is not a valid {fmt.description} file: {str(e).splitlines()[0][:120]}") from None


__all__ = ["NAMES", "Format", "get", "read_file"]
