"""Subtitle cues from the audio itself, on the frame grid, by broadcast rules.

A cue covers one or more consecutive phrases; its start and end come from the
sample positions of those phrases, snapped to frames. Nothing is estimated
from text length. Minimum-duration padding and reading-time linger extend into
the following pause, never over the next cue (which keeps a 2-frame gap).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from fractions import Fraction

import srt

from newsvoice.segment import layout, text_len


@dataclass(frozen=True)
class CueRules:
    """The broadcast preset: line and duration limits, frame grid, reading speed."""

    max_chars: int = 42
    max_lines: int = 2
    min_dur: float = 5 / 6
    max_dur: float = 7.0
    gap_frames: int = 2
    fps: float = 25.0
    max_cps: float = 20.0
    chain_within: float = 1.0   # pauses up to this long are bridged (cue held to next - gap)
    linger: float = 0.5         # after a longer pause, hold the cue this long past its speech

    @property
    def fps_exact(self) -> Fraction:
        """29.97 means 30000/1001 (NTSC); other rates are taken as written."""
        if abs(self.fps - 29.97) < 0.01:
            return Fraction(30000, 1001)
        if abs(self.fps - 59.94) < 0.01:
            return Fraction(60000, 1001)
        if abs(self.fps - 23.976) < 0.01:
            return Fraction(24000, 1001)
        return Fraction(self.fps).limit_denominator(1001)


@dataclass(frozen=True)
class Cue:
    """A subtitle: frames [start_f, end_f) on the grid, lines, phrases it covers."""

    start_f: int
    end_f: int
    lines: list[str]
    phrases: tuple[int, ...]
    fps: Fraction = Fraction(25)

    @property
    def start(self) -> float:
        return float(self.start_f / self.fps)

    @property
    def end(self) -> float:
        return float(self.end_f / self.fps)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def cps(self) -> float:
        d = self.end - self.start
        return len(" ".join(self.lines)) / d if d > 0 else math.inf


@dataclass
class CueResult:
    cues: list[Cue]
    warnings: list[str] = field(default_factory=list)


def _frames(seconds: float, fps: Fraction, up: bool) -> int:
    x = Fraction(seconds).limit_denominator(10**9) * fps
    return math.ceil(x) if up else math.floor(x)


def make_cues(phrase_words: Sequence[Sequence], spans_s: Sequence[tuple[float, float]],
              sentence_of: Sequence[int], audio_s: float, rules: CueRules) -> CueResult:
    """Group phrases into cues and time them from their audio spans (seconds)."""
    fps = rules.fps_exact
    gap = rules.gap_frames
    n = len(spans_s)
    groups: list[list[int]] = [[i] for i in range(n)]
    sf = [_frames(s, fps, up=False) for s, _ in spans_s]
    ef = [_frames(e, fps, up=True) for _, e in spans_s]
    min_f = _frames(rules.min_dur - 1e-9, fps, up=True)
    max_f = _frames(rules.max_dur + 1e-9, fps, up=False)
    warnings: list[str] = []

    def g_start(g: list[int]) -> int:
        return sf[g[0]]

    def g_end(g: list[int]) -> int:
        return ef[g[-1]]

    def lines_for(g: list[int]) -> list[str] | None:
        words = [w for i in g for w in phrase_words[i]]
        lay = layout(words, rules.max_chars, rules.max_lines)
        return lay[1] if lay else None

    # Merge a phrase too short to show on its own into a neighbour of the same sentence
    changed = True
    while changed:
        changed = False
        for k, g in enumerate(groups):
            room_after = (g_start(groups[k + 1]) - gap if k + 1 < len(groups) else _frames(audio_s, fps, False)) - g_end(g)
            room_before = g_start(g) - (g_end(groups[k - 1]) + gap if k > 0 else 0)
            if g_end(g) - g_start(g) + max(0, room_after) + max(0, room_before) >= min_f:
                continue
            for j in (k - 1, k + 1) if room_before < room_after else (k + 1, k - 1):
                if not 0 <= j < len(groups):
                    continue
                a, b = (groups[j], g) if j < k else (g, groups[j])
                if sentence_of[a[-1]] != sentence_of[b[0]]:
                    continue
                merged = a + b
                if g_end(merged) - g_start(merged) > max_f or lines_for(merged) is None:
                    continue
                lo = min(j, k)
                groups[lo: lo + 2] = [merged]
                changed = True
                break
            if changed:
                break

    cues: list[Cue] = []
    audio_f = _frames(audio_s, fps, up=False)
    for k, g in enumerate(groups):
        start, end = g_start(g), g_end(g)
        nxt = g_start(groups[k + 1]) if k + 1 < len(groups) else audio_f + gap
        if cues and start < cues[-1].end_f + gap:
            start = cues[-1].end_f + gap
        if nxt - end <= round(rules.chain_within * fps):
            end = nxt - gap
        else:
            end = min(end + round(rules.linger * fps), nxt - gap)
        end = max(min(end, start + max_f), min(g_end(g), nxt - gap))
        if end - start < min_f:
            end = min(start + min_f, nxt - gap)
        if end - start < min_f:
            prev_end = cues[-1].end_f + gap if cues else 0
            start = max(prev_end, end - min_f)
        lines = lines_for(g)
        if lines is None:
            words = [w for i in g for w in phrase_words[i]]
            lines = [" ".join(w.written for w in words)]
            warnings.append(f"cue {len(cues) + 1}: text does not fit {rules.max_lines} lines of {rules.max_chars}")
        cue = Cue(start, end, lines, tuple(g), fps)
        if end - start < min_f:
            warnings.append(f"cue {len(cues) + 1}: {cue.end - cue.start:.2f}s is shorter than {rules.min_dur:.2f}s")
        if end - start > max_f:
            warnings.append(f"cue {len(cues) + 1}: {cue.end - cue.start:.2f}s is longer than {rules.max_dur:.2f}s")
        if cue.cps > rules.max_cps:
            warnings.append(f"cue {len(cues) + 1}: reading speed {cue.cps:.1f} cps above {rules.max_cps:g}")
        cues.append(cue)
    return CueResult(cues, warnings)


def _td(seconds: float) -> timedelta:
    return timedelta(milliseconds=round(seconds * 1000))


def compose_srt(cues: Sequence[Cue]) -> str:
    """SRT text (with the srt package), cues numbered from 1."""
    subs = [srt.Subtitle(index=i, start=_td(c.start), end=_td(c.end), content=c.text)
            for i, c in enumerate(cues, 1)]
    return srt.compose(subs, reindex=False)


def _vtt_time(seconds: float) -> str:
    ms = round(seconds * 1000)
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def compose_vtt(cues: Sequence[Cue]) -> str:
    """WebVTT text: header, then one block per cue."""
    out = ["WEBVTT", ""]
    for i, c in enumerate(cues, 1):
        body = c.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        out += [str(i), f"{_vtt_time(c.start)} --> {_vtt_time(c.end)}", body, ""]
    return "\n".join(out)


def compose_ebutt(cues: Sequence[Cue], lang: str = "vi") -> str:
    """EBU-TT-D (EBU Tech 3380) XML: the TTML profile broadcasters ingest.
    Media time base, one <p> per cue, lines joined by <br/>, one centred
    bottom region and one white-on-black style."""
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
        out.append(f'    <p xml:id="c{i}" begin="{_vtt_time(c.start)}" end="{_vtt_time(c.end)}"'
                   f' style="s0"><span>{text}</span></p>')
    out += ["  </div></body>", "</tt>", ""]
    return "\n".join(out)


__all__ = ["Cue", "CueResult", "CueRules", "compose_ebutt", "compose_srt", "compose_vtt", "make_cues",
           "text_len"]
