"""Loudness targets and measurements, and the pace limits: plain values, no numerics.

Kept apart from :mod:`newsvoice.audio.loudness` so that options, the manifest and
the CLI can name presets without loading numpy or scipy.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources

TOLERANCE_LU = 0.3
SPEED_RANGE = (0.8, 1.3)   # --speed: pitch-preserving tempo
FIT_RANGE = (0.85, 1.15)   # --fit may change the pace only this much


@dataclass(frozen=True)
class LoudnessTarget:
    """Integrated loudness to reach and the true-peak ceiling not to exceed."""

    lufs: float
    true_peak: float


@dataclass(frozen=True)
class Measurement:
    """What a programme measures: integrated LUFS, loudness range LU, true peak dBTP."""

    integrated: float
    lra: float
    true_peak: float

    def as_dict(self) -> dict[str, float]:
        return {"integrated_lufs": round(self.integrated, 2), "lra_lu": round(self.lra, 2),
                "true_peak_dbtp": round(self.true_peak, 2)}


def presets() -> dict[str, LoudnessTarget | None]:
    """Named presets from assets/loudness.toml, plus ``none`` (no processing)."""
    text = resources.files("newsvoice.assets").joinpath("loudness.toml").read_text("utf-8")
    data = tomllib.loads(text)
    out: dict[str, LoudnessTarget | None] = {k: LoudnessTarget(float(v["lufs"]), float(v["true_peak"]))
                                             for k, v in data.items()}
    out["none"] = None
    return out
