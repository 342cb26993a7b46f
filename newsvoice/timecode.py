"""SMPTE timecode <-> frame counts, exact at 25, 29.97 drop-frame, 30, 50 and 59.94 DF.

Broadcast timelines start at 10:00:00:00, so every subtitle format and the Broadcast
WAV TimeReference take a start offset. Counting in whole frames (and seconds as a
Fraction of them) keeps the offset frame-exact; a float would drift at 29.97.
Drop-frame (29.97, 59.94) skips labels ;00 and ;01 (;00-;03 at 59.94) every minute
except each tenth, so the label tracks the wall clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

_TC = re.compile(r"^(\d{2}):([0-5]\d):([0-5]\d)([:;.,])(\d{2})$")


@dataclass(frozen=True)
class FrameRate:
    """A frame rate as an exact fraction, and whether its timecode drops frames."""

    fps: Fraction

    @property
    def nominal(self) -> int:
        """Frames per timecode second (30 for 29.97)."""
        return round(self.fps)

    @property
    def drop(self) -> int:
        """Labels dropped per minute: 2 at 29.97, 4 at 59.94, 0 otherwise (SMPTE 12M)."""
        return (
            self.nominal // 15 if self.fps.denominator == 1001 and self.nominal in (30, 60) else 0
        )


def parse(tc: str, rate: FrameRate) -> int:
    """Frames since 00:00:00:00 of ``HH:MM:SS:FF`` (``;`` before the frames is accepted
    too). ValueError names what is wrong."""
    m = _TC.match(tc.strip())
    if not m:
        raise ValueError(f"timecode {tc!r} is not HH:MM:SS:FF")
    h, mi, s, f = int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(5))
    if h >= 24:
        raise ValueError(f"timecode {tc!r}: hours run 00-23")
    if f >= rate.nominal:
        raise ValueError(f"timecode {tc!r}: frame {f} does not exist at {float(rate.fps):g} fps")
    drop = rate.drop
    if drop and s == 0 and f < drop and mi % 10:
        raise ValueError(f"timecode {tc!r} is a dropped label in drop-frame timecode")
    minutes = 60 * h + mi
    return (3600 * h + 60 * mi + s) * rate.nominal + f - drop * (minutes - minutes // 10)


def format_tc(frames: int, rate: FrameRate) -> str:
    """``HH:MM:SS:FF`` of a frame count (``HH:MM:SS;FF`` in drop-frame); wraps at 24 h."""
    if frames < 0:
        raise ValueError("negative frame count")
    n, drop = rate.nominal, rate.drop
    if drop:
        per10 = 600 * n - 9 * drop
        per1 = 60 * n - drop
        tens, rem = divmod(frames, per10)
        frames += 9 * drop * tens + (drop * ((rem - drop) // per1) if rem > drop else 0)
    frames %= 24 * 3600 * n
    s, f = divmod(frames, n)
    h, s = divmod(s, 3600)
    mi, s = divmod(s, 60)
    return f"{h:02d}:{mi:02d}:{s:02d}{';' if drop else ':'}{f:02d}"


def seconds(frames: int, rate: FrameRate) -> Fraction:
    """Media time of a frame count, exact."""
    return frames / rate.fps


def samples(frames: int, rate: FrameRate, sample_rate: int) -> int:
    """Audio samples before frame ``frames`` (the Broadcast WAV TimeReference), rounded
    to the nearest sample (29.97: 1601.6 samples a frame at 48 kHz)."""
    return round(frames * sample_rate / rate.fps)


__all__ = ["FrameRate", "format_tc", "parse", "samples", "seconds"]
