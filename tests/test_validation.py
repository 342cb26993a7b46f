"""Every bad option or config value is a usage error (exit 2, one line, before any
work); global options work after the command; error messages name the file and
never dump it."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from cli import run

ARTICLE = "Tin vắn\n\nSáng nay, xã Đại Lộc tổ chức họp dân về đê điều.\n"


def one_line(p: subprocess.CompletedProcess, code: int) -> str:
    err = p.stderr.decode()
    assert p.returncode == code, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err


@pytest.fixture
def article(tmp_path) -> Path:
    src = tmp_path / "tin.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    return src


@pytest.mark.parametrize(
    "bad",
    [
        ["--lufs", "nan"],
        ["--true-peak", "nan"],
        ["--lufs", "-inf"],
        ["--min-dur", "nan"],
        ["--max-dur", "inf"],
        ["--max-cps", "nan"],
        ["--speed", "nan"],
        ["--timeout", "inf"],
        ["--fit", "nan"],
        ["--fit", "inf"],
        ["--bitrate", "abc", "--format", "mp3"],
        ["--bitrate", "1000k", "--format", "mp3"],
        ["--voice", "vi-north"],
        ["--voice", "vi-VN-x-south", "--engine", "gtts"],
        ["--subs", ""],
        ["--subs", ","],
        ["--pause-comma", "1e400"],
        ["--max-chars", "4.5"],
    ],
)
def test_bad_render_values_are_usage_errors_before_any_work(tmp_path, article, bad):
    out = tmp_path / "out"
    p = run(
        "render",
        str(article),
        "-o",
        str(out),
        "--engine",
        "espeak",
        "--cache-dir",
        str(tmp_path / "c"),
        *bad,
    )
    err = one_line(p, 2)
    assert bad[0] in err
    assert not out.exists()  # nothing was rendered first


@pytest.mark.parametrize(
    "bad", [["--voice", "nope"], ["--subs", ""], ["--min-dur", "nan"], ["--min-interval", "nan"]]
)
def test_bad_batch_values_are_usage_errors(tmp_path, article, bad):
    p = run("batch", str(article), "-o", str(tmp_path / "out"), "--engine", "espeak", *bad)
    one_line(p, 2)
    assert not (tmp_path / "out").exists()


def test_good_bitrate_spellings_render(tmp_path, article):
    p = run(
        "render",
        str(article),
        "-o",
        str(tmp_path / "o"),
        "--engine",
        "espeak",
        "--format",
        "mp3",
        "--bitrate",
        "128000",
        "--cache-dir",
        str(tmp_path / "c"),
        "-q",
    )
    assert p.returncode == 0, p.stderr.decode()
    assert json.loads((tmp_path / "o" / "tin.json").read_text("utf-8"))["bitrate"] == "128k"


@pytest.mark.parametrize(
    ("toml", "option"),
    [
        ("pause-comma = 1e400", "--pause-comma"),
        ("min-dur = nan", "--min-dur"),
        ("lufs = inf", "--lufs"),
        ("max-chars = 30.5", "--max-chars"),
        ('subs = ["srt", "xyz"]', "--subs"),
    ],
)
def test_bad_config_values_are_usage_errors(tmp_path, article, toml, option):
    cfg = tmp_path / "nv.toml"
    cfg.write_text(f"[render]\n{toml}\n", encoding="utf-8")
    p = run(
        "--config",
        str(cfg),
        "render",
        str(article),
        "-o",
        str(tmp_path / "out"),
        "--engine",
        "espeak",
    )
    assert option in one_line(p, 2)


def test_config_keys_are_the_option_names(tmp_path, article):
    lex = tmp_path / "lex.tsv"
    lex.write_text("Đại Lộc\tđại lộc thân yêu\n", encoding="utf-8")
    cfg = tmp_path / "nv.toml"
    cfg.write_text(
        f'[render]\nformat = "mp3"\nout = "{tmp_path / "o"}"\nsubs = ["srt", "vtt"]\n'
        f'lexicon = "{lex}"\nengine = "espeak"\ncache-dir = "{tmp_path / "c"}"\n',
        encoding="utf-8",
    )
    p = run("render", str(article), "--config", str(cfg), "-q")  # --config after the command too
    assert p.returncode == 0, p.stderr.decode()
    assert sorted(x.name for x in (tmp_path / "o").iterdir()) == [
        "tin.json",
        "tin.mp3",
        "tin.srt",
        "tin.vtt",
    ]
    man = json.loads((tmp_path / "o" / "tin.json").read_text("utf-8"))
    assert any("thân yêu" in u["spoken"] for u in man["units"])


@pytest.mark.parametrize("fps", ["0", "nan", "inf", "-25"])
def test_check_fps_must_be_a_real_frame_rate(tmp_path, fps):
    subs = tmp_path / "a.srt"
    subs.write_text("1\n00:00:01,000 --> 00:00:02,000\nXin chào\n", encoding="utf-8")
    assert "--fps" in one_line(run("check", str(subs), "--fps", fps), 2)


def test_check_on_an_unparseable_file_is_one_line_without_its_content(tmp_path):
    junk = tmp_path / "junk.srt"
    secret = "nội dung riêng tư " * 200
    junk.write_text(
        f"\n\nthis is no cue\n{secret}\n\n1\n00:00:01,000 --> 00:00:02,000\nok\n", encoding="utf-8"
    )
    err = one_line(run("check", str(junk)), 1)
    assert "riêng tư" not in err and "junk.srt" in err and "line 1" in err
    assert len(err) < 300


@pytest.mark.parametrize("ext", ["srt", "vtt"])
def test_check_absurd_hours_are_one_line(tmp_path, ext):
    f = tmp_path / f"a.{ext}"
    sep = "," if ext == "srt" else "."
    head = "1\n" if ext == "srt" else "WEBVTT\n\n"
    f.write_text(
        f"{head}99999999999999999999:00:01{sep}000 --> 99999999999999999999:00:02{sep}000\nhi\n",
        encoding="utf-8",
    )
    assert "out of range" in one_line(run("check", str(f)), 1)


def test_global_options_after_the_command(tmp_path, article):
    base = [
        "render",
        str(article),
        "-o",
        str(tmp_path / "o"),
        "--engine",
        "espeak",
        "--cache-dir",
        str(tmp_path / "c"),
    ]
    quiet = run(*base, "-q")
    assert quiet.returncode == 0 and quiet.stderr == b"", quiet.stderr.decode()
    verbose = run(*base, "--verbose")
    assert verbose.returncode == 0 and "engine" in verbose.stderr.decode()
    assert run("-q", *base).stderr == b""
    # a value that merely looks like a global option stays where it is
    assert run("sentences", "--", "-q").returncode == 1


def test_sentences_and_normalize_name_the_file(tmp_path):
    empty = tmp_path / "rỗng.txt"
    empty.write_bytes(b"")
    binary = tmp_path / "ảnh.txt"
    binary.write_bytes(bytes(range(256)) * 20)
    for cmd in ("sentences", "normalize"):
        assert str(empty) in one_line(run(cmd, str(empty)), 1)
        assert str(binary) in one_line(run(cmd, str(binary)), 1)
        assert "stdin" in one_line(run(cmd, stdin=b""), 1)


@pytest.mark.parametrize("cmd", ["sentences", "normalize"])
def test_reading_stdin_at_a_terminal_says_so(cmd):
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsvoice", cmd],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    os.close(slave)
    os.write(master, "Sáng nay, xã họp dân.\n".encode() + b"\x04")
    out, err = proc.communicate(timeout=60)
    os.close(master)
    assert proc.returncode == 0, err.decode()
    assert "reading the article from stdin" in err.decode()
    assert "họp" in out.decode()
