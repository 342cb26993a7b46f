"""Audio: decode, resample, trim, assemble the track in one join, tempo, encode.

Phrases and the assembled track are pydub ``AudioSegment``s (48 kHz, mono,
16-bit); everything after assembly (loudness, limiting) works on float32, and
delivery is written from float as 16/24-bit WAV or CBR MP3, mono or dual mono.
The track is built once from a list of pieces (never ``a = a + seg`` in a
loop, which is quadratic).
ffmpeg comes from the imageio-ffmpeg wheel; there is no ffprobe, so MP3 is
decoded with an explicit codec.
"""

from __future__ import annotations

import io
import os
import subprocess
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from math import gcd

import numpy as np

RATE = 48000
SAMPLE_WIDTH = 2


@lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """The bundled static ffmpeg (or $FFMPEG if set)."""
    env = os.environ.get("FFMPEG")
    if env:
        return env
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _pydub():
    """pydub's AudioSegment, pointed at the bundled ffmpeg (pydub warns if it finds none)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        from pydub import AudioSegment
    AudioSegment.converter = ffmpeg_exe()
    return AudioSegment


def segment(samples: np.ndarray, rate: int = RATE):
    """Wrap int16 mono samples as an AudioSegment."""
    return _pydub()(data=np.ascontiguousarray(samples, dtype=np.int16).tobytes(),
                    sample_width=SAMPLE_WIDTH, frame_rate=rate, channels=1)


def samples_of(seg) -> np.ndarray:
    """int16 numpy view of a mono 16-bit AudioSegment."""
    return np.frombuffer(seg.raw_data, dtype=np.int16)


def decode_mp3(data: bytes) -> tuple[np.ndarray, int]:
    """MP3 bytes -> (int16 mono samples, rate) through pydub + bundled ffmpeg."""
    seg = _pydub().from_file(io.BytesIO(data), format="mp3", codec="mp3")
    seg = seg.set_channels(1).set_sample_width(SAMPLE_WIDTH)
    if len(seg.raw_data) == 0:
        raise ValueError("no audio frames")
    return samples_of(seg).copy(), seg.frame_rate


def resample(samples: np.ndarray, rate: int, target: int = RATE) -> np.ndarray:
    """Polyphase resampling to ``target`` Hz (exact ratio, no drift)."""
    if rate == target or len(samples) == 0:
        return samples.astype(np.int16, copy=False)
    from scipy.signal import resample_poly

    g = gcd(rate, target)
    y = resample_poly(samples.astype(np.float32), target // g, rate // g)
    return np.clip(np.round(y), -32768, 32767).astype(np.int16)


def trim_silence(samples: np.ndarray, rate: int = RATE, **kw) -> np.ndarray:
    """Cut leading and trailing silence so unit edges are speech edges."""
    a, b = trim_bounds(samples, rate, **kw)
    return samples[a:b]


def trim_bounds(samples: np.ndarray, rate: int = RATE, *, floor_db: float = -50.0,
                below_peak_db: float = 40.0, margin_ms: float = 15.0) -> tuple[int, int]:
    """Where the speech in ``samples`` starts and ends (sample indices).

    A 5 ms frame counts as sound when its RMS is above ``floor_db`` dBFS and
    within ``below_peak_db`` of the loudest frame; ``margin_ms`` is kept on
    each side so soft onsets and releases are not clipped.
    """
    n = max(1, rate // 200)
    k = len(samples) // n
    if k == 0:
        return 0, 0
    x = samples[: k * n].astype(np.float32).reshape(k, n) / 32768.0
    db = 10 * np.log10((x * x).mean(axis=1) + 1e-12)
    thr = max(floor_db, float(db.max()) - below_peak_db)
    loud = np.flatnonzero(db > thr)
    if len(loud) == 0:
        return 0, 0
    margin = int(rate * margin_ms / 1000)
    start = max(0, loud[0] * n - margin)
    end = min(len(samples), (loud[-1] + 1) * n + margin)
    return start, end


@dataclass(frozen=True)
class Track:
    """The assembled programme and where each phrase sits in it (sample offsets)."""

    audio: object  # pydub.AudioSegment
    spans: list[tuple[int, int]]
    rate: int = RATE

    @property
    def n_samples(self) -> int:
        return len(self.audio.raw_data) // SAMPLE_WIDTH

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.rate


def assemble(phrases: Sequence[np.ndarray], pauses_ms: Sequence[int], *,
             head_ms: int = 0, rate: int = RATE) -> Track:
    """Lay phrases and the silence after each into one track with a single join.

    ``pauses_ms[i]`` is the silence after phrase i (the last one is the tail).
    Linear in the number of phrases: the bytes are joined once.
    """
    if len(phrases) != len(pauses_ms):
        raise ValueError("one pause per phrase")
    parts: list[bytes] = []
    spans: list[tuple[int, int]] = []
    pos = round(rate * head_ms / 1000)
    parts.append(bytes(pos * SAMPLE_WIDTH))
    for ph, pause in zip(phrases, pauses_ms, strict=True):
        data = np.ascontiguousarray(ph, dtype=np.int16).tobytes()
        parts.append(data)
        spans.append((pos, pos + len(ph)))
        pos += len(ph)
        gap = round(rate * pause / 1000)
        parts.append(bytes(gap * SAMPLE_WIDTH))
        pos += gap
    audio = _pydub()(data=b"".join(parts), sample_width=SAMPLE_WIDTH, frame_rate=rate, channels=1)
    return Track(audio=audio, spans=spans, rate=rate)


def tempo(samples: np.ndarray, speed: float, rate: int = RATE) -> np.ndarray:
    """Change pace without changing pitch (ffmpeg ``atempo``, WSOLA); 1.0 is a no-op."""
    if abs(speed - 1.0) < 1e-6 or len(samples) == 0:
        return samples
    cmd = [ffmpeg_exe(), "-v", "error", "-f", "s16le", "-ar", str(rate), "-ac", "1", "-i", "pipe:0",
           "-af", f"atempo={speed:.6f}", "-f", "s16le", "-ar", str(rate), "-ac", "1", "pipe:1"]
    p = subprocess.run(cmd, input=np.ascontiguousarray(samples, dtype=np.int16).tobytes(),
                       capture_output=True, check=False, timeout=120)
    if p.returncode != 0:
        raise RuntimeError(f"ffmpeg atempo failed: {p.stderr.decode(errors='replace')[-300:]}")
    return np.frombuffer(p.stdout, dtype=np.int16).copy()


def to_float(track: Track) -> np.ndarray:
    """The track as float32 in [-1, 1): later processing (loudness, limiting) is done in float."""
    return samples_of(track.audio).astype(np.float32) / np.float32(32768.0)


def pcm_bytes(x: np.ndarray, bit_depth: int, channels: int = 1) -> bytes:
    """Float samples -> little-endian interleaved PCM of ``bit_depth`` (16 or 24) bits.

    Rounds to the nearest step; values are expected within full scale (the
    limiter sees to that), the clip only guards the last half step."""
    if bit_depth not in (16, 24):
        raise ValueError(f"unsupported bit depth {bit_depth}")
    scale = float(2 ** (bit_depth - 1))
    q = np.clip(np.round(np.asarray(x, dtype=np.float64) * scale), -scale, scale - 1).astype("<i4")
    if channels == 2:
        q = np.repeat(q, 2)  # dual mono
    if bit_depth == 16:
        return q.astype("<i2").tobytes()
    return q.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()


def encode_pcm(x: np.ndarray, fmt: str, *, rate: int = RATE, bit_depth: int = 24, channels: int = 1,
               bitrate: str = "192k") -> bytes:
    """Encode float samples as WAV (16/24-bit PCM) or CBR MP3; mono or dual-mono stereo."""
    if channels not in (1, 2):
        raise ValueError(f"unsupported channel count {channels}")
    if fmt == "wav":
        import wave

        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(channels)
            w.setsampwidth(bit_depth // 8)
            w.setframerate(rate)
            w.writeframes(pcm_bytes(x, bit_depth, channels))
        return buf.getvalue()
    if fmt == "mp3":
        cmd = [ffmpeg_exe(), "-v", "error", "-f", "s24le", "-ar", str(rate), "-ac", str(channels),
               "-i", "pipe:0", "-c:a", "libmp3lame", "-b:a", bitrate, "-f", "mp3", "pipe:1"]
        p = subprocess.run(cmd, input=pcm_bytes(x, 24, channels), capture_output=True, check=False)
        if p.returncode != 0:
            raise RuntimeError(f"ffmpeg mp3 encode failed: {p.stderr.decode(errors='replace')[-300:]}")
        return p.stdout
    raise ValueError(f"unknown audio format {fmt!r}")
