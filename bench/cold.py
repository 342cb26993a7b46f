"""Benchmark (issue 15): a whole `newsvoice render` of the shared sample, cold and warm
cache, against the raw engine speaking the same text.

    python bench/cold.py [--runs 3] [--article SAMPLE] [--profile prof.out]

Rows (each a whole process, median of --runs):
* cold: `newsvoice render SAMPLE -o DIR --engine espeak --cache-dir FRESH` (a new cache
  folder for every run);
* warm: the same command again on the last cold run's cache (every phrase a cache hit);
* raw engine: what an espeak-ng CLI would cost. There is no espeak-ng executable here,
  so a fresh Python process imports `newsvoice.engines.espeak`, synthesises the render's
  spoken text (the manifest's units) and writes it as a 16-bit WAV: once unit by unit
  (the calls a render makes) and once as one text (what `espeak-ng -f text -w out.wav`
  does). Process start and import are counted, as they would be for a CLI.

Target: cold <= 3x the raw engine (aim 2x); warm >= 3x faster than cold.
With --profile FILE, one more cold render runs under cProfile (`python -m cProfile -o
FILE -m newsvoice render ...`) and its top 20 functions by cumulative time are printed.
"""

from __future__ import annotations

import argparse
import json
import pstats
import subprocess
import sys
from pathlib import Path

from _proc import (
    SAMPLE,
    engine_calls,
    load,
    manifest,
    measure,
    median,
    newsvoice_cmd,
    render,
    table,
    workdir,
)

# The raw engine, in a fresh process: import, synthesise, write a WAV (what a CLI does).
_RAW = r"""
import json, sys, time, wave
t0 = time.perf_counter()
from newsvoice.engines.espeak import EspeakEngine
import numpy as np
eng = EspeakEngine("vi")
t1 = time.perf_counter()
texts = json.load(open(sys.argv[1], encoding="utf-8"))
if sys.argv[2] == "whole":
    texts = [" ".join(texts)]
chunks = [eng.synthesize(t) for t in texts]
t2 = time.perf_counter()
pcm = np.concatenate([c.samples for c in chunks]).astype("<i2")
with wave.open(sys.argv[3], "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(chunks[0].rate); w.writeframes(pcm.tobytes())
t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "synth": t2 - t1, "write": t3 - t2, "audio": len(pcm) / chunks[0].rate,
                  "calls": len(texts)}))
"""


def raw_engine(texts_file: Path, mode: str, wav: Path, runs: int) -> tuple[float, dict]:
    """Median wall of the raw-engine process, and the in-process split of the median run."""
    results = []
    for _ in range(runs):
        r = measure([sys.executable, "-c", _RAW, str(texts_file), mode, str(wav)])
        results.append((r.wall, json.loads(r.stdout)))
    results.sort(key=lambda t: t[0])
    return results[len(results) // 2]


def profile(article: Path, tmp: Path, out_file: Path) -> None:
    """One cold render under cProfile; print the top 20 by cumulative time."""
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(out_file), "-m", "newsvoice", "render",
                    str(article), "-o", str(tmp / "prof-out"), "--engine", "espeak",
                    "--cache-dir", str(tmp / "prof-cache"), "-q"], check=True, stdout=subprocess.DEVNULL)
    print(f"\ncProfile of one cold render ({out_file}), top 20 by cumulative time:\n")
    stats = pstats.Stats(str(out_file), stream=sys.stdout).sort_stats("cumulative")
    stats.print_stats(20)
    print("The same, newsvoice's own functions only (CLI and click wrappers above them left out):\n")
    stats.print_stats(r"newsvoice[/\\](?!cli|__main__)", 20)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3, help="runs per row; the median is reported")
    ap.add_argument("--article", type=Path, default=SAMPLE)
    ap.add_argument("--profile", type=Path, metavar="FILE", help="also profile one cold render into FILE")
    with workdir("nv-bench-cold-") as tmp:
        return bench(ap.parse_args(), tmp)


def bench(a: argparse.Namespace, tmp: Path) -> int:
    before = load()
    version = measure([*newsvoice_cmd(), "--version"])

    cold = [render(a.article, tmp / f"cold{i}", tmp / f"cache{i}") for i in range(a.runs)]
    cache = tmp / f"cache{a.runs - 1}"
    warm = [render(a.article, tmp / f"warm{i}", cache) for i in range(a.runs)]
    man = manifest(tmp / "cold0")
    spoken = [u["spoken"] for u in man["units"]]
    texts = tmp / "spoken.json"
    texts.write_text(json.dumps(spoken, ensure_ascii=False), "utf-8")
    raw_units, split_u = raw_engine(texts, "units", tmp / "raw-units.wav", a.runs)
    raw_whole, split_w = raw_engine(texts, "whole", tmp / "raw-whole.wav", a.runs)

    t_cold, t_warm = median([r.wall for r in cold]), median([r.wall for r in warm])
    dur = man["duration_s"]
    print(f"{before} (before)")
    print(f"{a.article.name}: {dur:.1f} s of audio, {len(spoken)} units, "
          f"{sum(map(len, spoken))} spoken characters; median of {a.runs} whole processes\n")
    rows = [
        ["render, cold cache", f"{t_cold:.2f}", " / ".join(f"{r.wall:.2f}" for r in cold),
         f"{median([r.peak_mib for r in cold]):.0f}", str(engine_calls(cold[0].stderr)), f"{dur / t_cold:.0f}x", ""],
        ["render, warm cache", f"{t_warm:.2f}", " / ".join(f"{r.wall:.2f}" for r in warm),
         f"{median([r.peak_mib for r in warm]):.0f}", str(engine_calls(warm[0].stderr)), f"{dur / t_warm:.0f}x", ""],
    ]
    rows.append(["`newsvoice --version` (start + CLI import)", f"{version.wall:.2f}", "",
                 f"{version.peak_mib:.0f}", "", "", ""])
    for name, t, split in (("raw engine, unit by unit", raw_units, split_u), ("raw engine, one text", raw_whole, split_w)):
        rows.append([name, f"{t:.2f}", f"start+import {split['import']:.2f}, synth {split['synth']:.2f}, "
                     f"wav {split['write']:.2f}", "", str(split["calls"]), f"{split['audio'] / t:.0f}x",
                     f"{split['audio']:.1f} s"])
    print(table(["run", "wall s (median)", "runs / split s", "peak RSS MiB", "engine calls", "x real time",
                 "raw audio"], rows))
    print(f"\ncold / raw engine (unit by unit): {t_cold / raw_units:.2f}x; "
          f"cold / raw engine (one text): {t_cold / raw_whole:.2f}x  (target <= 3x, aim 2x)")
    print(f"cold / warm: {t_cold / t_warm:.2f}x  (target >= 3x)")
    print(f"{load()} (after)")
    if a.profile:
        profile(a.article, tmp, a.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
