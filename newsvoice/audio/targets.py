"""Loudness targets and measurements, and the pace limits: plain values, no numerics.

Kept apart from :mod:`newsvoice.audio.loudness` so that options, the manifest and
the CLI can name presets without loading numpy or scipy.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources

TOLERANCE_LU = 0.3
SPEED_RANGE = (0.8, 1.3)  # --speed: pitch-preserving tempo
FIT_RANGE = (0.85, 1.15)  # --fit may change the pace only this much


@dataclass(frozen=True)
class LoudnessTarget:
    """Integrated loudness to reach and the true-peak ceiling not to exceed."""

    lufs: float
    true_peak: float


@dataclass(frozen=True)
class Measurement:
    """What a programme measures: integrated LUFS, loudness range LU, true peak dBTP,
    and the loudest 400 ms (momentary) and 3 s (short-term) windows in LUFS, which the
    Broadcast WAV bext chunk carries (EBU Tech 3285 v2); NaN where not measured."""

    integrated: float
    lra: float
    true_peak: float
    max_momentary: float = float("nan")
    max_short_term: float = float("nan")

    def as_dict(self) -> dict[str, float]:
        out = {
            "integrated_lufs": round(self.integrated, 2),
            "lra_lu": round(self.lra, 2),
            "true_peak_dbtp": round(self.true_peak, 2),
        }
        if self.max_momentary == self.max_momentary:  # not NaN: measured
            out["max_momentary_lufs"] = round(self.max_momentary, 2)
        if self.max_short_term == self.max_short_term:
            out["max_short_term_lufs"] = round(self.max_short_term, 2)
        return out


def presets() -> dict[str, LoudnessTarget | None]:
    """Named presets from assets/loudness.toml, plus ``none`` (no processing)."""
    text = resources.files("newsvoice.assets").joinpath("loudness.toml").read_text("utf-8")
    data = tomllib.loads(text)
    out: dict[str, LoudnessTarget | None] = {
        k: LoudnessTarget(float(v["lufs"]), float(v["true_peak"])) for k, v in data.items()
    }
    out["none"] = None
    return out
