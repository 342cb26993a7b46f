"""Reliability round 3, the rest of issue 28: render checks its own outputs, stdin and
Markdown input, cold ``-j 2`` = ``-j 1``, bounded units, caps on programme length,
messages without library internals, config edges and the smaller findings.

Real files, real processes, real espeak-ng and ffmpeg; no mocks of our own code.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ARTICLE = (
    "Tin vắn\n\nSáng nay, xã Đại Lộc tổ chức họp dân về đê điều. Người dân đã góp nhiều ý "
    "kiến, về việc gia cố bờ sông trước mùa mưa bão. Chính quyền hứa sẽ hoàn thành trong "
    "tháng tới.\n"
)


def run(
    *args: str, cwd: Path | None = None, stdin: bytes | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "newsvoice", *args],
        capture_output=True,
        timeout=timeout,
        input=stdin,
        cwd=cwd,
        env={**os.environ, "NO_PROXY": "*"},
    )


def err_of(p: subprocess.CompletedProcess) -> str:
    return p.stderr.decode("utf-8", "replace")


# ---------------------------------------------------------------- 20. render checks itself


def test_render_reports_what_check_audio_says_and_strict_fails_on_it(tmp_path):
    """--gap-frames 25 leaves speech unsubtitled: the render says so (as `check --audio`
    does of the same files) and --strict exits 1, with the whole set written."""
    src = tmp_path / "tin.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    cache = str(tmp_path / "cache")
    base = ("render", str(src), "--engine", "espeak", "-j", "1", "--cache-dir", cache)
    ok = run(*base, "-o", str(tmp_path / "ok"), "--strict")
    assert ok.returncode == 0, err_of(ok)  # the default cut covers its speech
    p = run(*base, "-o", str(tmp_path / "gap"), "--gap-frames", "25", "--strict")
    err = err_of(p)
    assert p.returncode == 1 and "Traceback" not in err, err
    assert "outside every cue" in err and "--strict" in err.splitlines()[-1]
    out = tmp_path / "gap"
    assert sorted(x.name for x in out.iterdir()) == ["tin.json", "tin.srt", "tin.wav"]
    manifest = json.loads((out / "tin.json").read_text(encoding="utf-8"))
    said = [w for w in manifest["warnings"] if "check: uncovered" in w]
    assert len(said) == 1
    c = run(
        "check",
        str(out / "tin.srt"),
        "--audio",
        str(out / "tin.wav"),
        "--gap-frames",
        "25",
        "--json",
    )
    assert c.returncode == 1
    theirs = json.loads(c.stdout)["stats"]["speech_uncovered_pct"]
    ours = float(said[0].split(": ", 1)[1].split("%")[0])
    assert abs(theirs - ours) < 1.0, (theirs, ours)
