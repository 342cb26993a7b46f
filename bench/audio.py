"""Benchmark: broadcast audio on long programmes. Two stages, each at 15, 30 and 60
minutes of narration in one run, to show both grow linearly:

* assembly: lay the phrases and pauses into one track and convert it to float;
* loudness: measure (BS.1770-4 + LRA + 4x true peak) and normalise to the ``web``
  preset (-16 LUFS, -1 dBTP), where the look-ahead limiter is busy on speech peaks.

    python bench/audio.py [--minutes 15,30,60] [--preset web]

Phrases are real espeak-ng speech of the example articles, cycled to length.
Peak memory is tracemalloc's (numpy buffers included) for that stage alone.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from pathlib import Path

import numpy as np

from newsvoice.audio.loudness import normalize, presets
from newsvoice.audio.track import RATE, assemble, resample, to_float, trim_silence
from newsvoice.speech.engines.espeak import EspeakEngine
from newsvoice.text.sentences import split_sentences

REPO = Path(__file__).resolve().parents[1]


def speech_phrases(limit: int = 40) -> list[np.ndarray]:
    """Real speech: the first ``limit`` sentences of the examples, spoken by espeak-ng."""
    eng = EspeakEngine("vi")
    text = " ".join(p.read_text("utf-8") for p in sorted((REPO / "examples").glob("*.txt")))
    out = []
    for sent in split_sentences(" ".join(text.split()))[:limit]:
        sp = eng.synthesize(sent)
        out.append(resample(trim_silence(sp.samples, sp.rate), sp.rate, RATE))
    return out


def programme(
    base: list[np.ndarray], minutes: float, pause_ms: int = 600
) -> tuple[list[np.ndarray], list[int]]:
    """Cycle ``base`` until the phrases plus pauses last ``minutes``."""
    ph: list[np.ndarray] = []
    total = 0.0
    while total < minutes * 60:
        p = base[len(ph) % len(base)]
        ph.append(p)
        total += len(p) / RATE + pause_ms / 1000
    return ph, [pause_ms] * len(ph)


def timed(fn):
    """(result, seconds, peak MiB) of one call, memory from tracemalloc."""
    tracemalloc.start()
    t0 = time.perf_counter()
    out = fn()
    dt = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return out, dt, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", default="15,30,60")
    ap.add_argument("--preset", default="web")
    args = ap.parse_args()
    target = presets()[args.preset]
    base = speech_phrases()
    print(
        f"{len(base)} espeak phrases; target {args.preset}: {target.lufs} LUFS / {target.true_peak} dBTP\n"
    )
    print(
        "| audio min | phrases | assemble s | assemble peak MiB | loudness s | s per audio min "
        "| loudness peak MiB | MiB per audio min | I LUFS | TP dBTP | LRA LU |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for minutes in (float(m) for m in args.minutes.split(",")):
        ph, pauses = programme(base, minutes)
        x, t_asm, m_asm = timed(lambda ph=ph, pauses=pauses: to_float(assemble(ph, pauses)))
        dur_min = len(x) / RATE / 60
        (_, m), t_loud, m_loud = timed(lambda x=x: normalize(x, target))
        print(
            f"| {dur_min:.1f} | {len(ph)} | {t_asm:.2f} | {m_asm:.0f} | {t_loud:.2f} | {t_loud / dur_min:.3f} "
            f"| {m_loud:.0f} | {m_loud / dur_min:.1f} | {m.integrated:.2f} | {m.true_peak:.2f} | {m.lra:.1f} |",
            flush=True,
        )
        del x


if __name__ == "__main__":
    main()
