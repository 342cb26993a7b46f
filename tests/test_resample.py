"""Our polyphase resampler is scipy's resample_poly (same filter, same alignment)
without loading scipy.signal: at most one step of rounding apart, same length."""

from __future__ import annotations

from math import gcd

import numpy as np
import pytest
from scipy.signal import resample_poly

from newsvoice.audio.track import resample


@pytest.mark.parametrize("rate", [22050, 24000, 16000, 44100, 8000])
@pytest.mark.parametrize("n", [1, 2, 146, 147, 4801, 66_151])
def test_matches_resample_poly(rate, n):
    x = (np.random.default_rng(n).standard_normal(n) * 9000).clip(-32768, 32767).astype(np.int16)
    g = gcd(rate, 48000)
    ref = np.clip(
        np.round(resample_poly(x.astype(np.float32), 48000 // g, rate // g)), -32768, 32767
    )
    got = resample(x, rate)
    assert got.dtype == np.int16 and len(got) == len(ref)
    assert np.abs(got.astype(int) - ref.astype(int)).max() <= 1


def test_a_tone_keeps_its_pitch_and_level():
    t = np.arange(22050) / 22050
    x = (np.sin(2 * np.pi * 440 * t) * 16000).astype(np.int16)
    y = resample(x, 22050).astype(float)[2000:-2000]
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    assert abs(np.argmax(spec) * 48000 / len(y) - 440) < 2
    assert abs(y.std() - x.astype(float).std()) / x.astype(float).std() < 0.01
