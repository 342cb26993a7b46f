"""Benchmark: an offline (espeak-ng) batch of generated articles.

    python bench/batch.py [--articles 50] [--sentences 4] [--seed 3]

Rows: --jobs 1 vs --jobs 2 (worker processes) on cold caches; two threads
sharing one espeak (what a thread pool would give); the same batch again with
the warm cache (--force, new folder); and an up-to-date re-run (all skipped).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _articles import make_articles  # bench/ is on sys.path when run as a script

from newsvoice.pipeline.batch import (
    BatchOptions,
    collect_inputs,
    plan_items,
    render_item,
    run_batch,
)
from newsvoice.pipeline.render import RenderOptions


def timed(fn) -> tuple[float, list]:
    t0 = time.perf_counter()
    res = fn()
    return time.perf_counter() - t0, res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--articles", type=int, default=50)
    ap.add_argument("--sentences", type=int, default=4)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="nv-bench-batch-"))
    make_articles(tmp / "in", args.articles, args.sentences, args.seed)
    paths = collect_inputs([str(tmp / "in")])

    def opts(cache: str) -> RenderOptions:
        return RenderOptions(engine="espeak", cache_dir=tmp / cache)

    def threads(cache: str, out: str) -> list:
        from newsvoice.speech.engines.espeak import EspeakEngine

        eng, o = EspeakEngine("vi"), opts(cache)
        with ThreadPoolExecutor(2) as pool:
            return list(pool.map(lambda it: render_item(it, o, eng), plan_items(paths, tmp / out)))

    rows = []
    t1, r1 = timed(lambda: run_batch(paths, tmp / "o1", opts("c1"), BatchOptions(jobs=1)))
    rows.append(("--jobs 1, cold cache", t1, r1))
    t2, r2 = timed(lambda: run_batch(paths, tmp / "o2", opts("c2"), BatchOptions(jobs=2)))
    rows.append(("--jobs 2 (processes), cold cache", t2, r2))
    tt, rt = timed(lambda: threads("c3", "o3"))
    rows.append(("2 threads, one espeak, cold cache", tt, rt))
    tw, rw = timed(
        lambda: run_batch(paths, tmp / "o4", opts("c2"), BatchOptions(jobs=2, force=True))
    )
    rows.append(("--jobs 2, warm cache", tw, rw))
    ts, rs = timed(lambda: run_batch(paths, tmp / "o4", opts("c2"), BatchOptions(jobs=2)))
    rows.append(("--jobs 2, up to date (all skipped)", ts, rs))

    audio = sum(r.duration or 0 for r in r1)
    print(f"{len(paths)} articles, {audio:.0f} s of audio in total\n")
    print("| run | wall s | articles/s | vs --jobs 1 cold |")
    print("|---|---:|---:|---:|")
    for name, t, res in rows:
        assert all(r.status in ("ok", "skipped") for r in res), name
        print(f"| {name} | {t:.2f} | {len(res) / t:.1f} | {t1 / t:.2f}x |")
    print(
        f"\nprocess speed-up (jobs 2 / jobs 1): {t1 / t2:.2f}x; threads: {t1 / tt:.2f}x; "
        f"warm cache vs cold (jobs 2): {t2 / tw:.2f}x"
    )


if __name__ == "__main__":
    main()
