"""Cue rules, cut weights and cues: plain values, no numerics.

Kept apart from :mod:`newsvoice.subtitles.cutter` (which cuts cues from the word timeline,
with numpy) so that options, config, the CLI and the subtitle writers can name
them without loading the audio stack. :mod:`newsvoice.subtitles.cutter` re-exports them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from newsvoice.findings import Finding


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
    chain_within: float = 1.0  # pauses up to this long are bridged (cue held to next - gap)
    linger: float = 0.5  # after a longer pause, hold the cue this long past its speech

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
    """A subtitle: frames [start_f, end_f) on the grid, its lines, the words [a, b) it shows."""

    start_f: int
    end_f: int
    lines: list[str]
    words: tuple[int, int]
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
    findings: list[Finding] = field(default_factory=list)  # a rule the cutter had to bend

    @property
    def warnings(self) -> list[str]:
        """The findings as the one-line texts the CLI prints ("cue 3: ...")."""
        return [str(f) for f in self.findings]


@dataclass(frozen=True)
class CutCosts:
    """Weights of the cue-cutting search (relative; lower total is better)."""

    piece: float = 2.0  # prefer fewer, fuller cues
    cut_weight: float = 2.5  # a cue cut weighs more than a line break inside a cue
    run_on: float = 1.5  # cutting where the voice does not pause
    no_dip: float = 4.0  # ... and the audio has no dip there either
    min_dip: float = 0.03  # s; a shorter dip is a consonant's closure, not a pause
    min_chars: int = 24  # shorter cues are penalised (they flash by)
    short: float = 30.0  # per second below min_dur where the cue cannot be held longer
    cps_over: float = 1.0  # per char/s over the reading-speed limit
    heard_pause: float = 20.0  # cutting at an audible pause the text does not mark


__all__ = ["Cue", "CueResult", "CueRules", "CutCosts"]
