"""Test helpers that judge our outputs from the outside: decode the audio with
the bundled ffmpeg, find speech with an energy detector, parse the SRT with srt."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import srt

from newsvoice.audio.track import ffmpeg_exe


def decode(path: Path, rate: int = 16000) -> np.ndarray:
    pcm = subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-i",
            str(path),
            "-ac",
            "1",
            "-ar",
            str(rate),
            "-f",
            "s16le",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(pcm, dtype=np.int16).astype(np.float64) / 32768.0


def speech_frames(x: np.ndarray, rate: int = 16000, frame: float = 0.01) -> np.ndarray:
    """Boolean speech/no-speech per 10 ms frame (threshold 35 dB under the loud frames)."""
    n = int(rate * frame)
    k = len(x) // n
    db = 20 * np.log10(np.sqrt((x[: k * n].reshape(k, n) ** 2).mean(axis=1) + 1e-12))
    return db > max(np.percentile(db, 95) - 35.0, -60.0)


def cues(path: Path) -> list[srt.Subtitle]:
    return list(srt.parse(path.read_text(encoding="utf-8-sig")))


def sync_report(srt_path: Path, audio_path: Path) -> dict:
    """Speech outside every cue (beyond 100 ms), speech inside gaps, and cue-start lags."""
    sp = speech_frames(decode(audio_path))
    t = np.arange(len(sp)) * 0.01 + 0.005
    subs = cues(srt_path)
    spans = [(c.start.total_seconds(), c.end.total_seconds()) for c in subs]
    inside = np.zeros(len(sp), bool)
    for s, e in spans:
        inside |= (t >= s - 0.1) & (t <= e + 0.1)
    gaps_with_speech = 0
    bounds = [0.0] + [x for s, e in spans for x in (s, e)] + [len(sp) * 0.01]
    for g0, g1 in zip(bounds[0::2], bounds[1::2], strict=True):
        if ((t > g0 + 0.1) & (t < g1 - 0.1) & sp).sum() * 0.01 > 0.06:
            gaps_with_speech += 1
    late = []
    for s, _ in spans:
        i = int(s / 0.01)
        window = sp[i : i + 60]
        if window.any():
            late.append(float(np.argmax(window)) * 0.01)
    return {
        "uncovered_frames": int((sp & ~inside).sum()),
        "speech_frames": int(sp.sum()),
        "gaps_with_speech": gaps_with_speech,
        "max_onset_lag": max(late) if late else 0.0,
        "cues": len(subs),
    }
