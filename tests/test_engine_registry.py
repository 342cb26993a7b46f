"""The engine registry: built-ins, the `voices` listing, and a third-party engine
plugged in through the ``newsvoice.speech.engines`` entry-point group (a tiny installed
distribution made in a temp folder on sys.path, as pip would leave it)."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest
from test_fallback import run_cli

from newsvoice.speech.engines import VoiceError, all_voices, check_choice, engines, get_spec

TINY = textwrap.dedent('''
    """A tiny third-party engine: a tone burst per word, with word times."""
    import numpy as np

    from newsvoice.speech.engines import EngineSpec, Speech, WordTiming

    RATE = 16000


    class Beeper:
        name = "tiny"

        def __init__(self, voice):
            self.voice = voice

        def synthesize(self, text):
            hz = 330.0 if self.voice == "low" else 660.0
            out, words, t = [], [], 0.0
            pos = 0
            for word in text.split():
                at = text.index(word, pos)
                pos = at + len(word)
                n = int(0.12 * len(word) * RATE) // 4 + 1600
                x = np.arange(n) / RATE
                out += [(8000 * np.sin(2 * np.pi * hz * x)).astype(np.int16), np.zeros(1600, np.int16)]
                words.append(WordTiming(at, len(word), t, t + n / RATE))
                t += (n + 1600) / RATE
            pcm = np.concatenate(out) if out else np.zeros(0, np.int16)
            return Speech(pcm, RATE, words)


    SPEC = EngineSpec("tiny", "a beeping test engine", {"high": "high beeps", "low": "low beeps"},
                      word_times=True, online=False, parallel="process",
                      factory=lambda voice, settings: Beeper(voice), default_voice="high")
''')


@pytest.fixture
def tiny_plugin(tmp_path, monkeypatch):
    site = tmp_path / "site"
    dist = site / "newsvoice_tiny-0.1.dist-info"
    dist.mkdir(parents=True)
    (site / "newsvoice_tiny.py").write_text(TINY, encoding="utf-8")
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: newsvoice-tiny\nVersion: 0.1\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text(
        "[newsvoice.speech.engines]\ntiny = newsvoice_tiny:SPEC\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(site))
    yield site
    sys.modules.pop("newsvoice_tiny", None)


def test_builtins_declare_what_the_rest_reads():
    table = engines()
    assert {"gtts", "edge", "espeak", "piper"} <= set(table)
    assert (table["edge"].online, table["edge"].word_times, table["edge"].parallel) == (
        True,
        True,
        "threads",
    )
    assert (table["piper"].online, table["piper"].word_times, table["piper"].parallel) == (
        False,
        False,
        "process",
    )
    assert table["espeak"].parallel == "process" and table["gtts"].parallel == "threads"
    names = {(v.engine, v.name) for v in all_voices()}
    assert {
        ("edge", "vi-VN-HoaiMyNeural"),
        ("edge", "vi-VN-NamMinhNeural"),
        ("piper", "PATH.onnx"),
    } <= names


def test_bad_engine_or_voice_is_a_usage_error():
    with pytest.raises(VoiceError, match="unknown edge voice 'vi-north'") as e:
        check_choice("edge", "vi-north")
    assert e.value.exit_code == 2
    with pytest.raises(VoiceError, match="unknown engine"):
        get_spec("nope")
    check_choice("auto", "vi-VN-x-south")  # auto takes espeak's regional voices


def test_voices_lists_engine_voice_online_and_word_timing(monkeypatch, capsys):
    code, out, _ = run_cli(monkeypatch, capsys, "voices")
    assert code == 0
    rows = [line.split("\t") for line in out.splitlines()]
    assert ["edge", "vi-VN-HoaiMyNeural", "online", "word-times"] in [r[:4] for r in rows]
    assert any(r[:4] == ["piper", "PATH.onnx", "offline", "aligned"] for r in rows)
    assert any(r[:4] == ["gtts", "vi", "online", "aligned"] for r in rows)


def test_plugin_engine_is_listed_chosen_and_rendered(tiny_plugin, monkeypatch, capsys, tmp_path):
    assert "tiny" in engines()
    code, out, _ = run_cli(monkeypatch, capsys, "voices")
    assert "tiny\tlow\toffline\tword-times\tlow beeps" in out.splitlines()
    src = tmp_path / "tin.txt"
    src.write_text("Tin ngắn\n\nHôm nay trời đẹp. Mọi người đi chơi.\n", encoding="utf-8")
    code, _, err = run_cli(
        monkeypatch,
        capsys,
        "render",
        str(src),
        "-o",
        str(tmp_path / "out"),
        "--engine",
        "tiny",
        "--voice",
        "low",
        "--cache-dir",
        str(tmp_path / "c"),
    )
    assert code == 0, err
    manifest = json.loads((tmp_path / "out" / "tin.json").read_text("utf-8"))
    assert (manifest["engine"], manifest["voice"]) == ("tiny", "low")
    assert manifest["duration_s"] > 1.5


def test_plugin_engine_runs_in_the_pool_it_declares(tiny_plugin, monkeypatch, capsys, tmp_path):
    for name in ("a", "b", "c"):
        (tmp_path / "in").mkdir(exist_ok=True)
        (tmp_path / "in" / f"{name}.txt").write_text(
            "Tin\n\nMột hai ba bốn năm.\n", encoding="utf-8"
        )
    code, _, err = run_cli(
        monkeypatch,
        capsys,
        "batch",
        str(tmp_path / "in"),
        "-o",
        str(tmp_path / "out"),
        "--engine",
        "tiny",
        "-j",
        "2",
        "--cache-dir",
        str(tmp_path / "c"),
    )
    assert code == 0, err
    rows = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))["articles"]
    assert [(r["status"], r["engine"]) for r in rows] == [("ok", "tiny")] * 3


def test_unknown_plugin_engine_without_the_plugin_is_a_usage_error(monkeypatch, capsys, tmp_path):
    src = tmp_path / "tin.txt"
    src.write_text("Tin\n\nMột câu.\n", encoding="utf-8")
    code, _, err = run_cli(monkeypatch, capsys, "render", str(src), "--engine", "tiny")
    assert code == 2 and "tiny" in err


def test_a_broken_plugin_is_skipped_with_a_warning(tmp_path, monkeypatch, caplog):
    site = tmp_path / "site"
    dist = site / "newsvoice_broken-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: newsvoice-broken\nVersion: 0.1\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text(
        "[newsvoice.speech.engines]\nbroken = no_such_module:SPEC\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(site))
    with caplog.at_level("WARNING", logger="newsvoice"):
        table = engines()
    assert "broken" not in table and "espeak" in table
    assert "engine plugin broken could not be loaded" in caplog.text
