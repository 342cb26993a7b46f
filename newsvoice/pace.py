"""Pace: pitch-preserving tempo of the synthesised units and fitting a time slot.

Engines always speak at their own pace (and are cached so); ``--speed`` and
``--fit`` are applied here, before any timing is taken, so cues and the word
timeline are measured on the audio as delivered.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from newsvoice.audio import RATE, tempo
from newsvoice.errors import InputError
from newsvoice.options import FIT_RANGE


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
        raise InputError(f"cannot fit the narration ({scaled_s + fixed_s:.1f} s at normal pace) into {slot_s:g} s: "
                         f"that would need speed {need:.2f}, outside the allowed {lo}–{hi}")
    return need


def _scaled_s(audio: Sequence[np.ndarray], pauses_ms: Sequence[int]) -> float:
    """Seconds that tempo scales: the speech and the pauses between units."""
    return sum(len(a) for a in audio) / RATE + sum(pauses_ms[:-1]) / 1000


def apply_tempo(raw: Sequence[np.ndarray], pauses_ms: Sequence[int], speed: float,
                scale_pauses: bool) -> tuple[list[np.ndarray], list[int]]:
    """Play each unit at ``speed`` (pitch kept); optionally shrink/stretch pauses alike."""
    audio = [tempo(a, speed) for a in raw]
    pauses = [round(p / speed) for p in pauses_ms] if scale_pauses else list(pauses_ms)
    return audio, pauses


def timed_audio(raw: Sequence[np.ndarray], pauses_ms: Sequence[int], *, speed: float, fit_s: float | None,
                head_ms: int, tail_ms: int) -> tuple[list[np.ndarray], list[int], float]:
    """Unit audio and pauses at the final pace, and that pace.

    With ``fit_s`` the pace is solved from the engine-paced audio, then corrected
    (at most twice) from the measured result because atempo's output length is
    not exactly proportional."""
    if fit_s is None:
        return *apply_tempo(raw, pauses_ms, speed, scale_pauses=False), speed
    fixed = (head_ms + tail_ms) / 1000
    speed = fit_speed(_scaled_s(raw, pauses_ms), fixed, fit_s)
    audio, pauses = apply_tempo(raw, pauses_ms, speed, scale_pauses=True)
    for _ in range(2):
        got = _scaled_s(audio, pauses) + fixed
        if abs(got - fit_s) <= 0.25:
            break
        speed *= (got - fixed) / (fit_s - fixed)
        audio, pauses = apply_tempo(raw, pauses_ms, speed, scale_pauses=True)
    return audio, pauses, speed
