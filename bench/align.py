"""Aligner word-onset error against ground truth, clean and degraded.

Truth: espeak-ng's own word events for a voice and pace other than the
aligner's reference (vi-VN-x-south at 1.15×, pitch kept). The aligner sees
only the audio and the spoken text. Degradations: telephone band (300–3400 Hz),
white noise at 20 dB SNR, MP3 at 64 kbit/s. Prints one table row per condition.

    python bench/align.py [--units 40]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from newsvoice.audio.track import RATE, ffmpeg_exe, resample, tempo
from newsvoice.speech.aligner import align_text, starts_from_events
from newsvoice.speech.engines.espeak import EspeakEngine
from newsvoice.text.article import parse_article
from newsvoice.text.normalize import Normalizer
from newsvoice.text.plan import build_plan

ROOT = Path(__file__).resolve().parents[1]


def units(n: int) -> list[str]:
    out: list[str] = []
    for f in sorted((ROOT / "examples").glob("*.txt")):
        plan = build_plan(parse_article(f.read_bytes()), Normalizer(), max_spoken=95)
        out += [u.spoken for u in plan.units if len(u.spoken.split()) >= 3]
    return out[:n]


def ffmpeg_filter(x: np.ndarray, args: list[str], fmt_out: list[str] | None = None) -> np.ndarray:
    cmd = [
        ffmpeg_exe(),
        "-v",
        "error",
        "-f",
        "s16le",
        "-ar",
        str(RATE),
        "-ac",
        "1",
        "-i",
        "pipe:0",
        *args,
        "-f",
        "s16le",
        "-ar",
        str(RATE),
        "-ac",
        "1",
        "pipe:1",
    ]
    p = subprocess.run(
        cmd, input=x.astype(np.int16).tobytes(), capture_output=True, check=True, timeout=60
    )
    return np.frombuffer(p.stdout, np.int16)


def mp3_64k(x: np.ndarray) -> np.ndarray:
    """Round trip through a 64 kbit/s MP3 file (a file, so LAME's gapless header is written
    and the decoder removes the encoder delay, as a real MP3 file would)."""
    with tempfile.TemporaryDirectory() as d:
        mp3 = Path(d) / "x.mp3"
        subprocess.run(
            [
                ffmpeg_exe(),
                "-v",
                "error",
                "-f",
                "s16le",
                "-ar",
                str(RATE),
                "-ac",
                "1",
                "-i",
                "pipe:0",
                "-c:a",
                "libmp3lame",
                "-b:a",
                "64k",
                str(mp3),
            ],
            input=x.astype(np.int16).tobytes(),
            capture_output=True,
            check=True,
            timeout=60,
        )
        dec = subprocess.run(
            [
                ffmpeg_exe(),
                "-v",
                "error",
                "-i",
                str(mp3),
                "-f",
                "s16le",
                "-ar",
                str(RATE),
                "-ac",
                "1",
                "pipe:1",
            ],
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    return np.frombuffer(dec, np.int16)


def noise_20db(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    p = float(np.mean(x.astype(np.float64) ** 2))
    n = rng.normal(0, np.sqrt(p / 100), len(x))
    return np.clip(x + n, -32768, 32767).astype(np.int16)


CONDITIONS = {
    "clean": lambda x, rng: x,
    "telephone 300-3400 Hz": lambda x, rng: ffmpeg_filter(
        x, ["-af", "highpass=f=300,lowpass=f=3400"]
    ),
    "noise 20 dB SNR": noise_20db,
    "MP3 64 kbit/s": lambda x, rng: mp3_64k(x),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--units", type=int, default=40)
    ap.add_argument("--voice", default="vi-VN-x-south")
    ap.add_argument("--speed", type=float, default=1.15)
    a = ap.parse_args()
    rng = np.random.default_rng(7)
    eng = EspeakEngine(a.voice)
    cases = []
    for text in units(a.units):
        sp = eng.synthesize(text)
        x = resample(sp.samples, sp.rate, RATE)
        truth = starts_from_events(
            text, [(w.text_offset, w.start_s) for w in sp.words], sp.duration_s
        )
        y = tempo(x, a.speed)
        cases.append((text, y, truth * len(y) / len(x)))
    print(
        f"{len(cases)} units, {sum(len(c[0].split()) for c in cases)} words; truth: espeak {a.voice} at "
        f"{a.speed}x; reference: espeak vi at 1.0x\n"
    )
    print("| condition | mean ms | p95 ms | max ms | words | aligner s per audio s |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, degrade in CONDITIONS.items():
        errs, secs, audio_s = [], 0.0, 0.0
        for text, y, truth in cases:
            z = degrade(y, rng)
            t0 = time.perf_counter()
            al = align_text(text, z, RATE)
            secs += time.perf_counter() - t0
            audio_s += len(z) / RATE
            errs += list(np.abs(al.starts - truth) * 1000)
        e = np.sort(np.array(errs))
        print(
            f"| {name} | {e.mean():.1f} | {e[int(0.95 * (len(e) - 1))]:.0f} | {e.max():.0f} | {len(e)} | "
            f"{secs / audio_s:.3f} |"
        )


if __name__ == "__main__":
    main()
