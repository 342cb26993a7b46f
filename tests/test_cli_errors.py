"""Bad input: one line on stderr, documented exit code, no output files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli import run


def _assert_clean_failure(p: subprocess.CompletedProcess, code: int, out: Path | None) -> None:
    err = p.stderr.decode()
    assert p.returncode == code, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    if out is not None and out.exists():
        assert list(out.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "data", "needle"),
    [
        ("empty.txt", b"", "empty"),
        ("blank.txt", b"  \n\n \t\n", "empty"),
        ("binary.txt", bytes(range(256)) * 40, "binary"),
        ("junk.txt", b"\x81\x8d\x8f\x90\x9d" * 50 + b"\xff\xfe\xfa" * 30, ""),
    ],
)
def test_bad_articles_exit_1_without_outputs(tmp_path, name, data, needle):
    src = tmp_path / name
    src.write_bytes(data)
    out = tmp_path / "out"
    p = run(
        "render", str(src), "-o", str(out), "--engine", "espeak", "--cache-dir", str(tmp_path / "c")
    )
    _assert_clean_failure(p, 1, out)
    assert needle in p.stderr.decode().lower()


def test_missing_file_exits_1(tmp_path):
    p = run("render", str(tmp_path / "nope.txt"), "-o", str(tmp_path / "out"))
    _assert_clean_failure(p, 1, tmp_path / "out")


def test_unwritable_output_exits_1(tmp_path):
    src = tmp_path / "tin.txt"
    src.write_text("Tin vắn\n\nSáng nay, xã tổ chức họp dân.\n", encoding="utf-8")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    p = run(
        "render",
        str(src),
        "-o",
        str(blocker / "out"),
        "--engine",
        "espeak",
        "--cache-dir",
        str(tmp_path / "c"),
    )
    _assert_clean_failure(p, 1, None)
    assert "cannot write" in p.stderr.decode()


def test_usage_error_exits_2(tmp_path):
    p = run("render", "--engine", "nonsense", "x.txt")
    assert p.returncode == 2
    assert "Traceback" not in p.stderr.decode()


def test_unknown_subs_format_is_usage_error(tmp_path):
    src = tmp_path / "tin.txt"
    src.write_text("Tin vắn\n\nSáng nay, xã tổ chức họp dân.\n", encoding="utf-8")
    p = run("render", str(src), "--subs", "ass")
    assert p.returncode == 2


def test_google_unreachable_exits_3(tmp_path):
    src = tmp_path / "tin.txt"
    src.write_text("Tin vắn\n\nSáng nay, xã tổ chức họp dân.\n", encoding="utf-8")
    # point gTTS at a closed local port through a tiny wrapper script
    script = tmp_path / "run.py"
    script.write_text(
        "import sys, gtts.tts\n"
        "gtts.tts._translate_url = lambda tld='com', path='': 'http://127.0.0.1:9/' + path\n"
        "from newsvoice.cli.app import main\n"
        "sys.argv = ['newsvoice'] + sys.argv[1:]\n"
        "main()\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    p = subprocess.run(
        [
            sys.executable,
            str(script),
            "render",
            str(src),
            "-o",
            str(out),
            "--engine",
            "gtts",
            "--retries",
            "1",
            "--cache-dir",
            str(tmp_path / "c"),
        ],
        capture_output=True,
        timeout=120,
        env={**os.environ, "NO_PROXY": "*"},
    )
    _assert_clean_failure(p, 3, out)
    assert "Google" in p.stderr.decode()
