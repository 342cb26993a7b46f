"""An online engine that cannot be used: one fast probe, then a clear exit 3 or the fallback.

The services are played by closed local ports (refused at once), a listener that
accepts and never answers, or the local fakes; the CLI runs in-process so the
engines' endpoints can be pointed at them.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from pathlib import Path

import pytest

from newsvoice.cli.app import main

ARTICLE = "Mưa lớn ở miền Trung\n\nSáng nay, mưa lớn kéo dài gây ngập nhiều tuyến đường. Người dân được khuyến cáo hạn chế ra đường.\n"


def run_cli(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["newsvoice", *args])
    try:
        main()
        code = 0
    except SystemExit as e:
        code = int(e.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def _article(tmp_path: Path, name: str = "tin.txt") -> Path:
    src = tmp_path / "in" / name
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_text(ARTICLE, encoding="utf-8")
    return src


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def silent_google(monkeypatch):
    """A listener that accepts connections and never says a word (a hung service)."""
    import gtts.tts

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    port = srv.getsockname()[1]
    monkeypatch.setattr(
        gtts.tts, "_translate_url", lambda tld="com", path="": f"http://127.0.0.1:{port}/{path}"
    )
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    yield
    stop.set()
    t.join(2)
    for c in held:
        c.close()
    srv.close()


COMMON = ("--cache-dir", "{cache}", "--subs", "srt")


def _common(tmp_path: Path) -> list[str]:
    return [a.format(cache=tmp_path / "cache") for a in COMMON]


@pytest.mark.parametrize(("engine", "fixture"), [("edge", "no_edge"), ("gtts", "no_google")])
def test_unreachable_without_fallback_exits_3_fast_with_one_line_and_no_files(
    request, monkeypatch, capsys, tmp_path, engine, fixture
):
    request.getfixturevalue(fixture)
    src, out = _article(tmp_path), tmp_path / "out"
    t0 = time.monotonic()
    code, stdout, err = run_cli(
        monkeypatch,
        capsys,
        "render",
        str(src),
        "-o",
        str(out),
        "--engine",
        engine,
        *_common(tmp_path),
    )
    took = time.monotonic() - t0
    assert code == 3, err
    assert len(err.strip().splitlines()) == 1 and "unreachable" in err and "Traceback" not in err
    assert stdout == "" and _files(out) == []
    assert took < 15


@pytest.mark.parametrize(("engine", "fixture"), [("edge", "no_edge"), ("gtts", "no_google")])
def test_unreachable_with_fallback_renders_with_espeak_and_records_why(
    request, monkeypatch, capsys, tmp_path, engine, fixture
):
    request.getfixturevalue(fixture)
    src, out = _article(tmp_path), tmp_path / "out"
    code, stdout, err = run_cli(
        monkeypatch,
        capsys,
        "render",
        str(src),
        "-o",
        str(out),
        "--engine",
        engine,
        "--fallback",
        "espeak",
        *_common(tmp_path),
    )
    assert code == 0, err
    manifest = json.loads((out / "tin.json").read_text("utf-8"))
    assert manifest["engine"] == "espeak"
    assert manifest["fallback"]["from"] == engine and manifest["fallback"]["to"] == "espeak"
    assert "unreachable" in manifest["fallback"]["reason"]
    assert manifest["voice"] in (
        "vi",
        "vi-VN-x-central",
        "vi-VN-x-south",
    )  # one voice for the whole file
    assert "using espeak instead" in err
    assert (out / "tin.wav").stat().st_size > 48000


@pytest.mark.slow
def test_a_service_that_never_answers_falls_back_after_the_timeout(
    silent_google, monkeypatch, capsys, tmp_path
):
    """The probe connects, every request hangs: the deadline ends each, then espeak renders."""
    src, out = _article(tmp_path), tmp_path / "out"
    t0 = time.monotonic()
    code, _, err = run_cli(
        monkeypatch,
        capsys,
        "render",
        str(src),
        "-o",
        str(out),
        "--engine",
        "gtts",
        "--fallback",
        "espeak",
        "--timeout",
        "1",
        "--retries",
        "1",
        *_common(tmp_path),
    )
    assert code == 0, err
    assert time.monotonic() - t0 < 20
    fell = json.loads((out / "tin.json").read_text("utf-8"))["fallback"]
    assert fell["from"] == "gtts" and "no complete answer from Google within 1 s" in fell["reason"]


@pytest.mark.slow
def test_a_service_that_never_answers_without_fallback_exits_3(
    silent_google, monkeypatch, capsys, tmp_path
):
    src, out = _article(tmp_path), tmp_path / "out"
    code, _, err = run_cli(
        monkeypatch,
        capsys,
        "render",
        str(src),
        "-o",
        str(out),
        "--engine",
        "gtts",
        "--timeout",
        "1",
        "--retries",
        "1",
        *_common(tmp_path),
    )
    assert code == 3 and len(err.strip().splitlines()) == 1, err
    assert _files(out) == []


def test_batch_offline_with_fallback_records_it_per_article(no_edge, monkeypatch, capsys, tmp_path):
    for name in ("a.txt", "b.txt", "c.txt"):
        _article(tmp_path, name)
    out = tmp_path / "out"
    code, _, err = run_cli(
        monkeypatch,
        capsys,
        "batch",
        str(tmp_path / "in"),
        "-o",
        str(out),
        "--engine",
        "edge",
        "--fallback",
        "espeak",
        "-j",
        "2",
        *_common(tmp_path),
    )
    assert code == 0, err
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["summary"]["fallback"] == 3
    for row in report["articles"]:
        assert row["status"] == "ok" and row["engine"] == "espeak" and row["fallback"] == "espeak"
        assert "Edge TTS is unreachable" in row["fallback_reason"]
    csv_text = (out / "report.csv").read_text("utf-8")
    assert "fallback_reason" in csv_text.splitlines()[0] and "Edge TTS is unreachable" in csv_text
    for stem in ("a", "b", "c"):
        (manifest,) = out.glob(f"{stem}-*/{stem}.json")
        assert json.loads(manifest.read_text("utf-8"))["fallback"]["from"] == "edge"


def test_batch_offline_without_fallback_exits_3_with_one_line(
    no_google, monkeypatch, capsys, tmp_path
):
    _article(tmp_path)
    t0 = time.monotonic()
    code, _, err = run_cli(
        monkeypatch,
        capsys,
        "batch",
        str(tmp_path / "in"),
        "-o",
        str(tmp_path / "out"),
        "--engine",
        "gtts",
        *_common(tmp_path),
    )
    assert code == 3 and "unreachable" in err and len(err.strip().splitlines()) == 1, err
    assert time.monotonic() - t0 < 15


@pytest.mark.slow
def test_edge_renders_end_to_end_with_its_word_times(fake_edge, monkeypatch, capsys, tmp_path):
    src, out = _article(tmp_path), tmp_path / "out"
    code, _, err = run_cli(
        monkeypatch,
        capsys,
        "render",
        str(src),
        "-o",
        str(out),
        "--engine",
        "edge",
        "--voice",
        "vi-VN-HoaiMyNeural",
        *_common(tmp_path),
    )
    assert code == 0, err
    manifest = json.loads((out / "tin.json").read_text("utf-8"))
    assert manifest["engine"] == "edge" and manifest["voice"] == "vi-VN-HoaiMyNeural"
    assert manifest["fallback"] is None
    assert fake_edge.texts and (out / "tin.srt").read_text("utf-8").count("-->") >= 2


def test_unknown_voice_for_an_engine_is_a_usage_error(monkeypatch, capsys, tmp_path):
    src, out = _article(tmp_path), tmp_path / "out"
    code, _, err = run_cli(
        monkeypatch,
        capsys,
        "render",
        str(src),
        "-o",
        str(out),
        "--engine",
        "edge",
        "--voice",
        "vi-north",
        *_common(tmp_path),
    )
    assert code == 2 and "unknown edge voice" in err and len(err.strip().splitlines()) == 1, err
