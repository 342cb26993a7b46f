"""newsvoice render end to end: real espeak, real ffmpeg, real files."""

from __future__ import annotations

import json
import subprocess
import sys
import wave
from pathlib import Path

import pytest
from audiocheck import cues, sync_report
from conftest import shared_path

from newsvoice.pipeline.render import RenderOptions, render

SAMPLE = "samples/dai-loc-party-building.txt"


def _opts(tmp_path: Path, **kw) -> RenderOptions:
    kw.setdefault("engine", "espeak")
    return RenderOptions(cache_dir=tmp_path / "cache", **kw)


@pytest.fixture(scope="module")
def sample_render(tmp_path_factory):
    src = shared_path(SAMPLE)
    tmp = tmp_path_factory.mktemp("render")
    res = render(src, tmp / "out", _opts(tmp))
    return src, tmp, res


def test_render_writes_audio_subtitles_manifest(sample_render):
    src, tmp, res = sample_render
    out = tmp / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "dai-loc-party-building.json",
        "dai-loc-party-building.srt",
        "dai-loc-party-building.wav",
    ]
    with wave.open(str(out / "dai-loc-party-building.wav")) as w:
        assert (w.getframerate(), w.getnchannels()) == (48000, 1)
        assert w.getnframes() / 48000 == pytest.approx(res.duration_s)
    assert res.duration_s > 60


def test_every_cue_sits_on_its_speech(sample_render):
    _, tmp, _ = sample_render
    rep = sync_report(
        tmp / "out/dai-loc-party-building.srt", tmp / "out/dai-loc-party-building.wav"
    )
    assert rep["gaps_with_speech"] == 0
    assert rep["uncovered_frames"] == 0
    assert rep["max_onset_lag"] <= 0.1  # every cue starts within 100 ms of its speech


def test_shared_checker_agrees(sample_render):
    _, tmp, _ = sample_render
    checker = shared_path("eval/check_subs.py")
    out = tmp / "out"
    p = subprocess.run(
        [
            sys.executable,
            str(checker),
            str(out / "dai-loc-party-building.srt"),
            "--audio",
            str(out / "dai-loc-party-building.wav"),
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
        env=_ffmpeg_env(),
    )
    summary = p.stdout.strip().splitlines()[-1]
    assert "speech_in_gaps=0" in summary, p.stdout


def _ffmpeg_env() -> dict:
    import os

    from newsvoice.audio.track import ffmpeg_exe

    return {**os.environ, "FFMPEG": ffmpeg_exe()}


def test_cue_text_is_the_written_article_text(sample_render):
    _, tmp, _ = sample_render
    text = " ".join(
        c.content.replace("\n", " ") for c in cues(tmp / "out/dai-loc-party-building.srt")
    )
    assert "ngày 11/01," in text and "HĐND" in text and "109,1%" in text  # written, not spoken
    assert "Are you sure" not in text and "Nhật Duy" not in text  # web junk and byline dropped


def test_manifest_lists_units_with_written_and_spoken(sample_render):
    _, tmp, res = sample_render
    m = json.loads((tmp / "out/dai-loc-party-building.json").read_text(encoding="utf-8"))
    assert m["engine"] == "espeak" and m["voice"] == "vi"
    assert len(m["units"]) == m["totals"]["units"] == res.units
    for u in m["units"]:
        assert u["written"] and u["spoken"] and u["end"] > u["start"]
        assert not any(ch.isdigit() for ch in u["spoken"])
    starts = [u["start"] for u in m["units"]]
    assert starts == sorted(starts)
    assert {d["reason"] for d in m["dropped"]}  # the junk lines are listed with reasons


def test_manifest_word_timeline_covers_the_narration(sample_render):
    _, tmp, res = sample_render
    m = json.loads((tmp / "out/dai-loc-party-building.json").read_text(encoding="utf-8"))
    words = m["words"]
    assert len(words) == res.words == m["totals"]["words"] > 500 and m["word_timing"] == "engine"
    assert " ".join(w["text"] for w in words) == " ".join(u["written"] for u in m["units"])
    assert all(w["start"] <= w["end"] for w in words)
    assert [w["start"] for w in words] == sorted(w["start"] for w in words)
    assert words[-1]["end"] <= m["duration_s"]
    # every cue starts on its first word's onset (snapped down to the frame grid, never after it)
    for c in m["cues"]:
        first = words[c["words"][0]]
        assert first["start"] - 0.041 <= c["start"] <= first["start"] + 0.001
        assert c["text"].replace("\n", " ") == " ".join(
            w["text"] for w in words[c["words"][0] : c["words"][1]]
        )
    one = next(w for w in words if w["text"] == "HĐND")
    assert one["spoken"] == "hội đồng nhân dân" and one["end"] - one["start"] > 0.3


def test_no_pause_at_mid_clause_cuts_and_no_word_split(sample_render):
    _, tmp, _ = sample_render
    out = tmp / "out"
    p = subprocess.run(
        [
            sys.executable,
            str(shared_path("eval/phrasing.py")),
            str(out / "dai-loc-party-building.srt"),
            str(out / "dai-loc-party-building.wav"),
            "--split-words",
        ],
        capture_output=True,
        text=True,
        env=_ffmpeg_env(),
        timeout=300,
    )
    summary = dict(kv.split("=") for kv in p.stdout.split()[1:])
    assert summary["inserted_pauses"] == "0" and summary["word_splits"] == "0", p.stdout


def test_second_render_is_cached_and_identical(sample_render):
    src, tmp, first = sample_render
    again = render(src, tmp / "again", _opts(tmp))
    assert first.engine_calls > 0
    assert again.engine_calls == 0
    a = (tmp / "out/dai-loc-party-building.wav").read_bytes()
    b = (tmp / "again/dai-loc-party-building.wav").read_bytes()
    assert a == b


def test_gtts_render_end_to_end(fake_google, tmp_path):
    src = tmp_path / "tin.txt"
    src.write_text("Tin vắn\n\nSáng nay, xã tổ chức họp dân. Có 35 hộ tham dự.\n", encoding="utf-8")
    res = render(src, tmp_path / "out", _opts(tmp_path, engine="gtts", min_interval=0.0))
    assert res.engine == "gtts" and res.engine_calls == len(fake_google.texts) >= 2
    assert all(not any(c.isdigit() for c in t) for t in fake_google.texts)
    rep = sync_report(tmp_path / "out/tin.srt", tmp_path / "out/tin.wav")
    assert rep["gaps_with_speech"] == 0 and rep["uncovered_frames"] == 0
    m = json.loads((tmp_path / "out/tin.json").read_text(encoding="utf-8"))
    # gTTS reports no word times: the aligner gives every written word its onset
    assert m["word_timing"] == "aligner" and m["totals"]["aligned_units"] == res.engine_calls
    assert [w["text"] for w in m["words"]][:4] == ["Sáng", "nay,", "xã", "tổ"]
    starts = [w["start"] for w in m["words"]]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)


@pytest.mark.slow
def test_engine_failure_leaves_no_files(fake_google, tmp_path):
    fake_google.script = [503] * 50
    src = tmp_path / "tin.txt"
    src.write_text("Tin vắn\n\nSáng nay, xã tổ chức họp dân.\n", encoding="utf-8")
    from newsvoice.errors import EngineError

    with pytest.raises(EngineError):
        render(src, tmp_path / "out", _opts(tmp_path, engine="gtts", retries=1, min_interval=0.0))
    assert list((tmp_path / "out").iterdir()) == []


def test_mp3_output(tmp_path):
    src = tmp_path / "tin.txt"
    src.write_text("Tin vắn\n\nSáng nay, xã tổ chức họp dân.\n", encoding="utf-8")
    res = render(src, tmp_path / "out", _opts(tmp_path, audio_format="mp3", subs=("srt", "vtt")))
    mp3 = (tmp_path / "out/tin.mp3").read_bytes()
    assert mp3[:3] == b"ID3" or mp3[0] == 0xFF
    assert (tmp_path / "out/tin.vtt").read_text(encoding="utf-8").startswith("WEBVTT")
    assert set(res.outputs) == {"mp3", "srt", "vtt", "json"}


def test_progress_reports_every_stage_in_order(tmp_path):
    src = tmp_path / "tin.txt"
    src.write_text("Tin vắn\n\nSáng nay, xã tổ chức họp dân. Có 35 hộ tham dự.\n", encoding="utf-8")
    seen: list[tuple[str, int, int | None]] = []
    render(src, tmp_path / "out", _opts(tmp_path), progress=lambda *a: seen.append(a))
    stages = list(dict.fromkeys(s for s, _, _ in seen))
    assert stages == [
        "synthesising",
        "assembling",
        "cutting subtitles",
        "loudness",
        "encoding",
        "writing",
    ]
    synth = [(d, t) for s, d, t in seen if s == "synthesising"]
    assert synth[-1][0] == synth[-1][1] >= 3  # counted unit by unit to the end
