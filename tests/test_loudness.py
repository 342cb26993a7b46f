"""Broadcast loudness: what we write measures on target with the bundled ffmpeg's own
EBU R128 meter (ebur128, true peak on), for every preset and for quiet and loud sources."""

from __future__ import annotations

import json
import re
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from newsvoice.audio.loudness import LoudnessTarget, limit, measure, normalize, presets, true_peak
from newsvoice.audio.track import encode_pcm, ffmpeg_exe
from newsvoice.pipeline.render import RenderOptions, render

ARTICLE = (
    "Bão số 3 đổ bộ miền Trung\n\n"
    "Sáng nay, bão số 3 đã đổ bộ vào các tỉnh miền Trung với sức gió mạnh. "
    "Hàng nghìn hộ dân được sơ tán đến nơi an toàn.\n\n"
    "Chính quyền địa phương đã chuẩn bị lương thực và thuốc men cho người dân.\n"
)
TARGETS = {k: v for k, v in presets().items() if v is not None}


def ebur128(path: Path) -> dict[str, float]:
    """Integrated loudness, LRA and true peak from ffmpeg's ebur128 summary."""
    p = subprocess.run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-nostats",
            "-i",
            str(path),
            "-af",
            "ebur128=peak=true:framelog=verbose",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    summary = p.stderr[p.stderr.rindex("Summary:") :]
    num = r"\s+(-?[\d.]+|-inf)"
    return {
        "I": float(re.search(r"I:" + num + " LUFS", summary).group(1)),
        "LRA": float(re.search(r"LRA:" + num + " LU", summary).group(1)),
        "peak": float(re.search(r"Peak:" + num + " dBFS", summary).group(1)),
    }


def speechlike(seconds: float, level: float, seed: int = 1) -> np.ndarray:
    """Syllable-rate bursts of harmonics plus noise, with sharp clicks (a high crest
    factor, so loud targets need the limiter), scaled by ``level``."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(48000 * seconds)) / 48000
    env = np.clip(np.sin(2 * np.pi * 3.7 * t), 0, None) ** 2 * (rng.random(len(t)) * 0.2 + 0.8)
    tone = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((180, 360, 720, 1440, 2880), 1))
    x = env * (0.4 * tone + 0.2 * rng.standard_normal(len(t))) / 15
    x[:: 48000 // 2] += 0.9  # clicks ~30 dB above the speech: every preset needs the limiter
    x[len(t) // 3 : len(t) // 3 + 48000] = 0  # a pause: gated out, widens the range
    return (level * x / np.max(np.abs(x))).astype(np.float32)


@pytest.fixture(scope="module")
def article(tmp_path_factory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("loud")
    src = tmp / "bao.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    return src, tmp / "cache"


@pytest.mark.parametrize("preset", sorted(TARGETS))
def test_rendered_programme_meets_preset(article, tmp_path, preset):
    src, cache = article
    res = render(src, tmp_path, RenderOptions(engine="espeak", cache_dir=cache, loudness=preset))
    target = TARGETS[preset]
    got = ebur128(res.outputs["wav"])
    assert abs(got["I"] - target.lufs) <= 0.5, got
    assert got["peak"] <= target.true_peak, got
    m = json.loads(res.outputs["json"].read_text("utf-8"))["loudness"]
    assert m["preset"] == preset and abs(m["integrated_lufs"] - target.lufs) <= 0.3
    assert m["true_peak_dbtp"] <= target.true_peak
    assert abs(m["lra_lu"] - got["LRA"]) <= 1.0, (m, got)


@pytest.mark.parametrize("preset", sorted(TARGETS))
@pytest.mark.parametrize("level", [0.0003, 0.03, 1.0], ids=["under-gate", "quiet", "loud"])
def test_quiet_and_loud_sources_reach_target(tmp_path, preset, level):
    target = TARGETS[preset]
    y, m = normalize(speechlike(12.0, level), target)
    assert abs(m.integrated - target.lufs) <= 0.3 and m.true_peak <= target.true_peak
    path = tmp_path / "x.wav"
    path.write_bytes(encode_pcm(y, "wav", bit_depth=24))
    got = ebur128(path)
    assert abs(got["I"] - target.lufs) <= 0.5, got
    assert got["peak"] <= target.true_peak, got


def test_measurement_agrees_with_pyloudnorm():
    import pyloudnorm

    x = speechlike(10.0, 0.5)
    ours = measure(x).integrated
    ref = pyloudnorm.Meter(48000).integrated_loudness(x.astype(np.float64))
    assert ours == pytest.approx(ref, abs=0.1)


def test_limiter_holds_the_ceiling_without_clipping():
    x = speechlike(5.0, 1.0) * np.float32(4.0)  # 12 dB over full scale
    y = limit(x, -1.0)
    assert true_peak(y) <= -1.0 + 0.05
    assert np.max(np.abs(y)) < 10 ** (-1.0 / 20)
    # gain only: every output sample is the input times a factor in (0, 1]
    nz = np.abs(x) > 1e-3
    ratio = y[nz] / x[nz]
    assert ratio.min() > 0 and ratio.max() <= 1.0 + 1e-6


def test_explicit_target_and_none(article, tmp_path):
    src, cache = article
    res = render(
        src,
        tmp_path / "a",
        RenderOptions(engine="espeak", cache_dir=cache, lufs=-30.0, true_peak=-6.0),
    )
    got = ebur128(res.outputs["wav"])
    assert abs(got["I"] + 30.0) <= 0.5 and got["peak"] <= -6.0
    res = render(
        src, tmp_path / "b", RenderOptions(engine="espeak", cache_dir=cache, loudness="none")
    )
    m = json.loads(res.outputs["json"].read_text("utf-8"))["loudness"]
    assert (
        m["target_lufs"] is None
        and abs(m["integrated_lufs"] - ebur128(res.outputs["wav"])["I"]) <= 0.3
    )


@pytest.mark.parametrize(
    ("fmt", "depth", "channels"), [("wav", 24, 1), ("wav", 16, 2), ("mp3", 24, 2)]
)
def test_delivery_formats(article, tmp_path, fmt, depth, channels):
    src, cache = article
    res = render(
        src,
        tmp_path,
        RenderOptions(
            engine="espeak", cache_dir=cache, audio_format=fmt, bit_depth=depth, channels=channels
        ),
    )
    man = json.loads(res.outputs["json"].read_text("utf-8"))
    assert man["channels"] == channels and man["samples"] == round(man["duration_s"] * 48000)
    if fmt == "wav":
        with wave.open(str(res.outputs["wav"])) as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (
                48000,
                channels,
                depth // 8,
            )
            assert w.getnframes() == man["samples"]  # sample-accurate duration
    else:
        data = res.outputs["mp3"].read_bytes()
        assert man["bitrate"] == "192k"
        kbps = len(data) * 8 / man["duration_s"] / 1000
        assert 180 <= kbps <= 205, kbps  # CBR 192 kbit/s
    assert abs(ebur128(res.outputs[fmt])["I"] + 23.0) <= 0.5


def test_presets_are_data():
    assert presets()["ebu-r128"] == LoudnessTarget(-23.0, -1.0)
    assert presets()["atsc-a85"] == LoudnessTarget(-24.0, -2.0)
    assert presets()["web"] == LoudnessTarget(-16.0, -1.0)
    assert presets()["none"] is None


def _hostile_signals() -> dict[str, np.ndarray]:
    """Signals whose inter-sample peaks are far above their samples, and ordinary ones."""
    rng = np.random.default_rng(7)
    n = 48000 * 3
    t = np.arange(n)
    alt = np.where(t % 2 == 0, 1.0, -1.0) * np.where(
        (t // 3) % 2 == 0, 1.0, -1.0
    )  # fs/4-ish, phase 45 deg
    return {
        "noise": rng.standard_normal(n) * 0.25,
        "near-nyquist sine": np.sin(2 * np.pi * 11_990 / 48000 * t + 0.7) * 0.8,
        "quarter-rate square": alt * 0.7,
        "clicks": np.where(rng.random(n) < 0.001, rng.choice([-0.9, 0.9], n), 0.0),
        "speech-like": np.convolve(rng.standard_normal(n), np.hanning(40), "same") * 0.05,
    }


@pytest.mark.parametrize("name", list(_hostile_signals()))
def test_peak_bounds_are_never_below_the_oversampled_peak(name):
    from scipy.signal import resample_poly

    from newsvoice.audio.loudness import BLOCK, Source, _bounds, _scan

    x = _hostile_signals()[name].astype(np.float32)
    up = np.abs(resample_poly(x, 4, 1))
    per_sample = np.maximum.reduce([up[k::4] for k in range(4)])  # scipy's own 4x interpolation
    pad = (-len(x)) % BLOCK
    actual = np.concatenate([per_sample, np.zeros(pad)]).reshape(-1, BLOCK).max(axis=1)
    bound = _bounds(_scan(Source.of(x)).stats)
    assert np.all(bound >= actual * (1 - 1e-5)), name  # a skipped block can never hide a peak
    assert abs(true_peak(x) - 20 * np.log10(per_sample.max())) < 0.01


def test_chunked_output_equals_whole_under_heavy_limiting():
    """Streaming: any cut of the programme into reads gives the same samples."""
    from newsvoice.audio.loudness import Source, plan_gain

    x = (_hostile_signals()["speech-like"] * 6).astype(np.float32)
    src = Source.of(x)
    plan = plan_gain(src, LoudnessTarget(-12.0, -1.0))
    assert plan.limiter is not None and plan.spans  # the limiter really acts here
    whole = plan.apply(src, 0, src.n)
    rng = np.random.default_rng(3)
    cuts = np.sort(rng.choice(np.arange(1, src.n), 40, replace=False))
    pieces = [plan.apply(src, a, b) for a, b in zip([0, *cuts], [*cuts, src.n], strict=True)]
    assert np.array_equal(np.concatenate(pieces), whole)
    assert true_peak(whole) <= -1.0 + 0.05
    assert abs(measure(whole).integrated - plan.measurement.integrated) < 0.01
    assert abs(measure(whole).true_peak - plan.measurement.true_peak) < 0.01


def test_blocked_k_weighting_is_the_iir_across_any_cuts():
    """The K-weighting run by blocks (matrix products) is the BS.1770 IIR itself, as
    scipy's lfilter runs it sample by sample, with its state carried across pieces of
    any length (not only multiples of its block sizes)."""
    from scipy.signal import lfilter

    from newsvoice.audio.loudness import _HIGHPASS, _SHELF, CHUNK, _KFilter

    rng = np.random.default_rng(11)
    x = (
        np.convolve(rng.standard_normal(CHUNK * 2 + 4800 * 7 + 13), np.hanning(25), "same") * 0.05
    ).astype(np.float32)
    ref = lfilter(
        np.convolve(_SHELF[0], _HIGHPASS[0]),
        np.convolve(_SHELF[1], _HIGHPASS[1]),
        x.astype(np.float64),
    )
    kf = _KFilter()
    cuts = [0, 1, 17, 4800 * 3, 4800 * 3 + 31, CHUNK, CHUNK + 4800 * 50 + 1, len(x)]
    got = np.concatenate([kf(x[a:b]) for a, b in zip(cuts, cuts[1:], strict=False)])
    assert got.dtype == np.float64 and len(got) == len(x)
    assert np.abs(got - ref).max() < 1e-9 * np.abs(ref).max()
