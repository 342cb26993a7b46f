"""Benchmark (issue 15): the loudness stage alone, ours against ffmpeg's ebur128 filter and
pyloudnorm, on the same narration.

    python bench/loudness.py [--minutes 10] [--preset ebu-r128] [--runs 3]

Audio: the shared sample rendered by `newsvoice render --engine espeak --loudness none`
(3.8 min, not normalised), and a generated programme of about --minutes minutes rendered
the same way (the sample's paragraphs with other numbers and names, as bench/memory.py
builds them). Each is read back from the WAV as float32 at 48 kHz.

Speed rows (median of --runs; x real time = audio seconds / wall seconds):
* ours: `newsvoice.audio.loudness.normalize(x, preset)` in this process (measure, gain,
  4x-oversampled look-ahead limiter, re-measure), and `measure(x)` alone;
* ffmpeg: `ffmpeg -f f32le -i x.f32 -af ebur128=peak=true -f null -`, a whole process
  (bundled imageio-ffmpeg); it measures integrated loudness, LRA and true peak;
* pyloudnorm: `Meter(48000).integrated_loudness(x)` in this process. pyloudnorm has no
  true-peak meter, so a stand-in is timed beside it: scipy `resample_poly(x, 4, 1)` and
  max |x| (a 4x oversampled peak, as BS.1770-4 Annex 2 describes).

Agreement: our normalised output measured by each tool (target within +-0.3 LU).
Target: ours >= 500x real time.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pyloudnorm
from _proc import SAMPLE, load, median, render, table, workdir
from memory import paragraphs, programme
from scipy.io import wavfile
from scipy.signal import resample_poly

from newsvoice.audio.loudness import measure, normalize
from newsvoice.audio.targets import presets

RATE = 48000


def rendered(article: Path, tmp: Path, name: str) -> np.ndarray:
    """The article's narration before loudness processing, as float32 (full scale 1.0)."""
    render(article, tmp / name, tmp / f"cache-{name}", "--loudness", "none")
    (wav,) = (tmp / name).glob("*.wav")
    rate, data = wavfile.read(wav)
    assert rate == RATE and data.ndim == 1, (rate, data.shape)
    scale = {np.dtype(np.int16): 2.0**15, np.dtype(np.int32): 2.0**31}[data.dtype]
    return (data / scale).astype(np.float32)


def timed(fn, runs: int) -> tuple[float, object]:
    """Median wall seconds of ``runs`` calls, and the last result."""
    times, out = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return median(times), out


def ffmpeg_ebur128(x: np.ndarray, path: Path) -> tuple[float, float, float]:
    """(integrated LUFS, LRA LU, true peak dBTP) from ffmpeg's ebur128 summary."""
    path.write_bytes(x.astype("<f4").tobytes())
    p = subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-hide_banner",
            "-nostats",
            "-f",
            "f32le",
            "-ar",
            str(RATE),
            "-ac",
            "1",
            "-i",
            str(path),
            "-af",
            "ebur128=peak=true",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    summary = p.stderr[p.stderr.rindex("Summary:") :]

    def num(label: str) -> float:
        v = re.search(label + r":\s+(-?[\d.]+|-inf)", summary).group(1)
        return float(v)

    return num("I"), num("LRA"), num("Peak")


def stand_in_true_peak(x: np.ndarray) -> float:
    """4x oversampled peak (dBTP) with scipy's polyphase resampler: pyloudnorm has none."""
    return float(20 * np.log10(max(float(np.abs(resample_poly(x, 4, 1)).max()), 1e-12)))


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--minutes", type=float, default=10, help="generated programme length (0 = sample only)"
    )
    ap.add_argument("--preset", default="ebu-r128", choices=[k for k, v in presets().items() if v])
    ap.add_argument("--runs", type=int, default=3)
    with workdir("nv-bench-loud-") as tmp:
        return bench(ap.parse_args(), tmp)


def bench(a: argparse.Namespace, tmp: Path) -> int:
    target = presets()[a.preset]
    print(f"{load()} (before)")
    progs = {"sample": rendered(SAMPLE, tmp, "sample")}
    if a.minutes > 0:
        s_per_char = len(progs["sample"]) / RATE / sum(len(p) for p in paragraphs(SAMPLE)[1])
        art = tmp / "programme.txt"
        art.write_text(programme(SAMPLE, a.minutes * 60, s_per_char, 11), "utf-8")
        progs[f"~{a.minutes:g} min"] = rendered(art, tmp, "programme")
    normalize(progs["sample"][: RATE * 5], target)  # warm-up: first calls into scipy
    pyloudnorm.Meter(RATE).integrated_loudness(progs["sample"][: RATE * 5].astype(np.float64))

    speed: dict[str, list[str]] = {
        k: []
        for k in (
            "ours: normalize",
            "ours: measure only",
            "ffmpeg ebur128=peak=true (process)",
            "pyloudnorm integrated_loudness",
            "true-peak stand-in (resample_poly 4x)",
        )
    }
    agree = []
    for name, x in progs.items():
        dur = len(x) / RATE
        meter = pyloudnorm.Meter(RATE)
        t_norm, (y, m) = timed(lambda x=x: normalize(x, target), a.runs)
        t_meas, _ = timed(lambda x=x: measure(x), a.runs)
        t_ff, _ = timed(lambda x=x: ffmpeg_ebur128(x, tmp / "in.f32"), a.runs)
        t_pl, _ = timed(
            lambda x=x, meter=meter: meter.integrated_loudness(x.astype(np.float64)), a.runs
        )
        t_tp, _ = timed(lambda x=x: stand_in_true_peak(x), a.runs)
        for key, t in zip(speed, (t_norm, t_meas, t_ff, t_pl, t_tp), strict=True):
            speed[key] += [f"{t:.3f}", f"{dur / t:.0f}x"]
        ff = ffmpeg_ebur128(y, tmp / "out.f32")
        pl_i, pl_tp = meter.integrated_loudness(y.astype(np.float64)), stand_in_true_peak(y)
        agree += [
            [
                name,
                "ours (normalize's measurement)",
                f"{m.integrated:.2f}",
                f"{m.true_peak:.2f}",
                f"{m.lra:.1f}",
                "",
                "",
            ],
            [
                name,
                "ffmpeg ebur128",
                f"{ff[0]:.2f}",
                f"{ff[2]:.2f}",
                f"{ff[1]:.1f}",
                f"{ff[0] - m.integrated:+.2f}",
                f"{ff[2] - m.true_peak:+.2f}",
            ],
            [
                name,
                "pyloudnorm (+ stand-in TP)",
                f"{pl_i:.2f}",
                f"{pl_tp:.2f}",
                "",
                f"{pl_i - m.integrated:+.2f}",
                f"{pl_tp - m.true_peak:+.2f}",
            ],
        ]
    names = list(progs)
    durs = ", ".join(f"{k} = {len(v) / RATE:.1f} s" for k, v in progs.items())
    print(
        f"audio: {durs}; target {a.preset} ({target.lufs} LUFS, {target.true_peak} dBTP); median of {a.runs}\n"
    )
    head = ["stage"] + [h for n in names for h in (f"{n} s", f"{n} x real time")]
    print(table(head, [[k, *v] for k, v in speed.items()]))
    print("\nOur normalised output, measured by each tool (deltas against ours):\n")
    print(
        table(["audio", "meter", "I LUFS", "TP dBTP", "LRA LU", "dI LU", "dTP dB"], agree, right=2)
    )
    worst = max(abs(float(r[5])) for r in agree if r[5])
    print(
        f"\nlargest integrated-loudness disagreement: {worst:.2f} LU (target +-0.3 LU); "
        f"target >= 500x real time for ours"
    )
    print(f"{load()} (after)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
