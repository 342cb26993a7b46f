"""Broadcast WAV (EBU Tech 3285 v2): a WAV whose ``bext`` chunk carries the story, its
origin, its start time and its measured loudness, plus an ``iXML`` chunk with the story id.

Why: station QC (QCVN 115:2017, after EBU R 128) and newsroom systems read loudness
and provenance from the file instead of measuring again. Streamed like the plain WAV
(one chunk of samples in memory); the layout is RIFF/WAVE: bext, fmt, iXML, data.
"""

from __future__ import annotations

import math
import struct
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from newsvoice.audio.targets import Measurement
from newsvoice.audio.track import RATE, pcm_bytes

BEXT_VERSION = 2
_UNKNOWN = 0x7FFF  # Tech 3285 v2: a loudness field that was not measured
_MAX_RIFF = 0xFFFFFFFF


@dataclass(frozen=True)
class Bext:
    """The bext fields we fill (text fields are ASCII: see ``ascii_text``)."""

    description: str
    originator: str
    originator_reference: str
    date: str  # yyyy-mm-dd
    time: str  # hh:mm:ss
    time_reference: int  # samples since midnight of the first sample (the start timecode)
    loudness: Measurement | None
    coding_history: str = ""


def ascii_text(text: str) -> str:
    """Vietnamese folded to ASCII for the bext text fields, which the standard keeps
    ASCII ("Đê điều" -> "De dieu"); the full NFC text goes in iXML and the manifest."""
    base = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    kept = "".join(ch for ch in base if not unicodedata.combining(ch))
    return "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in kept)


def _fixed(text: str, size: int) -> bytes:
    return ascii_text(text).encode("ascii")[:size].ljust(size, b"\0")


def _centi(value: float) -> int:
    """A loudness figure as int16 hundredths (LUFS, LU, dBTP); unknown as 0x7FFF."""
    if value != value:  # NaN
        return _UNKNOWN
    if math.isinf(value):
        return -32768 if value < 0 else 32767
    return max(-32768, min(32766, round(value * 100)))


def bext_payload(b: Bext) -> bytes:
    """The bext chunk's body: 602 fixed bytes, then the coding history."""
    loud = b.loudness
    values = (
        (loud.integrated, loud.lra, loud.true_peak, loud.max_momentary, loud.max_short_term)
        if loud
        else (math.nan,) * 5
    )
    body = b"".join(
        [
            _fixed(b.description, 256),
            _fixed(b.originator, 32),
            _fixed(b.originator_reference, 32),
            _fixed(b.date, 10),
            _fixed(b.time, 8),
            struct.pack(
                "<IIH", b.time_reference & 0xFFFFFFFF, b.time_reference >> 32, BEXT_VERSION
            ),
            bytes(64),  # UMID: none
            struct.pack("<5h", *(_centi(v) for v in values)),
            bytes(180),
        ]
    )
    assert len(body) == 602
    history = "\r\n".join(ascii_text(ln) for ln in b.coding_history.split("\r\n"))
    return body + history.encode("ascii")


def _elements(fields: dict) -> str:
    """Nested elements: a dict value nests, a list value repeats its element (TRACK)."""
    out = []
    for k, v in fields.items():
        for item in v if isinstance(v, list) else [v]:
            out.append(f"<{k}>{_elements(item) if isinstance(item, dict) else escape(item)}</{k}>")
    return "".join(out)


def escape(text: str) -> str:
    """XML character data: &, < and > escaped (xml.sax.saxutils.escape, whose import
    pulls in urllib: a tenth of a short render's start-up)."""
    return text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def ixml_payload(fields: dict) -> bytes:
    """A minimal iXML document (UTF-8): version, then ``fields`` as elements in order
    (a dict value nests, as SPEED does)."""
    inner = _elements(fields)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<BWFXML><IXML_VERSION>2.10</IXML_VERSION>{inner}</BWFXML>\n"
    ).encode()


def _chunk(tag: bytes, body: bytes) -> bytes:
    return tag + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


def write_bwf(
    out: BinaryIO,
    chunks: Iterable[np.ndarray],
    n_samples: int,
    bext: Bext,
    ixml: dict,
    *,
    rate: int = RATE,
    bit_depth: int = 24,
    channels: int = 1,
) -> None:
    """Stream float chunks (``n_samples`` in all) into ``out`` as a Broadcast WAV."""
    if channels not in (1, 2):
        raise ValueError(f"unsupported channel count {channels}")
    width = bit_depth // 8
    data_len = n_samples * channels * width
    fmt = struct.pack(
        "<HHIIHH", 1, channels, rate, rate * channels * width, channels * width, bit_depth
    )
    head = (
        _chunk(b"bext", bext_payload(bext))
        + _chunk(b"fmt ", fmt)
        + _chunk(b"iXML", ixml_payload(ixml))
    )
    riff_len = 4 + len(head) + 8 + data_len + data_len % 2
    if riff_len > _MAX_RIFF:
        raise ValueError("programme too long for a WAV file (4 GiB RIFF limit)")
    out.write(
        b"RIFF"
        + struct.pack("<I", riff_len)
        + b"WAVE"
        + head
        + b"data"
        + struct.pack("<I", data_len)
    )
    written = 0
    for x in chunks:
        data = pcm_bytes(x, bit_depth, channels)
        written += len(data)
        out.write(data)
    if written != data_len:
        raise ValueError(f"wrote {written} bytes of PCM, the header says {data_len}")
    if data_len % 2:
        out.write(b"\0")
