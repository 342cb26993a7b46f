"""Hostile inputs (issue 17): endless streams, FIFOs, non-characters, lexicon files,
unclosed and malformed marks. Real files, FIFOs and processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import xml.dom.minidom
from pathlib import Path

import cli
import pytest

from newsvoice.errors import InputError
from newsvoice.text.marks import MAX_BREAK_MS, parse_marks, strip_marks
from newsvoice.text.sentences import split_sentences

ARTICLE = "Tin vắn\n\nSáng nay, xã Đại Lộc tổ chức họp dân về đê điều.\n"


def run(*args: str, stdin=None, timeout: float = 60) -> subprocess.CompletedProcess:
    return cli.run(*args, stdin=stdin, timeout=timeout)


def one_line(p: subprocess.CompletedProcess, code: int) -> str:
    err = p.stderr.decode()
    assert p.returncode == code, err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


def test_dev_zero_fails_at_once(tmp_path):
    p = run("render", "/dev/zero", "-o", str(tmp_path / "o"), "--engine", "espeak", timeout=30)
    assert "too large" in one_line(p, 1)


@pytest.mark.parametrize("cmd", ["normalize", "sentences"])
def test_an_endless_stdin_fails_at_once(cmd):
    with open("/dev/urandom", "rb") as endless:
        p = run(cmd, stdin=endless, timeout=30)
    assert "stdin is too large" in one_line(p, 1)


def test_a_fifo_named_on_the_batch_command_line_is_skipped(tmp_path):
    good = tmp_path / "tin.txt"
    good.write_text(ARTICLE, encoding="utf-8")
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)  # nobody ever writes to it: opening it would block forever
    p = run(
        "batch",
        str(fifo),
        str(good),
        "-o",
        str(tmp_path / "out"),
        "--engine",
        "espeak",
        "--cache-dir",
        str(tmp_path / "c"),
        "-j",
        "1",
        timeout=120,
    )
    assert p.returncode == 0, p.stderr.decode()
    assert "skipping" in p.stderr.decode() and "FIFO" in p.stderr.decode()
    rows = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))["articles"]
    assert [Path(r["file"]).name for r in rows] == ["tin.txt"]


def test_non_characters_never_reach_the_ttml(tmp_path):
    src = tmp_path / "tin.txt"
    src.write_text(
        "Tin\ufffe vắn\n\nSáng nay\uffff, xã \ufdd0Đại Lộc họp dân\U0010ffff.\n", encoding="utf-8"
    )
    p = run(
        "render",
        str(src),
        "-o",
        str(tmp_path / "o"),
        "--engine",
        "espeak",
        "--subs",
        "ttml,srt",
        "--cache-dir",
        str(tmp_path / "c"),
        timeout=120,
    )
    assert p.returncode == 0, p.stderr.decode()
    ttml = (tmp_path / "o" / "tin.ttml").read_bytes()
    xml.dom.minidom.parseString(ttml)  # well-formed
    text = ttml.decode("utf-8") + (tmp_path / "o" / "tin.srt").read_text("utf-8")
    assert not any(ch in text for ch in "\ufffe\uffff\ufdd0\U0010ffff")
    assert "Đại Lộc" in text


def test_lexicon_files_are_read_like_articles(tmp_path):
    lex = tmp_path / "lex.tsv"
    lex.write_bytes("Đại Lộc\tđại lộc yêu dấu\n".encode("utf-16"))
    p = subprocess.run(
        [sys.executable, "-m", "newsvoice", "normalize", "--lexicon", str(lex)],
        input="Xã Đại Lộc họp.\n".encode(),
        capture_output=True,
        timeout=60,
    )
    assert p.returncode == 0 and p.stdout.decode().strip() == "Xã đại lộc yêu dấu họp.", (
        p.stderr.decode()
    )

    binary = tmp_path / "bin.tsv"
    binary.write_bytes(bytes(range(256)) * 20)
    src = tmp_path / "tin.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    for bad, needle in ((binary, "binary"), (tmp_path / "missing.tsv", "no such file")):
        p = subprocess.run(
            [sys.executable, "-m", "newsvoice", "normalize", "--lexicon", str(bad)],
            input=b"x\n",
            capture_output=True,
            timeout=60,
        )
        err = one_line(p, 1)
        assert str(bad) in err and needle in err
        p = run(
            "render",
            str(src),
            "-o",
            str(tmp_path / "o"),
            "--engine",
            "espeak",
            "--lexicon",
            str(bad),
        )
        assert needle in one_line(p, 1)
        assert not (tmp_path / "o").exists()


def test_unclosed_sub_marks_parse_in_linear_time():
    text = '<sub alias="Ủy ban nhân dân">UBND ' * (1_000_000 // 33)
    assert len(text) >= 990_000
    t0 = time.process_time()
    spans = parse_marks(text)
    split_sentences(text[:200_000] + ".")
    elapsed = time.process_time() - t0
    assert "".join(s.written for s in spans) == text  # unclosed: plain text, nothing lost
    assert elapsed < 1.0, elapsed
    unquoted = '<sub alias="' * 100_000
    t0 = time.process_time()
    assert strip_marks(unquoted) == unquoted
    assert time.process_time() - t0 < 1.0


def test_closed_marks_still_parse():
    spans = parse_marks(
        'Ông <sub alias="Nờ Vê A">NVA</sub> nói.<break time="1.5s"/> <BREAK time=\'700ms\'/>'
    )
    assert [(s.written, s.alias, s.break_ms) for s in spans] == [
        ("Ông ", None, 0),
        ("NVA", "Nờ Vê A", 0),
        (" nói.", None, 0),
        ("", None, 1500),
        (" ", None, 0),
        ("", None, 700),
    ]


@pytest.mark.parametrize(
    ("time_", "ms"),
    [
        ("99999s", MAX_BREAK_MS),
        ("10000ms", MAX_BREAK_MS),
        ("0.5s", 500),
        (".5s", 500),
        ("2.s", 2000),
    ],
)
def test_break_times_are_capped_to_the_pause_range(time_, ms):
    assert parse_marks(f'<break time="{time_}"/>')[0].break_ms == ms


@pytest.mark.parametrize("bad", ["1.2.3s", ".s", "..ms", "5 parsecs", "s"])
def test_malformed_break_times_are_input_errors(tmp_path, bad):
    with pytest.raises(InputError, match="malformed"):
        parse_marks(f'Một <break time="{bad}"/> hai')
    src = tmp_path / "tin.txt"
    src.write_text(
        f'Tin vắn\n\nSáng nay, xã họp.<break time="{bad}"/> Chiều, xã nghỉ.\n', encoding="utf-8"
    )
    p = run(
        "render",
        str(src),
        "-o",
        str(tmp_path / "o"),
        "--engine",
        "espeak",
        "--cache-dir",
        str(tmp_path / "c"),
    )
    assert "malformed" in one_line(p, 1)


def test_a_huge_break_renders_a_capped_pause(tmp_path):
    src = tmp_path / "tin.txt"
    src.write_text(
        'Tin vắn\n\nSáng nay, xã họp.<break time="99999s"/> Chiều, xã nghỉ.\n', encoding="utf-8"
    )
    p = run(
        "render",
        str(src),
        "-o",
        str(tmp_path / "o"),
        "--engine",
        "espeak",
        "--cache-dir",
        str(tmp_path / "c"),
        timeout=120,
    )
    assert p.returncode == 0, p.stderr.decode()
    man = json.loads((tmp_path / "o" / "tin.json").read_text("utf-8"))
    assert man["duration_s"] < 30
