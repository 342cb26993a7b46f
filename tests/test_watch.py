"""The hot folder (`newsvoice watch`): settle, take once, .failed notes, restarts."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsvoice.pipeline.watch import Seen, is_candidate, list_articles, observe, settled

ARTICLE = (
    "Mưa lớn ở Huế\n\n"
    "Sáng 7/12, mưa lớn kéo dài khiến nhiều tuyến đường ở TP Huế ngập sâu.\n"
    "Lực lượng chức năng đã sơ tán 120 hộ dân đến nơi an toàn."
)
LAST = "Ban chỉ huy phòng chống thiên tai tỉnh tiếp tục theo dõi tình hình."


def test_a_file_settles_only_when_size_and_time_stop_changing():
    p = Path("in/tin.txt")
    seen = observe({}, {p: (10, 1)}, now=0.0)
    assert settled(seen, 0.5, settle_s=1.0) == []
    seen = observe(seen, {p: (20, 2)}, now=0.9)  # it grew: the settle time starts again
    assert seen[p] == Seen(20, 2, 0.9)
    assert settled(seen, 1.5, settle_s=1.0) == []
    seen = observe(seen, {p: (20, 2)}, now=2.0)
    assert settled(seen, 2.0, settle_s=1.0) == [p]
    assert observe(seen, {}, now=3.0) == {}  # removed: forgotten


def test_hidden_lock_and_partial_files_are_not_articles(tmp_path):
    for name in ("tin.txt", "Bản tin.docx", "trang.HTML"):
        assert is_candidate(name), name
    for name in (".tin.txt", "~$tin.docx", "tin.txt.part", "tin.crdownload", "ảnh.jpg", "tin"):
        assert not is_candidate(name), name
    (tmp_path / "in" / ".hidden").mkdir(parents=True)
    (tmp_path / "in" / ".hidden" / "a.txt").write_text("x")
    (tmp_path / "in" / "out").mkdir()
    (tmp_path / "in" / "out" / "b.txt").write_text("x")
    (tmp_path / "in" / "c.txt").write_text("x")
    got = list_articles(tmp_path / "in", tmp_path / "in" / "out")
    assert [p.name for p in got] == ["c.txt"]  # the output folder inside is not watched


def _watch(tmp_path: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "newsvoice", "watch", str(tmp_path / "in"), "-o",
         str(tmp_path / "out"), "--engine", "espeak", "--settle", "0.8", "--poll", "0.1", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def _manifest(out: Path) -> Path:
    found = sorted(out.glob("*/*.json"))
    assert len(found) == 1, found
    return found[0]


@pytest.mark.slow
def test_watch_takes_a_growing_file_once_whole_and_notes_a_failure(tmp_path):
    (tmp_path / "in").mkdir()
    proc = _watch(tmp_path)
    try:
        article = tmp_path / "in" / "mua-hue.txt"
        with open(article, "w", encoding="utf-8") as f:  # a slow copy: grows for ~1.5 s
            for part in (ARTICLE, "\n" + LAST):
                f.write(part)
                f.flush()
                time.sleep(0.5)
                f.write("\n")
                f.flush()
                time.sleep(0.5)
        (tmp_path / "in" / "hong.txt").write_bytes(b"\x00\xff\x00binary")
        out = tmp_path / "out"
        end = time.monotonic() + 60
        while not (list(out.glob("*/*.json")) and list(out.glob("*.failed"))):
            assert time.monotonic() < end and proc.poll() is None, proc.stderr
            time.sleep(0.1)
        time.sleep(1.5)  # more polls: nothing is taken twice
    finally:
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    lines = stdout.splitlines()
    assert sum(line.startswith("ok\t") for line in lines) == 1, stdout
    assert sum(line.startswith("failed\t") for line in lines) == 1, stdout
    manifest = json.loads(_manifest(out).read_text(encoding="utf-8"))
    assert LAST in json.dumps(manifest, ensure_ascii=False)  # taken after the copy ended
    note = json.loads(next(out.glob("*.failed")).read_text(encoding="utf-8"))
    assert "binary" in note["error"] and note["source"].endswith("hong.txt")
    assert not list(out.rglob("*.part-*"))

    # a restart takes nothing again: the render is up to date, the failure is noted
    mtime = _manifest(out).stat().st_mtime_ns
    again = _watch(tmp_path, "--once")
    stdout, stderr = again.communicate(timeout=120)
    assert again.returncode == 0, stderr
    assert stdout == ""
    assert _manifest(out).stat().st_mtime_ns == mtime

    # the failed file fixed: taken, and its note removed
    (tmp_path / "in" / "hong.txt").write_text(ARTICLE.replace("Huế", "Đà Nẵng"), encoding="utf-8")
    fixed = _watch(tmp_path, "--once")
    stdout, stderr = fixed.communicate(timeout=120)
    assert fixed.returncode == 0, stderr
    assert stdout.startswith("ok\t") and "hong.txt" in stdout
    assert not list(out.glob("*.failed"))
    assert len(list(out.glob("*/*.json"))) == 2


def test_watch_of_a_missing_folder_is_an_input_error(tmp_path):
    res = subprocess.run(
        [sys.executable, "-m", "newsvoice", "watch", str(tmp_path / "nope"), "-o",
         str(tmp_path / "out"), "--once"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert res.returncode == 1
    assert "not a folder" in res.stderr and "Traceback" not in res.stderr
