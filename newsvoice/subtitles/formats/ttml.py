"""EBU-TT-D (EBU Tech 3380, .ttml): the TTML profile broadcasters ingest."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import srt as _srt

from newsvoice.subtitles.formats.vtt import clock
from newsvoice.subtitles.rules import Cue

_TT = "{http://www.w3.org/ns/ttml}"


def write(cues: Sequence[Cue], lang: str = "vi") -> str:
    """Media time base, one <p> per cue, lines joined by <br/>, one centred bottom
    region and one white-on-black style."""
    esc = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<tt xmlns="http://www.w3.org/ns/ttml" xmlns:ttp="http://www.w3.org/ns/ttml#parameter"'
        ' xmlns:tts="http://www.w3.org/ns/ttml#styling" xmlns:ebuttm="urn:ebu:tt:metadata"'
        f' ttp:timeBase="media" ttp:cellResolution="50 30" xml:lang="{lang}">',
        "  <head>",
        "    <styling>",
        '      <style xml:id="s0" tts:fontFamily="proportionalSansSerif" tts:fontSize="100%"'
        ' tts:color="#FFFFFF" tts:backgroundColor="#000000C2" tts:textAlign="center"/>',
        "    </styling>",
        "    <layout>",
        '      <region xml:id="bottom" tts:origin="10% 70%" tts:extent="80% 20%"'
        ' tts:displayAlign="after"/>',
        "    </layout>",
        "  </head>",
        '  <body><div region="bottom">',
    ]
    for i, c in enumerate(cues, 1):
        text = "<br/>".join("".join(esc.get(ch, ch) for ch in line) for line in c.lines)
        out.append(
            f'    <p xml:id="c{i}" begin="{clock(c.start)}" end="{clock(c.end)}"'
            f' style="s0"><span>{text}</span></p>'
        )
    out += ["  </div></body>", "</tt>", ""]
    return "\n".join(out)


_CLOCK = re.compile(r"^(\d+):(\d{2}):(\d{2}(?:\.\d+)?)$")


def _time(value: str) -> timedelta:
    m = _CLOCK.match(value.strip())
    if not m:
        raise ValueError(f"unsupported time expression {value[:40]!r}")
    return timedelta(hours=int(m.group(1)), minutes=int(m.group(2)), seconds=float(m.group(3)))


def _text(el: ET.Element) -> str:
    """The text of ``el`` with <br/> as newlines; iterative, so a file of thousands of
    nested <span>s cannot exhaust the stack."""
    out: list[str] = []
    stack: list[ET.Element | str] = [el]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            out.append(node)
            continue
        if node is not el and node.tag == f"{_TT}br":
            out.append("\n")
            continue
        out.append(node.text or "")
        for child in reversed(list(node)):
            stack.append(child.tail or "")
            stack.append(child)
    return "".join(out)


def read(text: str) -> list[_srt.Subtitle]:
    try:
        root = ET.fromstring(text.encode("utf-8"))
    except ET.ParseError as e:
        raise ValueError(f"not well-formed XML ({e})") from e
    out: list[Any] = []
    for p in root.iter(f"{_TT}p"):
        body = "\n".join(ln.strip() for ln in _text(p).strip().split("\n"))
        out.append(
            _srt.Subtitle(
                index=len(out) + 1,
                start=_time(p.get("begin", "")),
                end=_time(p.get("end", "")),
                content=body,
            )
        )
    return out


def _sniff(text: str) -> bool:
    return "<tt" in text[:2000] and "http://www.w3.org/ns/ttml" in text[:2000]


from newsvoice.subtitles.formats import Format  # noqa: E402

FORMAT = Format("ttml", ".ttml", "EBU-TT-D (TTML)", write, read, _sniff)
