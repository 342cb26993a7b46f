"""Benchmark: how long the CLI's fast paths take, whole process, against `python -c pass`.

    python bench/startup.py [--runs 5] [--save after.json] [--before before.json]

Runs each command ``--runs`` times in a fresh process (the installed ``newsvoice``
script next to this Python, else ``python -m newsvoice``) and prints the median wall
time and its ratio to an empty interpreter; the last row is a bare interpreter that
loads the word segmenter's model (what every render pays once). Inputs are written to a temporary folder
(a short Vietnamese article, an empty file). ``--save`` keeps the medians as JSON;
``--before`` adds the medians of an earlier ``--save`` (e.g. from the code before a
change) as a column, so one table shows before and after.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ARTICLE = (
    "Hà Nội hôm nay mưa to, nhiệt độ 18-20°C.\n\nGiao thông ùn tắc ở nhiều tuyến phố từ 7h30.\n"
)
TARGET_S = 0.4  # the fast paths' budget
# python + newsvoice.text.wordseg + underthesea's CRF model, as the first cue cut of a render pays it
SEGMENTER = "from newsvoice.text.wordseg import inside_word; inside_word(['kiểm', 'soát'])"


def newsvoice_cmd() -> list[str]:
    script = Path(sys.executable).with_name("newsvoice")
    return [str(script)] if script.exists() else [sys.executable, "-m", "newsvoice"]


def commands(tmp: Path) -> list[tuple[str, list[str], int]]:
    """(label, argv, expected exit code)."""
    nv = newsvoice_cmd()
    art, empty, out = tmp / "a.txt", tmp / "empty.txt", str(tmp / "out")
    return [
        ("python -c pass", [sys.executable, "-c", "pass"], 0),
        ("newsvoice --help", [*nv, "--help"], 0),
        ("newsvoice render --help", [*nv, "render", "--help"], 0),
        ("render missing file", [*nv, "render", "/nonexistent/a.txt", "-o", out], 1),
        ("render empty file", [*nv, "render", str(empty), "-o", out], 1),
        ("sentences FILE", [*nv, "sentences", str(art)], 0),
        ("normalize FILE", [*nv, "normalize", str(art)], 0),
        ("word segmenter load", [sys.executable, "-c", SEGMENTER], 0),
    ]


def time_one(argv: list[str], expect: int) -> float:
    t0 = time.perf_counter()
    p = subprocess.run(argv, capture_output=True, check=False)
    dt = time.perf_counter() - t0
    if p.returncode != expect:
        raise SystemExit(
            f"{' '.join(argv)}: exit {p.returncode}, expected {expect}\n{p.stderr.decode()}"
        )
    return dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--save", type=Path, help="write the medians as JSON")
    ap.add_argument("--before", type=Path, help="JSON from an earlier --save, shown as a column")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="nv-startup-"))
    try:
        (tmp / "a.txt").write_text(ARTICLE, encoding="utf-8")
        (tmp / "empty.txt").write_bytes(b"")
        medians: dict[str, float] = {}
        for label, argv, expect in commands(tmp):
            time_one(argv, expect)  # warm the file cache
            medians[label] = statistics.median(time_one(argv, expect) for _ in range(args.runs))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    before = json.loads(args.before.read_text()) if args.before else None
    base = medians["python -c pass"]
    print(f"median of {args.runs} runs; x = ratio to `python -c pass`; budget {TARGET_S} s\n")
    if before:
        print("| command | before s | x | after s | x |\n|---|---:|---:|---:|---:|")
    else:
        print("| command | median s | x |\n|---|---:|---:|")
    for label, s in medians.items():
        row = f"| {label} |"
        if before:
            b = before.get(label)
            row += " – | – |" if b is None else f" {b:.3f} | {b / before['python -c pass']:.1f} |"
        print(f"{row} {s:.3f} | {s / base:.1f} |")
    if args.save:
        args.save.write_text(json.dumps(medians, indent=1))


if __name__ == "__main__":
    main()
