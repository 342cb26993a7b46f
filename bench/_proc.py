"""Whole-process measurement helpers for the issue 15 benchmarks (cold.py, memory.py,
loudness.py, batch_cli.py).

They drive newsvoice through its CLI only, so they keep working while the pipeline
behind it is rewritten. Each measured command runs under a fresh one-shot Python
"meter" process that starts it, waits, and reports the wall time and
``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``: with exactly one child per meter,
that is the child's own peak RSS (not the maximum over every run of the session).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = Path("/work/shared/samples/dai-loc-party-building.txt")
if not SAMPLE.exists():  # the worktree sits next to shared/ too
    SAMPLE = REPO.parent / "shared/samples/dai-loc-party-building.txt"

_METER = r"""
import json, os, resource, subprocess, sys, threading, time

def tree_rss_kib(root):
    # summed VmRSS of root and its descendants (the render and its sidecar process)
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            kids.setdefault(ppid, []).append(int(d))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += kids.get(pid, [])
        try:
            with open(f"/proc/{pid}/status") as f:
                total += next((int(l.split()[1]) for l in f if l.startswith("VmRSS:")), 0)
        except OSError:
            pass
    return total

t0 = time.perf_counter()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
peak = [0]
def sample():
    while p.poll() is None:
        peak[0] = max(peak[0], tree_rss_kib(p.pid))
        time.sleep(0.02)
threading.Thread(target=sample, daemon=True).start()
out, err = p.communicate()
wall = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "maxrss_kib": ru.ru_maxrss, "tree_kib": peak[0], "user": ru.ru_utime,
                  "sys": ru.ru_stime, "rc": p.returncode, "stdout": out, "stderr": err}))
"""


@dataclass(frozen=True)
class Run:
    """One measured process: wall seconds, peak RSS (MiB, its largest single process), CPU
    seconds, exit code, output, and the peak of the summed RSS of the process and its
    children (a render and its sidecar), sampled every 20 ms."""

    wall: float
    peak_mib: float
    cpu: float
    rc: int
    stdout: str
    stderr: str
    tree_mib: float = 0.0


def compile_bytecode() -> None:
    """Byte-compile newsvoice as ``pip install`` does. An editable install does not, and
    with PYTHONDONTWRITEBYTECODE=1 (set on this machine) every measured process would
    compile ~45 changed modules from source (~0.12 s) that no installed copy pays."""
    import compileall

    compileall.compile_dir(str(REPO / "newsvoice"), quiet=1)


compile_bytecode()


def newsvoice_cmd() -> list[str]:
    """The installed console script next to this interpreter (what a user runs), else -m."""
    exe = Path(sys.executable).parent / "newsvoice"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "newsvoice"]


def measure(cmd: list[str], *, check: bool = True, env: dict[str, str] | None = None) -> Run:
    """Run ``cmd`` as the only child of a fresh meter process; see the module docstring.
    ``env``: variables added to this process's environment for it."""
    out = subprocess.run(
        [sys.executable, "-c", _METER, *cmd],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
        env={**os.environ, **env} if env else None,
    )
    d = json.loads(out.stdout)
    run = Run(
        d["wall"],
        d["maxrss_kib"] / 1024,
        d["user"] + d["sys"],
        d["rc"],
        d["stdout"],
        d["stderr"],
        d["tree_kib"] / 1024,
    )
    if check and run.rc != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {run.rc}:\n{run.stderr[-2000:]}")
    return run


def render(
    article: Path, out: Path, cache: Path, *extra: str, env: dict[str, str] | None = None
) -> Run:
    """``newsvoice render ARTICLE -o OUT --engine espeak --cache-dir CACHE`` as one process."""
    return measure(
        [
            *newsvoice_cmd(),
            "render",
            str(article),
            "-o",
            str(out),
            "--engine",
            "espeak",
            "--cache-dir",
            str(cache),
            *extra,
        ],
        env=env,
    )


def manifest(out: Path) -> dict:
    """The render's JSON manifest in ``out`` (one article per folder)."""
    (path,) = out.glob("*.json")
    return json.loads(path.read_text("utf-8"))


def engine_calls(stderr: str) -> int | None:
    """Engine calls from the render's summary line on stderr (None if the line changed)."""
    m = re.search(r"(\d+) engine calls", stderr)
    return int(m.group(1)) if m else None


@contextmanager
def workdir(prefix: str) -> Iterator[Path]:
    """A scratch folder for renders and caches, removed afterwards (long WAVs are large)."""
    d = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def load() -> str:
    """Load averages (1, 5, 15 min) and core count: the machine is shared."""
    la = Path("/proc/loadavg").read_text().split()[:3]
    return f"load average {' '.join(la)} on {os.cpu_count()} cores"


def mem_available_mib() -> float:
    """MemAvailable from /proc/meminfo (the `available` column of `free -m`)."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) / 1024
    return float("inf")


def table(head: list[str], rows: list[list[str]], right: int = 1) -> str:
    """A Markdown table (pastes straight into bench/README.md); columns from ``right`` on
    are right-aligned."""
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---" if i < right else "---:" for i in range(len(head))) + "|",
    ]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)
