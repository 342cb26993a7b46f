"""audio/decode.py: the one ffmpeg decode (recordings, check audio, waveforms, stings)."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from newsvoice.audio.decode import decode_mono
from newsvoice.audio.track import ffmpeg_exe
from newsvoice.errors import InputError


def _ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-v", "error", "-y", *args], check=True, capture_output=True)


def test_a_video_gives_its_first_audio_track_at_the_asked_rate(tmp_path):
    clip = tmp_path / "clip.mp4"
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc=size=64x48:rate=25:duration=1",
        "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1",
        "-shortest", "-c:v", "mpeg4", "-c:a", "aac", str(clip),
    )  # fmt: skip
    x = decode_mono(clip, 16000)
    assert x.dtype == np.float32 and abs(len(x) - 16000) < 1600
    assert 0.1 < float(np.max(np.abs(x))) <= 1.0


def test_unreadable_and_silent_files_are_one_clean_line(tmp_path):
    text = tmp_path / "note.wav"
    text.write_text("không phải âm thanh", encoding="utf-8")
    with pytest.raises(InputError) as e:
        decode_mono(text, 16000, what="recording")
    msg = str(e.value)
    assert msg.startswith(f"cannot read recording {text}: ") and "\n" not in msg
    assert msg.count(str(text)) == 1 and "pipe:" not in msg
    video = tmp_path / "mute.mp4"
    _ffmpeg(
        "-f", "lavfi", "-i", "testsrc=size=64x48:rate=25:duration=1", "-c:v", "mpeg4", str(video)
    )
    with pytest.raises(InputError, match="has no audio track"):
        decode_mono(video, 16000, what="recording")
