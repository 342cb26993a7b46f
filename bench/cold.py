"""Benchmark (issues 15, 27): a whole `newsvoice render` of the shared sample, cold and
warm cache, against the espeak-ng command-line tool speaking the same text.

    apt-get install espeak-ng     # Debian: the CLI baseline (/usr/bin/espeak-ng)
    python bench/cold.py [--runs 7] [--article SAMPLE] [--jobs-1] [--profile prof.out]

Rows (each a whole process; the runs are interleaved in rounds, A B A B ..., see bench()):
* cold: `newsvoice render SAMPLE -o DIR --engine espeak --cache-dir FRESH` (a new cache
  folder every round);
* espeak-ng CLI (the baseline, the physical limit of an offline render): `espeak-ng -v vi
  -f spoken.txt -w out.wav`, spoken.txt being the render's spoken text (the manifest's
  units, one a line); skipped with a note when there is no espeak-ng executable;
* cold, -j 1 (with --jobs-1): the cold render without a second process;
* cold, baseline tree (with --baseline-tree DIR): the cold render with the package
  found first in DIR (PYTHONPATH=DIR; e.g. `git archive main newsvoice | tar -x -C DIR`,
  byte-compiled): before and after a change in the same rounds;
* unchanged again: the same command on that round's cache (the render memo restores it);
* memo emptied: the same again after deleting the cache's renders/ folder (every phrase a
  cache hit, everything after synthesis redone);
* one-word edit: the article with one word added to its last paragraph, on that cache
  (a memo miss; only the changed units are synthesised);
* raw engine (the second reference): a fresh Python process imports
  `newsvoice.speech.engines.espeak` (the in-process library a render uses), synthesises
  the render's spoken text and writes it as a 16-bit WAV: once unit by unit (the calls
  a render makes) and once as one text. Process start and import are counted.

Targets: cold <= 3x the espeak-ng CLI at the median of interleaved runs (aim 2x), the cold
render's min and median within 1.3x; an unchanged render again >= 3x faster than cold.
The load average (`uptime`) is printed before and after: other jobs share the cores.
With --profile FILE, one more cold render runs under cProfile (`python -m cProfile -o
FILE -m newsvoice render ...`) and its top 20 functions by cumulative time are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import shutil
import statistics
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


def _wav_seconds(path: Path) -> float:
    import wave

    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


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
    ap.add_argument(
        "--jobs-1", action="store_true", help="also a cold render with -j 1 (no second process)"
    )
    ap.add_argument(
        "--baseline-tree",
        type=Path,
        metavar="DIR",
        help="also a cold render of the newsvoice package in DIR (PYTHONPATH=DIR)",
    )
    ap.add_argument(
        "--cold-only",
        action="store_true",
        help="only the cold rows and the baselines (no memo, emptied-memo or edit rows)",
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
    spoken_txt = tmp / "spoken.txt"
    spoken_txt.write_text("\n".join(spoken) + "\n", "utf-8")
    cli_exe = shutil.which("espeak-ng")
    edited = _edited(a.article, tmp)
    keys = ["cold", "cli"] if cli_exe else ["cold"]
    keys += ["j1"] * a.jobs_1 + ["base"] * bool(a.baseline_tree) + ["units", "whole"]
    keys += [] if a.cold_only else ["memo", "phrase", "edit"]
    runs: dict[str, list] = {k: [] for k in keys}
    for i in range(a.runs):
        cache = tmp / f"cache{i}"
        runs["cold"].append(render(a.article, tmp / f"cold{i}", cache))
        if cli_exe:
            runs["cli"].append(
                measure([cli_exe, "-v", "vi", "-f", str(spoken_txt), "-w", str(tmp / "cli.wav")])
            )
        if a.jobs_1:
            runs["j1"].append(render(a.article, tmp / f"j1-{i}", tmp / f"cache-j1-{i}", "-j", "1"))
        if a.baseline_tree:
            runs["base"].append(
                render(
                    a.article,
                    tmp / f"base{i}",
                    tmp / f"cache-base-{i}",
                    env={"PYTHONPATH": str(a.baseline_tree.resolve())},
                )
            )
        runs["units"].append(raw_engine(texts, "units", tmp / "raw-units.wav", 1))
        runs["whole"].append(raw_engine(texts, "whole", tmp / "raw-whole.wav", 1))
        if a.cold_only:
            continue
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
        ("j1", "render, cold cache, -j 1"),
        ("base", "render, cold cache, baseline tree"),
        ("memo", "render again, unchanged (render memo)"),
        ("phrase", "render again, memo emptied (every phrase cached)"),
        ("edit", "render after a one-word edit (memo miss, phrases cached)"),
    ):
        if key not in runs:
            continue
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
    if "cli" in runs:
        rows.append(
            [
                "`espeak-ng -v vi -f spoken.txt -w out.wav` (CLI)",
                f"{med['cli']:.2f}",
                " / ".join(f"{x:.2f}" for x in wall["cli"]),
                f"{median([r.peak_mib for r in runs['cli']]):.0f}",
                "1",
                f"{_wav_seconds(tmp / 'cli.wav') / med['cli']:.0f}x",
                f"{_wav_seconds(tmp / 'cli.wav'):.1f} s",
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

    print()
    for key in ("cold", "j1", "base"):
        if key in runs:
            c = wall[key]
            print(
                f"{key}: min {min(c):.2f} s, median {med[key]:.2f} s: median / min"
                f" {med[key] / min(c):.2f}x (target <= 1.3x); spread"
                f" {statistics.pstdev(c) / med[key]:.0%} of the median"
            )
            if "cli" in runs:
                print(
                    f"{key} / espeak-ng CLI: {ratio(key, 'cli')}; of the minima"
                    f" {min(c) / min(wall['cli']):.2f}x  (target <= 3x at the median, aim 2x)"
                )
                cpu = [r.cpu for r in runs[key]]
                cli_cpu = [r.cpu for r in runs["cli"]]
                print(
                    f"  CPU s (user+sys, its processes): {key} {median(cpu):.2f}, CLI"
                    f" {median(cli_cpu):.2f}: {median(cpu) / median(cli_cpu):.2f}x"
                )
    print(
        f"cold / raw engine, unit by unit: {ratio('cold', 'units')}; one text: {ratio('cold', 'whole')}"
    )
    if not a.cold_only:
        print(f"cold / unchanged again: {ratio('cold', 'memo')}  (target >= 3x)")
        print(
            f"cold / memo emptied: {ratio('cold', 'phrase')}; cold / one-word edit: {ratio('cold', 'edit')}"
        )
    if not cli_exe:
        print("no espeak-ng executable: `apt-get install espeak-ng` for the CLI baseline")
    print(f"{load()} (after)")
    del first
    if a.profile:
        profile(a.article, tmp, a.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
