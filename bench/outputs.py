"""Before/after check for speed work (issue 27): the renders must not change.

    python bench/outputs.py save DIR       # render the articles with this tree into DIR
    python bench/outputs.py compare DIR    # render again, compare with DIR

Articles: the shared sample and examples/*.txt, each rendered cold (a fresh
``--cache-dir``) as a whole ``newsvoice render ... --engine espeak`` process. ``save``
renders with ``-j 1``: one process synthesises every unit in order, the only
deterministic cold render (espeak-ng's output depends on what the same process spoke
before, so with a sidecar process, which units it speaks, hence the audio, changes from
run to run). ``compare`` renders with ``-j 1`` and ``-j 2`` and requires, against the
saved render of the same article: identical SRT bytes, an identical word timeline,
units and cues in the manifest, the same sample count, and every WAV sample within
1 LSB (24-bit). It prints the loudness figures side by side and how many samples
differ at all. Save DIR from the code before a change (a checkout of main), compare
after it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from _proc import REPO, SAMPLE, render

ARTICLES = [SAMPLE, *sorted((REPO / "examples").glob("*.txt"))]


def wav_samples(path: Path) -> np.ndarray:
    """The PCM of a (Broadcast) WAV as int32, whatever chunks come before ``data``."""
    data = path.read_bytes()
    pos, fmt, pcm = 12, None, None
    while pos + 8 <= len(data):
        cid, size = data[pos : pos + 4], int.from_bytes(data[pos + 4 : pos + 8], "little")
        body = data[pos + 8 : pos + 8 + size]
        if cid == b"fmt ":
            fmt = body
        elif cid == b"data":
            pcm = body
        pos += 8 + size + (size & 1)
    if fmt is None or pcm is None:
        raise SystemExit(f"{path}: no fmt or data chunk")
    width = int.from_bytes(fmt[14:16], "little") // 8
    raw = np.frombuffer(pcm, np.uint8).reshape(-1, width)
    wide = np.zeros((len(raw), 4), np.uint8)
    wide[:, 4 - width :] = raw  # little endian: the sample's bytes at the top, sign kept
    return wide.view("<i4").ravel() >> (8 * (4 - width))


def render_all(out: Path, jobs_list: tuple[str, ...]) -> None:
    """Every article at each job count into ``out/<stem>-j<jobs>/``, cold."""
    with tempfile.TemporaryDirectory(prefix="nv-outputs-") as tmp:
        for art in ARTICLES:
            for jobs in jobs_list:
                name = f"{art.stem}-j{jobs}"
                render(art, out / name, Path(tmp) / f"cache-{name}", "-j", jobs)
                print(f"rendered {name}", file=sys.stderr)


def compare_one(ref: Path, new: Path) -> list[str]:
    """What differs between two render folders of one article (empty: nothing)."""
    problems = []
    (ref_srt,) = ref.glob("*.srt")
    new_srt = new / ref_srt.name
    if ref_srt.read_bytes() != new_srt.read_bytes():
        problems.append("SRT differs")
    (ref_json,) = ref.glob("*.json")
    a = json.loads(ref_json.read_text("utf-8"))
    b = json.loads((new / ref_json.name).read_text("utf-8"))
    for key in ("words", "units", "cues", "samples", "duration_s"):
        if a[key] != b[key]:
            problems.append(f"manifest {key} differs")
    x = wav_samples(next(ref.glob("*.wav")))
    y = wav_samples(new / next(ref.glob("*.wav")).name)
    if len(x) != len(y):
        problems.append(f"WAV length {len(x)} vs {len(y)}")
    else:
        d = np.abs(x.astype(np.int64) - y)
        worst = int(d.max(initial=0))
        print(
            f"  WAV: {int((d > 0).sum())} of {len(x)} samples differ, largest {worst} LSB;"
            f" loudness {a['loudness']} -> {b['loudness']}"
        )
        if worst > 1:
            problems.append(f"WAV differs by up to {worst} LSB")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("action", choices=("save", "compare"))
    ap.add_argument("dir", type=Path)
    a = ap.parse_args()
    if a.action == "save":
        if a.dir.exists():
            raise SystemExit(f"{a.dir} exists: save into a new folder")
        render_all(a.dir, ("1",))
        return 0
    with tempfile.TemporaryDirectory(prefix="nv-outputs-new-") as tmp:
        render_all(Path(tmp), ("1", "2"))
        failed = 0
        for sub in sorted(p for p in a.dir.iterdir() if p.is_dir()):
            for jobs in ("1", "2"):
                name = sub.name.removesuffix("-j1") + f"-j{jobs}"
                print(f"{name} against the saved {sub.name}")
                problems = compare_one(sub, Path(tmp) / name)
                for p in problems:
                    print(f"  FAIL: {p}")
                failed += bool(problems)
    print("outputs unchanged" if not failed else f"{failed} render(s) changed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
