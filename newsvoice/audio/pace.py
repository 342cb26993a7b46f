"""Pace: pitch-preserving tempo of the synthesised units and fitting a time slot.

Engines always speak at their own pace (and are cached so); ``--speed`` and
``--fit`` are applied here, before any timing is taken, so cues and the word
timeline are measured on the audio as delivered.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from newsvoice.audio.targets import FIT_RANGE
from newsvoice.audio.track import RATE, Track, tempo
from newsvoice.errors import InputError


def parse_slot(text: str) -> float:
    """``90``, ``90.5``, ``1:30`` or ``0:01:30`` -> seconds (ValueError otherwise)."""
    parts = text.strip().split(":")
    if not 1 <= len(parts) <= 3 or any(not p.strip() for p in parts):
        raise ValueError(f"not a duration: {text!r}")
    secs = 0.0
    for p in parts:
        secs = secs * 60 + float(p)
    if not secs > 0 or secs == float("inf"):
        raise ValueError(f"not a positive duration: {text!r}")
    return secs


def fit_speed(scaled_s: float, fixed_s: float, slot_s: float) -> float:
    """Tempo that makes the speech and the pauses between units (``scaled_s``, both
    scaled by it) plus the fixed head and tail fill ``slot_s``; raises InputError
    when outside FIT_RANGE."""
    room = slot_s - fixed_s
    need = scaled_s / room if room > 0 else float("inf")
    lo, hi = FIT_RANGE
    if not lo <= need <= hi:
        raise InputError(
            f"cannot fit the narration ({scaled_s + fixed_s:.1f} s at normal pace) into {slot_s:g} s: "
            f"that would need speed {need:.2f}, outside the allowed {lo}–{hi}"
        )
    return need


def start_track(head_ms: int) -> Track:
    """A programme track holding the head silence."""
    track = Track()
    track.append_silence(round(RATE * head_ms / 1000))
    return track


def lay(track: Track, samples: np.ndarray, speed: float, gap_ms: int) -> None:
    """Append a unit at ``speed`` (pitch kept) and the silence after it."""
    track.add_unit(tempo(samples, speed), round(RATE * gap_ms / 1000))


def gaps(pauses_ms: Sequence[int], tail_ms: int) -> list[int]:
    """The silence after each unit: its pause, the tail after the last."""
    return [*pauses_ms[:-1], tail_ms] if pauses_ms else []


def _lay(spool: Track, pauses_ms: Sequence[int], speed: float, head_ms: int, tail_ms: int) -> Track:
    """The programme: each unit of ``spool`` at ``speed`` with its silence, one unit
    in memory at a time."""
    track = start_track(head_ms)
    try:
        for i, gap in enumerate(gaps(pauses_ms, tail_ms)):
            lay(track, spool.unit(i), speed, gap)
    except BaseException:
        track.close()
        raise
    return track


def _scaled_s(track: Track, pauses_ms: Sequence[int]) -> float:
    """Seconds that tempo scales: the speech and the pauses between units."""
    return sum(b - a for a, b in track.spans) / RATE + sum(pauses_ms[:-1]) / 1000


def paced_track(
    spool: Track,
    pauses_ms: Sequence[int],
    *,
    speed: float,
    fit_s: float | None,
    head_ms: int,
    tail_ms: int,
) -> tuple[Track, list[int], float]:
    """The programme at its final pace, the pauses after each unit (the last is the
    tail) and that pace.

    With ``fit_s`` the pace is solved from the engine-paced units, then corrected
    (at most twice) from the measured result because atempo's output length is
    not exactly proportional."""
    if fit_s is None:
        return _lay(spool, pauses_ms, speed, head_ms, tail_ms), gaps(pauses_ms, tail_ms), speed
    fixed = (head_ms + tail_ms) / 1000
    speed = fit_speed(_scaled_s(spool, pauses_ms), fixed, fit_s)
    pauses = [round(p / speed) for p in pauses_ms]
    track = _lay(spool, pauses, speed, head_ms, tail_ms)
    for _ in range(2):
        got = _scaled_s(track, pauses) + fixed
        if abs(got - fit_s) <= 0.25:
            break
        speed *= (got - fixed) / (fit_s - fixed)
        pauses = [round(p / speed) for p in pauses_ms]
        track.close()
        track = _lay(spool, pauses, speed, head_ms, tail_ms)
    return track, gaps(pauses, tail_ms), speed
