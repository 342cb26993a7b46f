"""Benchmark (issue 15): a whole `newsvoice render` of the shared sample, cold and warm
cache, against the raw engine speaking the same text.

    python bench/cold.py [--runs 3] [--article SAMPLE] [--profile prof.out]

Rows (each a whole process; the runs are interleaved in rounds, see bench()):
* cold: `newsvoice render SAMPLE -o DIR --engine espeak --cache-dir FRESH` (a new cache
  folder every round);
* unchanged again: the same command on that round's cache (the render memo restores it);
* memo emptied: the same again after deleting the cache's renders/ folder (every phrase a
  cache hit, everything after synthesis redone);
* one-word edit: the article with one word added to its last paragraph, on that cache
  (a memo miss; only the changed units are synthesised);
* raw engine: what an espeak-ng CLI would cost. There is no espeak-ng executable here,
  so a fresh Python process imports `newsvoice.speech.engines.espeak`, synthesises the render's
  spoken text (the manifest's units) and writes it as a 16-bit WAV: once unit by unit
  (the calls a render makes) and once as one text (what `espeak-ng -f text -w out.wav`
  does). Process start and import are counted, as they would be for a CLI.

Target: cold <= 3x the raw engine (aim 2x); an unchanged render again >= 3x faster than cold.
With --profile FILE, one more cold render runs under cProfile (`python -m cProfile -o
FILE -m newsvoice render ...`) and its top 20 functions by cumulative time are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import shutil
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
from newsvoice.speech.engines.espeak import EspeakEngine
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
    """One cold render under cProfile (the render process only, not its sidecar); print
    the top 20 by cumulative time. It calls cli.main(), not the console script's run(),
    which leaves with os._exit before cProfile could write its file."""
    script = tmp / "profiled_render.py"
    script.write_text("import sys\nfrom newsvoice.cli.app import main\nmain()\n", encoding="utf-8")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "cProfile",
            "-o",
            str(out_file),
            str(script),
            "-q",
            "render",
            str(article),
            "-o",
            str(tmp / "prof-out"),
            "--engine",
            "espeak",
            "--cache-dir",
            str(tmp / "prof-cache"),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        env={**os.environ, **dict.fromkeys(("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"), "1")},
    )
    print(f"\ncProfile of one cold render ({out_file}), top 20 by cumulative time:\n")
    stats = pstats.Stats(str(out_file), stream=sys.stdout).sort_stats("cumulative")
    stats.print_stats(20)
    print(
        "The same, newsvoice's own functions only (CLI and click wrappers above them left out):\n"
    )
    stats.print_stats(r"newsvoice[/\\](?!cli|__main__)", 20)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--runs", type=int, default=3, help="runs per row; the median is reported")
    ap.add_argument("--article", type=Path, default=SAMPLE)
    ap.add_argument(
        "--profile", type=Path, metavar="FILE", help="also profile one cold render into FILE"
    )
    with workdir("nv-bench-cold-") as tmp:
        return bench(ap.parse_args(), tmp)


def _edited(article: Path, tmp: Path) -> Path:
    """The article with one word of its last paragraph changed (a producer's late fix)."""
    text = article.read_text(encoding="utf-8").rstrip("\n")
    head, _, last = text.rpartition("\n")
    out = tmp / f"edited-{article.name}"
    out.write_text(f"{head}\n{last.replace(' ', ' đã ', 1)}\n", encoding="utf-8")
    return out


def bench(a: argparse.Namespace, tmp: Path) -> int:
    """Rounds interleave every kind of run, so a slow spell of this shared machine hits
    them alike; ratios are given per round (median) and of the medians."""
    before = load()
    version = measure([*newsvoice_cmd(), "--version"])
    first = render(
        a.article, tmp / "cold-first", tmp / "cache-first"
    )  # its manifest gives the spoken text
    man = manifest(tmp / "cold-first")
    spoken = [u["spoken"] for u in man["units"]]
    texts = tmp / "spoken.json"
    texts.write_text(json.dumps(spoken, ensure_ascii=False), "utf-8")
    edited = _edited(a.article, tmp)
    runs: dict[str, list] = {k: [] for k in ("cold", "units", "whole", "memo", "phrase", "edit")}
    for i in range(a.runs):
        cache = tmp / f"cache{i}"
        runs["cold"].append(render(a.article, tmp / f"cold{i}", cache))
        runs["units"].append(raw_engine(texts, "units", tmp / "raw-units.wav", 1))
        runs["whole"].append(raw_engine(texts, "whole", tmp / "raw-whole.wav", 1))
        runs["memo"].append(
            render(a.article, tmp / f"memo{i}", cache)
        )  # identical: restored by the render memo
        shutil.rmtree(cache / "renders", ignore_errors=True)  # every phrase cached, no memo entry
        runs["phrase"].append(render(a.article, tmp / f"phrase{i}", cache))
        shutil.rmtree(cache / "renders", ignore_errors=True)
        runs["edit"].append(
            render(edited, tmp / f"edit{i}", cache)
        )  # one word changed: a memo miss
    wall = {k: [r[0] if isinstance(r, tuple) else r.wall for r in v] for k, v in runs.items()}
    med = {k: median(v) for k, v in wall.items()}
    dur = man["duration_s"]
    print(f"{before} (before)")
    print(
        f"{a.article.name}: {dur:.1f} s of audio, {len(spoken)} units, "
        f"{sum(map(len, spoken))} spoken characters; {a.runs} interleaved rounds of whole processes\n"
    )
    rows = []
    for key, name in (
        ("cold", "render, cold cache"),
        ("memo", "render again, unchanged (render memo)"),
        ("phrase", "render again, memo emptied (every phrase cached)"),
        ("edit", "render after a one-word edit (memo miss, phrases cached)"),
    ):
        rows.append(
            [
                name,
                f"{med[key]:.2f}",
                " / ".join(f"{x:.2f}" for x in wall[key]),
                f"{median([r.peak_mib for r in runs[key]]):.0f}",
                str(engine_calls(runs[key][0].stderr) if key != "memo" else "0 (restored)"),
                f"{dur / med[key]:.0f}x",
                "",
            ]
        )
    rows.append(
        [
            "`newsvoice --version` (start + CLI import)",
            f"{version.wall:.2f}",
            "",
            f"{version.peak_mib:.0f}",
            "",
            "",
            "",
        ]
    )
    for key, name in (("units", "raw engine, unit by unit"), ("whole", "raw engine, one text")):
        split = sorted(runs[key], key=lambda t: t[0])[len(runs[key]) // 2][1]
        rows.append(
            [
                name,
                f"{med[key]:.2f}",
                " / ".join(f"{x:.2f}" for x in wall[key])
                + f" (median run: start+import {split['import']:.2f}, synth {split['synth']:.2f},"
                f" wav {split['write']:.2f})",
                "",
                str(split["calls"]),
                f"{split['audio'] / med[key]:.0f}x",
                f"{split['audio']:.1f} s",
            ]
        )
    print(
        table(
            [
                "run",
                "wall s (median)",
                "runs s",
                "peak RSS MiB",
                "engine calls",
                "x real time",
                "raw audio",
            ],
            rows,
        )
    )

    def ratio(num: str, den: str) -> str:
        per_round = median([x / y for x, y in zip(wall[num], wall[den], strict=True)])
        return f"{per_round:.2f}x per round ({med[num] / med[den]:.2f}x of the medians)"

    print(
        f"\ncold / raw engine, unit by unit: {ratio('cold', 'units')}; one text: {ratio('cold', 'whole')}"
        "  (target <= 3x, aim 2x)"
    )
    print(f"cold / unchanged again: {ratio('cold', 'memo')}  (target >= 3x)")
    print(
        f"cold / memo emptied: {ratio('cold', 'phrase')}; cold / one-word edit: {ratio('cold', 'edit')}"
    )
    print(f"{load()} (after)")
    del first
    if a.profile:
        profile(a.article, tmp, a.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
