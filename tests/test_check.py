"""`newsvoice check` lints any SRT/VTT: broadcast rules, and sync against real audio."""

from __future__ import annotations

import json
import subprocess
import wave
from pathlib import Path

import cli
import numpy as np

from newsvoice.subtitles.check import check_file, read_srt
from newsvoice.subtitles.cutter import CueRules

GOOD = """1
00:00:01,000 --> 00:00:03,000
Huyện ủy Đại Lộc tổ chức Hội nghị

2
00:00:03,080 --> 00:00:06,000
tổng kết công tác xây dựng Đảng

"""

BAD = """1
00:00:01,000 --> 00:00:01,400
Quá ngắn

2
00:00:01,440 --> 00:00:09,000
Dòng này dài hơn bốn mươi hai ký tự rất nhiều, quá dài
hai
ba

3
00:00:08,500 --> 00:00:09,500
Chồng lên cue trước

4
00:00:09,520 --> 00:00:10,400
Khoảng cách dưới hai khung hình nhưng chữ thì quá nhiều
"""


def run(*args: str) -> subprocess.CompletedProcess:
    return cli.run("check", *args, text=True)


def test_clean_file_exits_0(tmp_path: Path):
    f = tmp_path / "good.srt"
    f.write_text(GOOD, encoding="utf-8")
    p = run(str(f))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "0 errors" in p.stdout


def test_each_violation_is_reported_and_exit_is_1(tmp_path: Path):
    f = tmp_path / "bad.srt"
    f.write_text(BAD, encoding="utf-8")
    p = run(str(f), "--json")
    assert p.returncode == 1
    rep = json.loads(p.stdout)
    rules = {(x["cue"], x["rule"]) for x in rep["findings"] if x["severity"] == "error"}
    assert {
        (1, "min-duration"),
        (2, "max-duration"),
        (2, "lines"),
        (2, "line-length"),
        (3, "overlap"),
        (4, "gap"),
    } <= rules
    warnings = {(x["cue"], x["rule"]) for x in rep["findings"] if x["severity"] == "warning"}
    assert (4, "reading-speed") in warnings
    table = run(str(f))
    assert (
        table.returncode == 1 and "line-length" in table.stdout and "Traceback" not in table.stderr
    )


def test_preset_is_configurable(tmp_path: Path):
    f = tmp_path / "good.srt"
    f.write_text(GOOD, encoding="utf-8")
    assert run(str(f), "--max-chars", "30").returncode == 1
    assert run(str(f), "--fps", "29.97", "--json").returncode == 0


def test_webvtt_is_read_like_srt(tmp_path: Path):
    f = tmp_path / "good.vtt"
    f.write_text(
        "WEBVTT\n\nNOTE made by hand\n\n1\n00:01.000 --> 00:03.000 align:center\n"
        "A &amp; B\n\n00:00:03.080 --> 00:00:06.000\n<b>hai</b>\n",
        encoding="utf-8",
    )
    cues = read_srt(f)
    assert [c.content for c in cues] == ["A & B", "hai"]
    assert cues[1].start.total_seconds() == 3.08


def _speech_wav(path: Path, bursts: list[tuple[float, float]], total: float) -> None:
    """A 48 kHz WAV: noise-modulated tone where 'speech' is, silence elsewhere."""
    rate = 48000
    t = np.arange(int(total * rate)) / rate
    x = np.zeros_like(t)
    rng = np.random.default_rng(3)
    for s, e in bursts:
        m = (t >= s) & (t < e)
        x[m] = 0.3 * np.sin(2 * np.pi * 220 * t[m]) * (0.6 + 0.4 * rng.random(m.sum()))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((x * 32767).astype("<i2").tobytes())


def test_sync_against_audio(tmp_path: Path):
    wav = tmp_path / "voice.wav"
    _speech_wav(wav, [(1.0, 2.9), (3.1, 5.9)], 7.0)
    f = tmp_path / "good.srt"
    f.write_text(GOOD, encoding="utf-8")
    rep = check_file(f, CueRules(), wav)
    assert rep.errors == 0, rep.findings
    assert rep.stats["speech_uncovered_pct"] == 0

    late = tmp_path / "late.srt"  # the second cue starts a second after its speech
    late.write_text(GOOD.replace("00:00:03,080", "00:00:04,080"), encoding="utf-8")
    rep = check_file(late, CueRules(), wav)
    assert any(x.rule == "speech-in-gap" and x.cue == 2 for x in rep.findings), rep.findings
    p = run(str(late), "--audio", str(wav))
    assert p.returncode == 1 and "speech-in-gap" in p.stdout


def test_unreadable_inputs_are_input_errors(tmp_path: Path):
    bad = tmp_path / "x.srt"
    bad.write_bytes(b"\xff\xfe\x00garbage\x81")
    p = run(str(bad))
    assert p.returncode == 1 and "Traceback" not in p.stderr
    notsrt = tmp_path / "y.srt"
    notsrt.write_text("1\nnot a time\nhello\n", encoding="utf-8")
    p = run(str(notsrt))
    assert p.returncode == 1 and "Traceback" not in p.stderr
