"""Benchmark: track assembly (ours vs naive pydub ``a = a + seg``) and the offline
end-to-end real-time factor on the shared sample article.

    python bench/render.py [--sizes 100,1000,5000] [--phrase-ms 250]

Prints a table; both sides run in this process on the same data.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from newsvoice.audio.track import RATE, assemble, segment

REPO = Path(__file__).resolve().parents[1]


def phrases(n: int, phrase_ms: int, seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    lens = rng.integers(phrase_ms // 2, phrase_ms * 3 // 2, size=n) * RATE // 1000
    return [(rng.standard_normal(k) * 3000).astype(np.int16) for k in lens]


def naive(ph: list[np.ndarray], pause_ms: int):
    """What people write with pydub: grow the track one segment at a time."""
    from pydub import AudioSegment

    a = AudioSegment.silent(duration=0, frame_rate=RATE)
    gap = AudioSegment.silent(duration=pause_ms, frame_rate=RATE)
    for p in ph:
        a = a + segment(p) + gap
    return a


def bench_assembly(sizes: list[int], phrase_ms: int, pause_ms: int = 100) -> list[tuple]:
    rows = []
    assemble(phrases(10, phrase_ms), [pause_ms] * 10)  # warm-up: imports, allocator
    for n in sizes:
        ph = phrases(n, phrase_ms)
        t0 = time.perf_counter()
        track = assemble(ph, [pause_ms] * n)
        ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        ref = naive(ph, pause_ms)
        base = time.perf_counter() - t0
        assert len(ref.raw_data) == track.n_samples * 2, "both build the same track"
        track.close()
        rows.append((n, track.duration_s, ours, base, base / ours))
    return rows


def bench_e2e(article: Path) -> tuple[float, float, float, float]:
    from newsvoice.pipeline.render import RenderOptions, render

    with tempfile.TemporaryDirectory() as tmp:
        opts = RenderOptions(engine="espeak", cache_dir=Path(tmp) / "cache")
        t0 = time.perf_counter()
        res = render(article, Path(tmp) / "cold", opts)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        render(article, Path(tmp) / "warm", opts)
        warm = time.perf_counter() - t0
    return res.duration_s, cold, warm, res.duration_s / cold


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="100,1000,5000")
    ap.add_argument("--phrase-ms", type=int, default=250)
    ap.add_argument(
        "--article", type=Path, default=REPO.parent / "shared/samples/dai-loc-party-building.txt"
    )
    a = ap.parse_args()
    print(f"Assembly, phrases of ~{a.phrase_ms} ms + 100 ms pause at {RATE} Hz mono")
    print(f"{'phrases':>8} {'audio s':>9} {'ours s':>9} {'naive + s':>10} {'speed-up':>9}")
    for n, dur, ours, base, ratio in bench_assembly(
        [int(x) for x in a.sizes.split(",")], a.phrase_ms
    ):
        print(f"{n:>8} {dur:>9.1f} {ours:>9.4f} {base:>10.3f} {ratio:>8.0f}x")
    if a.article.exists():
        dur, cold, warm, rtf = bench_e2e(a.article)
        print(f"\nOffline end-to-end (espeak) on {a.article.name}: {dur:.1f} s of audio")
        print(f"{'run':>10} {'wall s':>8} {'x real time':>12}")
        print(f"{'cold':>10} {cold:>8.2f} {dur / cold:>11.0f}x")
        print(f"{'warm':>10} {warm:>8.2f} {dur / warm:>11.0f}x")
    else:
        print(f"(no {a.article}; skipped the end-to-end run)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
