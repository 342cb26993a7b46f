"""Benchmark (issue 15): `newsvoice batch --jobs 2` against `--jobs 1`, whole processes.

    python bench/batch_cli.py [--articles 50] [--sentences 4] [--seed 3] [--runs 1]

bench/batch.py measures the same through `run_batch` in-process (plus threads, warm cache
and skip rows); this one drives only the CLI, so it keeps working while the pipeline
behind `batch` is rewritten, and it counts what a user waits for (start-up, worker
processes, report). Articles are generated exactly as bench/batch.py does (same
templates and seed). Each run gets a fresh output folder and a fresh --cache-dir (cold).

Target: --jobs 2 >= 1.8x faster than --jobs 1 (2 cores).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _articles import make_articles
from _proc import load, measure, median, newsvoice_cmd, table, workdir


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--articles", type=int, default=50)
    ap.add_argument("--sentences", type=int, default=4)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--runs", type=int, default=1, help="runs per --jobs value (median reported)")
    with workdir("nv-bench-batchcli-") as tmp:
        return bench(ap.parse_args(), tmp)


def bench(a: argparse.Namespace, tmp: Path) -> int:
    make_articles(tmp / "in", a.articles, a.sentences, a.seed)
    print(f"{load()} (before)")
    walls: dict[int, list[float]] = {1: [], 2: []}
    peaks: dict[int, list[float]] = {1: [], 2: []}
    cpus: dict[int, list[float]] = {1: [], 2: []}
    for r in range(a.runs):
        for jobs in (1, 2):  # alternated, so a burst of load from elsewhere hits both alike
            out = tmp / f"out-j{jobs}-{r}"
            run = measure(
                [
                    *newsvoice_cmd(),
                    "batch",
                    str(tmp / "in"),
                    "-o",
                    str(out),
                    "--engine",
                    "espeak",
                    "--jobs",
                    str(jobs),
                    "--cache-dir",
                    str(tmp / f"cache-j{jobs}-{r}"),
                    "-q",
                ]
            )
            done = len(list(out.glob("*/*.wav")))
            assert done == a.articles, f"--jobs {jobs}: {done} of {a.articles} articles rendered"
            walls[jobs].append(run.wall)
            peaks[jobs].append(run.peak_mib)
            cpus[jobs].append(run.cpu)
    t1 = median(walls[1])
    rows = [
        [
            f"`batch --jobs {j}`, cold cache",
            f"{median(walls[j]):.2f}",
            " / ".join(f"{w:.2f}" for w in walls[j]),
            f"{a.articles / median(walls[j]):.1f}",
            f"{median(cpus[j]):.1f}",
            f"{max(peaks[j]):.0f}",
            f"{t1 / median(walls[j]):.2f}x",
        ]
        for j in (1, 2)
    ]
    print(
        f"{a.articles} articles of {a.sentences} sentences (seed {a.seed}), espeak, whole processes\n"
    )
    print(
        table(
            [
                "run",
                "wall s (median)",
                "runs",
                "articles/s",
                "CPU s (all processes)",
                "peak RSS MiB (largest process)",
                "vs --jobs 1",
            ],
            rows,
        )
    )
    per_round = [x / y for x, y in zip(walls[1], walls[2], strict=True)]
    print(
        f"\n--jobs 2 / --jobs 1: {median(per_round):.2f}x per round ({' / '.join(f'{r:.2f}' for r in per_round)}), "
        f"{t1 / median(walls[2]):.2f}x of the medians (target >= 1.8x); CPU time --jobs 2 / --jobs 1: "
        f"{median(cpus[2]) / median(cpus[1]):.2f}x (above 1: work the second worker repeats)"
    )
    print(f"{load()} (after)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
