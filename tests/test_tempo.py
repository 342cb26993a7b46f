"""Tempo and --fit: pace changes keep pitch and keep every cue on its speech
(judged by the shared checker); --fit lands in its slot or fails cleanly."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from audiocheck import decode
from conftest import shared_path

from newsvoice.audio.track import ffmpeg_exe, tempo
from newsvoice.pipeline.render import RenderOptions, parse_slot, render
from newsvoice.text.plan import Pauses

ARTICLE = (
    "Kinh tế quý 3 tăng trưởng khá\n\n"
    "Tổng sản phẩm trong nước quý 3 tăng 7,4%, cao hơn cùng kỳ năm trước. "
    "Xuất khẩu tiếp tục là điểm sáng, đạt 105 tỷ USD.\n\n"
    "Lạm phát được kiểm soát; giá tiêu dùng bình quân tăng 3,5%.\n"
)


@pytest.fixture(scope="module")
def article(tmp_path_factory) -> tuple[Path, Path, float]:
    """The article, a shared phrase cache, and its duration at normal pace."""
    tmp = tmp_path_factory.mktemp("tempo")
    src = tmp / "kinh-te.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    res = render(src, tmp / "base", RenderOptions(engine="espeak", cache_dir=tmp / "cache"))
    return src, tmp / "cache", res.duration_s


def check_subs(srt_path: Path, wav: Path) -> dict[str, str]:
    p = subprocess.run(
        [
            sys.executable,
            str(shared_path("eval/check_subs.py")),
            str(srt_path),
            "--audio",
            str(wav),
            "--max-chars",
            "999",
            "--max-lines",
            "99",
            "--max-dur",
            "999",
            "--min-dur",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FFMPEG": ffmpeg_exe()},
    )
    return dict(re.findall(r"(\w+)=(\S+)", p.stdout.strip().splitlines()[-1]))


def dominant_hz(x: np.ndarray, rate: int = 48000) -> float:
    spec = np.abs(np.fft.rfft(x.astype(np.float64) * np.hanning(len(x))))
    return float(np.argmax(spec)) * rate / len(x)


@pytest.mark.parametrize("speed", [0.85, 1.25])
def test_atempo_keeps_pitch_and_scales_length(speed):
    t = np.arange(48000 * 2) / 48000
    x = (8000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    y = tempo(x, speed)
    assert len(y) == pytest.approx(len(x) / speed, rel=0.02)
    assert dominant_hz(y) == pytest.approx(440, abs=3)


@pytest.mark.parametrize("speed", [0.8, 1.3])
def test_speed_keeps_subtitles_on_speech(article, tmp_path, speed):
    src, cache, base = article
    res = render(src, tmp_path, RenderOptions(engine="espeak", cache_dir=cache, speed=speed))
    assert res.engine_calls == 0  # the engine's 1.0 output is cached; tempo comes after
    speech_ratio = (res.duration_s - 1.0) / (base - 1.0)  # head + tail stay as set
    assert 0.6 / speed < speech_ratio < 1.2 / speed
    stats = check_subs(res.outputs["srt"], res.outputs["wav"])
    assert stats["speech_in_gaps"] == "0", stats
    assert json.loads(res.outputs["json"].read_text("utf-8"))["speed"] == speed


@pytest.mark.parametrize("factor", [1.1, 0.9])
def test_fit_lands_in_slot(article, tmp_path, factor):
    src, cache, base = article
    slot = round(base * factor, 1)
    res = render(src, tmp_path, RenderOptions(engine="espeak", cache_dir=cache, fit_s=slot))
    assert abs(res.duration_s - slot) <= 0.5, (res.duration_s, slot)
    assert res.engine_calls == 0
    man = json.loads(res.outputs["json"].read_text("utf-8"))
    assert 0.85 <= man["speed"] <= 1.15 and man["fit_s"] == slot
    stats = check_subs(res.outputs["srt"], res.outputs["wav"])
    assert stats["speech_in_gaps"] == "0", stats


def test_impossible_fit_exits_1_with_needed_speed(article, tmp_path):
    src, cache, base = article
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "newsvoice",
            "render",
            str(src),
            "-o",
            str(tmp_path / "o"),
            "--engine",
            "espeak",
            "--cache-dir",
            str(cache),
            "--fit",
            f"{base / 2:.0f}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_PROXY": "*"},
    )
    assert p.returncode == 1, p.stderr
    assert "would need speed" in p.stderr and "0.85" in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "o").exists() or not list((tmp_path / "o").iterdir())


def test_head_and_tail_silence(article, tmp_path):
    src, cache, _ = article
    res = render(
        src,
        tmp_path,
        RenderOptions(engine="espeak", cache_dir=cache, pauses=Pauses(head=1500, tail=2000)),
    )
    man = json.loads(res.outputs["json"].read_text("utf-8"))
    assert man["units"][0]["start"] == pytest.approx(1.5, abs=1e-6)
    assert man["duration_s"] - man["units"][-1]["end"] == pytest.approx(2.0, abs=1e-6)
    x = decode(res.outputs["wav"])
    assert np.abs(x[: int(16000 * 1.4)]).max() < 1e-3  # the head really is silent


@pytest.mark.parametrize(("text", "secs"), [("90", 90.0), ("1:30", 90.0), ("0:01:30.5", 90.5)])
def test_parse_slot(text, secs):
    assert parse_slot(text) == secs


@pytest.mark.parametrize("text", ["", "abc", "1::2", "-5", "0"])
def test_parse_slot_rejects(text):
    with pytest.raises(ValueError):
        parse_slot(text)


def test_speed_applies_to_google_voice_too(fake_google, tmp_path):
    """gTTS has no rate control; the pace is applied to its audio like espeak's, and
    the second render at another pace reuses the cached 1.0 answers."""
    src = tmp_path / "a.txt"
    src.write_text("Xuất khẩu tiếp tục là điểm sáng, đạt 105 tỷ USD.\n", encoding="utf-8")
    opts = {"engine": "gtts", "cache_dir": tmp_path / "cache", "min_interval": 0.0}
    base = render(src, tmp_path / "a", RenderOptions(**opts))
    fast = render(src, tmp_path / "b", RenderOptions(speed=1.25, **opts))
    assert fast.engine == "gtts" and fast.engine_calls == 0
    speech = [json.loads(r.outputs["json"].read_text("utf-8"))["units"] for r in (base, fast)]
    dur = [sum(u["end"] - u["start"] for u in units) for units in speech]
    assert dur[1] == pytest.approx(dur[0] / 1.25, rel=0.05)
