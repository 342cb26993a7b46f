"""Frame levels and the speech detector: one home for "how loud is each 10 ms" and
"which frames are speech", used by the cue cutter (pauses to cut in), the render's own
check, ``check --audio`` and the aligner.

The detector is an energy rule, not a model: speech is what lies within 35 dB of the
loud frames (the 95th percentile) and above -60 dBFS; ``floor_margin_db`` adds "and
that far over the floor" (the 10th percentile), so a music bed or room tone under a
human voice-over is not taken for speech.
"""

from __future__ import annotations

import numpy as np

STEP_S = 0.01  # 10 ms frames everywhere
_FULL_SCALE_INT16 = 32768.0


def frame_db(samples: np.ndarray, rate: int, step_s: float = STEP_S) -> np.ndarray:
    """Level (dBFS) of each whole ``step_s`` frame of ``samples`` (int16, or float in
    [-1, 1]). Frames of consecutive pieces cut at multiples of the frame length
    concatenate to the frames of the whole (the render reads its track in chunks)."""
    n = max(1, int(round(rate * step_s)))
    k = len(samples) // n
    x = samples[: k * n].astype(np.float32).reshape(k, n)
    scale = _FULL_SCALE_INT16**2 if samples.dtype == np.int16 else 1.0
    return 10 * np.log10((x * x).mean(axis=1) / scale + 1e-12)


def speech_frames(db: np.ndarray, floor_margin_db: float | None = None) -> np.ndarray:
    """Speech per frame of ``db`` (see the module's rule); empty in, empty out."""
    if len(db) == 0:
        return np.zeros(0, bool)
    thr = max(float(np.percentile(db, 95)) - 35.0, -60.0)
    if floor_margin_db is not None:
        thr = max(thr, float(np.percentile(db, 10)) + floor_margin_db)
    return np.asarray(db > thr)
