"""Lint any SRT, WebVTT or EBU-TT-D file against the broadcast preset and, given audio, against its speech.

Pure functions over parsed cues (and a speech mask), so ``newsvoice check``
judges a human's subtitles with the same rules the renderer follows.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import srt

from newsvoice.audio.decode import decode_mono
from newsvoice.audio.levels import frame_db, speech_frames
from newsvoice.findings import Finding
from newsvoice.subtitles.cutter import Cue, CueRules
from newsvoice.subtitles.formats import read_file
from newsvoice.subtitles.formats.srt import td
from newsvoice.text.words import display_width

TOL = 0.0015  # SRT keeps milliseconds; a frame time is within 1.5 ms of its ms value
VAD_STEP = 0.01


def finding(cue: int, severity: str, rule: str, message: str) -> Finding:
    """One check result about cue ``cue`` (1-based) or, with 0, the whole file: the
    Finding every stage uses ("error" breaks the preset, "warning" is advice)."""
    return Finding("file" if cue == 0 else f"cue {cue}", severity, rule, message, cue=cue or None)


@dataclass
class Report:
    cues: int
    findings: list[Finding] = field(default_factory=list)
    stats: dict[str, float] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return sum(f.severity == "error" for f in self.findings)

    def to_dict(self) -> dict:
        return {
            "cues": self.cues,
            "errors": self.errors,
            "warnings": len(self.findings) - self.errors,
            "stats": self.stats,
            # cue 0: the whole file (check --json has always said so)
            "findings": [{**f.to_dict(), "cue": f.cue or 0} for f in self.findings],
        }


QUOTE_CHARS = 60  # a cue line quoted in a message: a 1 MB line is not printed whole


def quoted(line: str, limit: int = QUOTE_CHARS) -> str:
    """``line`` as a message quotes it: repr, cut to ``limit`` characters with a count."""
    if len(line) <= limit:
        return repr(line)
    return f"{line[:limit]!r}… ({len(line):,} characters)"


def read_srt(path: Path, rules: CueRules | None = None) -> list[srt.Subtitle]:
    """Cues of any subtitle file we can write (SRT, WebVTT, EBU-TT-D, Avid DS): the
    formats' own readers (Avid DS counts frames at ``rules.fps``)."""
    return read_file(path, (rules or CueRules()).fps_exact)


def check_cues(subs: list[srt.Subtitle], rules: CueRules) -> Report:
    """Line length and count, duration, gaps and order, frame grid, reading speed."""
    rep = Report(cues=len(subs))
    fps = float(rules.fps_exact)
    frame = 1 / fps
    add = rep.findings.append
    cps_all = []
    for i, c in enumerate(subs, 1):
        s, e = c.start.total_seconds(), c.end.total_seconds()
        d = e - s
        lines = c.content.split("\n")
        if not c.content.strip():
            add(finding(i, "error", "empty", "cue has no text"))
        if d <= 0:
            add(finding(i, "error", "order", "ends before it starts"))
        elif d < rules.min_dur - TOL:
            add(
                finding(
                    i, "error", "min-duration", f"{d:.3f} s is shorter than {rules.min_dur:.3f} s"
                )
            )
        elif d > rules.max_dur + TOL:
            add(
                finding(i, "error", "max-duration", f"{d:.3f} s is longer than {rules.max_dur:g} s")
            )
        if len(lines) > rules.max_lines:
            add(finding(i, "error", "lines", f"{len(lines)} lines (max {rules.max_lines})"))
        for ln in lines:
            n = display_width(ln)
            if n > rules.max_chars:
                add(
                    finding(
                        i,
                        "error",
                        "line-length",
                        f"line of {n} characters (max {rules.max_chars}): {quoted(ln)}",
                    )
                )
        for t in (s, e):
            if abs(t * fps - round(t * fps)) * frame > TOL:
                add(
                    finding(
                        i, "warning", "frame-grid", f"{t:.3f} s is off the {rules.fps:g} fps grid"
                    )
                )
                break
        if d > 0:
            cps = len(" ".join(lines)) / d
            cps_all.append(cps)
            if cps > rules.max_cps:
                add(
                    finding(
                        i,
                        "warning",
                        "reading-speed",
                        f"{cps:.1f} characters/s (max {rules.max_cps:g})",
                    )
                )
        if i > 1:
            ps, pe = subs[i - 2].start.total_seconds(), subs[i - 2].end.total_seconds()
            gap = s - pe
            if s < ps:
                add(finding(i, "error", "order", "starts before the previous cue"))
            elif gap < -TOL / 3:
                add(
                    finding(
                        i, "error", "overlap", f"overlaps the previous cue by {-gap * 1000:.0f} ms"
                    )
                )
            elif TOL / 3 < gap < rules.gap_frames * frame - TOL:
                add(
                    finding(
                        i,
                        "error",
                        "gap",
                        f"gap of {gap * 1000:.0f} ms is under {rules.gap_frames} frames",
                    )
                )
    if cps_all:
        rep.stats["cps_median"] = round(float(np.median(cps_all)), 2)
        rep.stats["cps_max"] = round(float(np.max(cps_all)), 2)
    return rep


def speech_mask(audio: Path) -> tuple[np.ndarray, float]:
    """Speech per 10 ms frame of any audio file (audio.levels' detector), and its length."""
    x = decode_mono(audio, 16000)
    return speech_frames(frame_db(x, 16000)), len(x) / 16000


def check_sync(
    subs: list[srt.Subtitle], mask: np.ndarray, duration: float, rep: Report, tolerance: float = 0.1
) -> None:
    """Speech that no cue shows, cues with no speech, and late or early cue starts."""
    t = np.arange(len(mask)) * VAD_STEP + VAD_STEP / 2
    spans = [(c.start.total_seconds(), c.end.total_seconds()) for c in subs]
    covered = np.zeros(len(mask), bool)
    for s, e in spans:
        covered |= (t >= s - tolerance) & (t <= e + tolerance)
    bounds = [0.0] + [x for s, e in spans for x in (s, e)] + [duration]
    for k, (g0, g1) in enumerate(zip(bounds[0::2], bounds[1::2], strict=True)):
        heard = ((t > g0 + tolerance) & (t < g1 - tolerance) & mask).sum() * VAD_STEP
        if heard > 0.06:
            where = f"before cue {k + 1}" if k < len(subs) else "after the last cue"
            rep.findings.append(
                finding(
                    min(k + 1, len(subs)),
                    "error",
                    "speech-in-gap",
                    f"{heard:.2f} s of speech with no cue shown ({where}, {g0:.2f}-{g1:.2f} s)",
                )
            )
    for i, (s, e) in enumerate(spans, 1):
        inside = mask[(t >= s) & (t <= e)]
        if len(inside) and not inside.any():
            rep.findings.append(
                finding(i, "error", "no-speech", "no speech while the cue is shown")
            )
            continue
        j = int(s / VAD_STEP)
        win = mask[j : j + int(0.6 / VAD_STEP)]
        quiet_before = not mask[max(0, j - 10) : j].any()
        if quiet_before and win.any() and np.argmax(win) * VAD_STEP > tolerance:
            rep.findings.append(
                finding(
                    i,
                    "warning",
                    "early-start",
                    f"cue starts {np.argmax(win) * VAD_STEP * 1000:.0f} ms before its speech",
                )
            )
    if spans and spans[-1][1] > duration + 0.05:
        rep.findings.append(
            finding(len(spans), "error", "past-end", "last cue ends after the audio")
        )
    rep.stats["speech_uncovered_pct"] = round(
        100 * float((mask & ~covered).sum()) / max(1, int(mask.sum())), 2
    )
    rep.stats["audio_s"] = round(duration, 3)


def check_audio(subs: list[srt.Subtitle], mask: np.ndarray, duration: float, rep: Report) -> None:
    """:func:`check_sync`, and an error when over 1% of the speech has no cue."""
    check_sync(subs, mask, duration, rep)
    if rep.stats.get("speech_uncovered_pct", 0) > 1.0:
        rep.findings.append(
            finding(
                0,
                "error",
                "uncovered",
                f"{rep.stats['speech_uncovered_pct']}% of speech lies outside every cue",
            )
        )


def check_file(path: Path, rules: CueRules, audio: Path | None = None) -> Report:
    subs = read_srt(path, rules)
    rep = check_cues(subs, rules)
    if not subs:
        rep.findings.append(finding(0, "error", "empty", "no cues"))
    if audio is not None and subs:
        mask, duration = speech_mask(audio)
        check_audio(subs, mask, duration, rep)
    return rep


def check_render(cues: list[Cue], db: np.ndarray, duration: float, rules: CueRules) -> Report:
    """What ``check --audio`` says of a render's own cues and programme, from the
    programme's 10 ms levels (``cutter.frame_db``), before anything is written: a
    render that leaves speech unsubtitled says so, and ``--strict`` fails on it."""
    subs = [
        srt.Subtitle(index=i, start=td(c.start), end=td(c.end), content=c.text)
        for i, c in enumerate(cues, 1)
    ]
    rep = check_cues(subs, rules)
    if not subs:
        rep.findings.append(finding(0, "error", "empty", "no cues"))
    else:
        check_audio(subs, speech_frames(db), duration, rep)
    return rep


# what the cutter already reports in its own words: not said twice
CUTTER_RULES = frozenset({"min-duration", "max-duration", "lines", "line-length", "reading-speed"})


def render_findings(rep: Report) -> list[Finding]:
    """The render's check errors, for its manifest and stderr (the cutter's own rules
    are the cutter's findings already): the whole-file verdict first."""
    hard = [f for f in rep.findings if f.severity == "error" and f.rule not in CUTTER_RULES]
    hard.sort(key=lambda f: f.cue is not None)
    return [
        replace(
            f, where=f.where if f.cue else "subtitles", message=f"{f.message} (check: {f.rule})"
        )
        for f in hard
    ]
