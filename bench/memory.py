"""Benchmark (issue 15): peak memory of a whole `newsvoice render` (espeak) on the shared
sample and on generated programmes of about 15, 30 and 60 minutes of audio.

    python bench/memory.py [--minutes 15,30,60] [--seed 5] [--mem-share 0.6]

Each render is one process, the only child of a fresh meter process, so the peak RSS
reported (getrusage(RUSAGE_CHILDREN).ru_maxrss) is that render's own. Every render gets a
fresh cache folder. Long programmes repeat the sample's paragraphs with other numbers,
dates, places and names each time, so sentences differ (the short phrases between commas
that do not name anything still repeat and come from the cache: see "engine calls").
Their length is calibrated on the sample's own render (seconds of audio per character).
A size is skipped, with a note, when the peak extrapolated from the largest render so
far (MiB per audio minute x minutes) would exceed --mem-share of MemAvailable.

Targets: <= 200 MiB for the sample, <= 400 MiB at 30 minutes, flat beyond.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from pathlib import Path

from _proc import SAMPLE, engine_calls, load, manifest, mem_available_mib, render, table, workdir

PLACES = [
    "Đại Lộc",
    "Hội An",
    "Tam Kỳ",
    "Điện Bàn",
    "Duy Xuyên",
    "Quế Sơn",
    "Núi Thành",
    "Thăng Bình",
    "Phú Ninh",
    "Tiên Phước",
    "Hiệp Đức",
    "Nông Sơn",
    "Nam Giang",
    "Đông Giang",
    "Tây Giang",
]
NAMES = [
    "Nguyễn Hảo",
    "Nguyễn Hữu Vũ",
    "Lê Văn Quang",
    "Trần Thị Mai",
    "Phạm Văn Hùng",
    "Võ Minh Tâm",
    "Huỳnh Thị Lan",
    "Đặng Quốc Bảo",
    "Bùi Thanh Sơn",
    "Phan Thị Hoa",
    "Đỗ Văn Nam",
    "Hồ Minh Khoa",
]


def paragraphs(sample: Path) -> tuple[str, list[str]]:
    """The sample's headline and its body paragraphs (long lines; byline and web junk left out)."""
    lines = [ln.strip() for ln in sample.read_text("utf-8").splitlines() if ln.strip()]
    body = [ln for ln in lines if len(ln) > 120]
    return next(ln for ln in lines if len(ln) > 60), body


def vary(text: str, rng: random.Random) -> str:
    """The same paragraph with other places, names, dates and numbers."""
    for p in PLACES[:1]:
        text = text.replace(p, rng.choice(PLACES))
    for n in NAMES[:3]:
        text = text.replace(n, rng.choice(NAMES))
    text = re.sub(
        r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b",
        lambda m: f"{rng.randint(1, 28):02d}/{rng.randint(1, 12)}/{rng.randint(2015, 2025)}",
        text,
    )
    text = re.sub(
        r"\b(\d{1,2})/(\d{1,2})\b",
        lambda m: f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}",
        text,
    )
    text = re.sub(r"\b20\d\d\b", lambda m: str(rng.randint(2015, 2025)), text)
    return re.sub(r"(?<![\d/,-])\b\d{1,3}\b(?![/\d])", lambda m: _number(m.group(), rng), text)


def _number(old: str, rng: random.Random) -> str:
    """Another count, zero-padded like the original ("03 trường hợp")."""
    new = str(rng.randint(2, 199))
    return new.zfill(len(old)) if old.startswith("0") else new


def programme(sample: Path, seconds: float, s_per_char: float, seed: int) -> str:
    """An article whose narration should last about ``seconds``."""
    rng = random.Random(seed)
    headline, body = paragraphs(sample)
    out, est, k = [f"Bản tin tổng hợp số {seed}: {headline}"], 0.0, 0
    while est < seconds:
        p = vary(body[k % len(body)], rng)
        out.append(p)
        est += len(p) * s_per_char
        k += 1
    return "\n\n".join(out) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--minutes", default="15,30,60", help="programme sizes, comma-separated (0 = none)"
    )
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument(
        "--mem-share", type=float, default=0.6, help="largest share of MemAvailable to risk"
    )
    with workdir("nv-bench-mem-") as tmp:
        return bench(ap.parse_args(), tmp)


def bench(a: argparse.Namespace, tmp: Path) -> int:
    print(f"{load()}; MemAvailable {mem_available_mib():.0f} MiB")
    rows, notes = [], []

    def run(label: str, article: Path, i: int) -> tuple[float, float]:
        r = render(article, tmp / f"out{i}", tmp / f"cache{i}")
        man = manifest(tmp / f"out{i}")
        minutes = man["duration_s"] / 60
        peak = max(r.peak_mib, r.tree_mib)  # the render and its sidecar together
        rows.append(
            [
                label,
                f"{minutes:.1f}",
                f"{len(man['units'])}",
                str(engine_calls(r.stderr)),
                f"{r.peak_mib:.0f}",
                f"{r.tree_mib:.0f}",
                f"{peak / minutes:.0f}",
                f"{r.wall:.1f}",
                f"{man['duration_s'] / r.wall:.0f}x",
            ]
        )
        print(
            f"  {label}: {minutes:.1f} min, {r.peak_mib:.0f} MiB ({r.tree_mib:.0f} MiB with its sidecar), "
            f"{r.wall:.1f} s",
            file=sys.stderr,
            flush=True,
        )
        return minutes, peak

    minutes, peak = run(f"sample ({SAMPLE.name})", SAMPLE, 0)
    body_chars = sum(len(p) for p in paragraphs(SAMPLE)[1])
    s_per_char = minutes * 60 / body_chars
    per_min = peak / minutes
    for i, m in enumerate((float(x) for x in a.minutes.split(",") if float(x) > 0), start=1):
        want, avail = per_min * m, mem_available_mib()
        if want > a.mem_share * avail:
            notes.append(
                f"{m:g} min skipped: ~{want:.0f} MiB expected (at {per_min:.0f} MiB per audio minute) "
                f"> {a.mem_share:.0%} of {avail:.0f} MiB available"
            )
            continue
        article = tmp / f"programme-{m:g}min.txt"
        article.write_text(programme(SAMPLE, m * 60, s_per_char, a.seed + i), "utf-8")
        got, peak = run(f"generated, ~{m:g} min", article, i)
        per_min = max(per_min, peak / got)
    print()
    print(
        table(
            [
                "article",
                "audio min",
                "units",
                "engine calls",
                "peak RSS MiB (largest process)",
                "peak RSS MiB (render + sidecar, sampled)",
                "MiB per audio min",
                "wall s",
                "x real time",
            ],
            rows,
        )
    )
    for n in notes:
        print(f"\nnote: {n}")
    print("\ntargets: <= 200 MiB for the sample, <= 400 MiB at 30 min, flat beyond")
    print(f"{load()} (after)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
