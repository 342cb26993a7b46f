"""Audio: decode, resample, trim, the programme track, tempo, encode.

Units are int16 numpy arrays at 48 kHz mono. The programme is a ``Track``: the
units and the silences between them written once, in order, to an unlinked temp
file, so memory does not grow with programme length; later stages (cue dips,
loudness, encoding) read it by range. Delivery is streamed from float chunks as
16/24-bit WAV or CBR MP3, mono or dual mono (``write_audio``).
ffmpeg comes from the imageio-ffmpeg wheel; there is no ffprobe, so MP3 is
decoded with an explicit codec (pydub does that one job).
"""

from __future__ import annotations

import io
import os
import subprocess
import tempfile
import warnings
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from math import gcd
from typing import BinaryIO

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
    return _pydub()(
        data=np.ascontiguousarray(samples, dtype=np.int16).tobytes(),
        sample_width=SAMPLE_WIDTH,
        frame_rate=rate,
        channels=1,
    )


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


@lru_cache(maxsize=8)
def _polyphase(up: int, down: int) -> tuple[np.ndarray, int, int]:
    """scipy.signal.resample_poly's filter (Kaiser β=5 windowed sinc, 10 zero crossings
    each side, unit DC gain x ``up``) laid out as one matrix: every ``up`` consecutive
    outputs are one window of the input (``width`` samples, starting ``down`` later each
    time) times its columns. Returns (matrix, first input offset, width)."""
    half = 10 * max(up, down)
    m = np.arange(2 * half + 1) - half
    fc = 1.0 / max(up, down)
    h = fc * np.sinc(fc * m) * np.kaiser(2 * half + 1, 5.0)
    h = (h / h.sum()).astype(np.float32) * np.float32(up)
    pre = down - half % down  # resample_poly's centring of the output samples
    hp = np.concatenate([np.zeros(pre, np.float32), h])
    taps = -(-len(hp) // up)
    mm = (np.arange(up) + (half + pre) // down) * down
    last, phase = mm // up, mm % up  # output k uses x[last - j] * hp[phase + j*up]
    b0 = int(np.min(last - taps + 1))
    width = int(np.max(last)) - b0 + 1
    mat = np.zeros((width, up), np.float32)
    for k in range(up):
        j = np.arange(taps)
        t = phase[k] + j * up
        ok = t < len(hp)
        mat[last[k] - j[ok] - b0, k] = hp[t[ok]]
    return mat, b0, width


def resample(samples: np.ndarray, rate: int, target: int = RATE) -> np.ndarray:
    """Polyphase resampling to ``target`` Hz (exact ratio, no drift): the same filter and
    output as scipy's resample_poly (within a float rounding), as one matrix product
    per call and without importing scipy.signal (a second at start-up)."""
    if rate == target or len(samples) == 0:
        return samples.astype(np.int16, copy=False)
    g = gcd(rate, target)
    up, down = target // g, rate // g
    mat, b0, width = _polyphase(up, down)
    n_out = -(-len(samples) * up // down)
    periods = -(-n_out // up)
    xpad = np.zeros((periods - 1) * down + width, np.float32)  # xpad[i] = x[i + b0], zeros outside
    lo, hi = max(0, b0), min(len(samples), len(xpad) + b0)
    xpad[lo - b0 : hi - b0] = samples[lo:hi]
    windows = np.lib.stride_tricks.sliding_window_view(xpad, width)[::down][:periods]
    y = (np.ascontiguousarray(windows) @ mat).ravel()[:n_out]
    np.rint(y, out=y)
    np.clip(y, -32768, 32767, out=y)
    return y.astype(np.int16)


def trim_silence(samples: np.ndarray, rate: int = RATE, **kw) -> np.ndarray:
    """Cut leading and trailing silence so unit edges are speech edges."""
    a, b = trim_bounds(samples, rate, **kw)
    return samples[a:b]


def trim_bounds(
    samples: np.ndarray,
    rate: int = RATE,
    *,
    floor_db: float = -50.0,
    below_peak_db: float = 40.0,
    margin_ms: float = 15.0,
) -> tuple[int, int]:
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


class Track:
    """A mono int16 programme at ``rate`` kept in an unlinked temporary file, and where
    each unit sits in it (sample spans).

    Why a file: memory must stay flat in programme length (an hour at 48 kHz is
    345 MB as int16), so every later stage reads the samples it needs by range.
    The file has no name, so a killed render leaves nothing behind."""

    def __init__(self, rate: int = RATE) -> None:
        self.rate = rate
        self.spans: list[tuple[int, int]] = []
        self.n_samples = 0
        self._file = tempfile.TemporaryFile(prefix="newsvoice-track-", buffering=0)  # noqa: SIM115 (closed by close())

    @classmethod
    def of(cls, samples: np.ndarray, rate: int = RATE) -> Track:
        """A track holding ``samples`` (tests, benchmarks)."""
        t = cls(rate)
        t.append(samples)
        return t

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.rate

    def append(self, samples: np.ndarray) -> tuple[int, int]:
        """Add samples at the end; returns their span."""
        a = self.n_samples
        data = np.ascontiguousarray(samples, dtype="<i2")
        view, pos = data.data.cast("B"), a * SAMPLE_WIDTH
        while view:  # unbuffered: a write may be short
            k = os.pwrite(self.fileno(), view, pos)
            view, pos = view[k:], pos + k
        self.n_samples += len(data)
        return a, self.n_samples

    def append_silence(self, n: int) -> None:
        """Add ``n`` zero samples (written in bounded pieces)."""
        left = n
        while left > 0:
            k = min(left, 1 << 20)
            self.append(np.zeros(k, np.int16))
            left -= k

    def add_unit(self, samples: np.ndarray, pause: int = 0) -> None:
        """A unit's samples (its span recorded) and ``pause`` samples of silence after it."""
        self.spans.append(self.append(samples))
        self.append_silence(pause)

    def read(self, a: int, b: int) -> np.ndarray:
        """int16 samples [a, b) (clipped to the track)."""
        return _pread_int16(self.fileno(), self.n_samples, a, b)

    def read_float(self, a: int, b: int) -> np.ndarray:
        """Samples [a, b) as float32, full scale 1.0."""
        return _as_float(self.read(a, b))

    def unit(self, i: int) -> np.ndarray:
        return self.read(*self.spans[i])

    def fileno(self) -> int:
        """The file's descriptor (unbuffered: what is appended is in the file at once,
        for ``read`` here and for another process reading it)."""
        return self._file.fileno()

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Track:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _pread_int16(fd: int, n_samples: int, a: int, b: int) -> np.ndarray:
    """int16 samples [a, b) of a track file of ``n_samples`` (the range clipped to it)."""
    a, b = max(0, a), min(n_samples, b)
    if b <= a:
        return np.zeros(0, np.int16)
    data = os.pread(fd, (b - a) * SAMPLE_WIDTH, a * SAMPLE_WIDTH)
    return np.frombuffer(data, dtype="<i2").astype(np.int16, copy=False)


def _as_float(x: np.ndarray) -> np.ndarray:
    """int16 samples as float32, full scale 1.0 (one definition: the render and its
    sidecar must read a track to the same bits)."""
    return x.astype(np.float32) * np.float32(1 / 32768)


class TrackReader:
    """Read-only access to a track file another process wrote (``n_samples`` int16)."""

    def __init__(self, path: str, n_samples: int) -> None:
        self.n_samples = n_samples
        self._fd = os.open(path, os.O_RDONLY)

    def read_float(self, a: int, b: int) -> np.ndarray:
        """Samples [a, b) as float32, full scale 1.0 (clipped to the track)."""
        return _as_float(_pread_int16(self._fd, self.n_samples, a, b))

    def close(self) -> None:
        os.close(self._fd)

    def __enter__(self) -> TrackReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def assemble(
    phrases: Sequence[np.ndarray], pauses_ms: Sequence[int], *, head_ms: int = 0, rate: int = RATE
) -> Track:
    """Lay phrases and the silence after each into one track.

    ``pauses_ms[i]`` is the silence after phrase i (the last one is the tail).
    Linear in the number of phrases: each is written once, at the end."""
    if len(phrases) != len(pauses_ms):
        raise ValueError("one pause per phrase")
    track = Track(rate)
    track.append_silence(round(rate * head_ms / 1000))
    for ph, pause in zip(phrases, pauses_ms, strict=True):
        track.add_unit(ph, round(rate * pause / 1000))
    return track


def tempo(samples: np.ndarray, speed: float, rate: int = RATE) -> np.ndarray:
    """Change pace without changing pitch (ffmpeg ``atempo``, WSOLA); 1.0 is a no-op."""
    if abs(speed - 1.0) < 1e-6 or len(samples) == 0:
        return samples
    cmd = [
        ffmpeg_exe(),
        "-v",
        "error",
        "-f",
        "s16le",
        "-ar",
        str(rate),
        "-ac",
        "1",
        "-i",
        "pipe:0",
        "-af",
        f"atempo={speed:.6f}",
        "-f",
        "s16le",
        "-ar",
        str(rate),
        "-ac",
        "1",
        "pipe:1",
    ]
    p = subprocess.run(
        cmd,
        input=np.ascontiguousarray(samples, dtype=np.int16).tobytes(),
        capture_output=True,
        check=False,
        timeout=120,
    )
    if p.returncode != 0:
        raise RuntimeError(f"ffmpeg atempo failed: {p.stderr.decode(errors='replace')[-300:]}")
    return np.frombuffer(p.stdout, dtype=np.int16).copy()


def to_float(track: Track) -> np.ndarray:
    """The whole track as float32 in [-1, 1) (short programmes: tests, benchmarks)."""
    return track.read_float(0, track.n_samples)


def pcm_bytes(x: np.ndarray, bit_depth: int, channels: int = 1) -> bytes:
    """Float samples -> little-endian interleaved PCM of ``bit_depth`` (16 or 24) bits.

    Rounds to the nearest step; values are expected within full scale (the
    limiter sees to that), the clip only guards the last half step."""
    if bit_depth not in (16, 24):
        raise ValueError(f"unsupported bit depth {bit_depth}")
    scale = np.float32(2 ** (bit_depth - 1))
    # float32 is exact here: a power-of-two scale, and 24 bits fit its mantissa
    y = np.asarray(x, dtype=np.float32) * scale
    np.rint(y, out=y)
    np.clip(y, -scale, scale - 1, out=y)
    q = y.astype("<i4")  # little-endian whatever the machine's order
    if channels == 2:
        q = np.repeat(q, 2)  # dual mono
    if bit_depth == 16:
        return q.astype("<i2").tobytes()
    # the low three bytes of each little-endian int32, as one strided copy in C: a view
    # of 3-byte items 4 bytes apart (faster than audioop's lin2lin, which needed a shift
    # first, and than a strided byte slice)
    return np.ndarray((len(q),), dtype=np.dtype("V3"), buffer=q, strides=(4,)).tobytes()


def encode_pcm(
    x: np.ndarray,
    fmt: str,
    *,
    rate: int = RATE,
    bit_depth: int = 24,
    channels: int = 1,
    bitrate: str = "192k",
) -> bytes:
    """Encode float samples held in memory as WAV (16/24-bit PCM) or CBR MP3 (see write_audio)."""
    kw = {"rate": rate, "bit_depth": bit_depth, "channels": channels, "bitrate": bitrate}
    if fmt == "mp3":
        with tempfile.TemporaryFile() as f:  # ffmpeg writes to a real file
            write_audio(f, [x], len(x), fmt, **kw)  # type: ignore[arg-type]
            f.seek(0)
            return f.read()
    buf = io.BytesIO()
    write_audio(buf, [x], len(x), fmt, **kw)  # type: ignore[arg-type]
    return buf.getvalue()


def write_audio(
    out: BinaryIO,
    chunks: Iterable[np.ndarray],
    n_samples: int,
    fmt: str,
    *,
    rate: int = RATE,
    bit_depth: int = 24,
    channels: int = 1,
    bitrate: str = "192k",
    tags: Mapping[str, str] | None = None,
) -> None:
    """Stream float chunks (``n_samples`` in all) into ``out`` as WAV or CBR MP3:
    memory holds one chunk, whatever the programme's length. ``tags``: MP3 only, ffmpeg
    metadata keys its muxer writes as ID3v2 frames (title -> TIT2, publisher -> TPUB)."""
    if channels not in (1, 2):
        raise ValueError(f"unsupported channel count {channels}")
    if fmt == "wav":
        import wave

        with wave.open(out, "wb") as w:
            w.setnchannels(channels)
            w.setsampwidth(bit_depth // 8)
            w.setframerate(rate)
            w.setnframes(n_samples)
            for x in chunks:
                w.writeframesraw(pcm_bytes(x, bit_depth, channels))
        return
    if fmt != "mp3":
        raise ValueError(f"unknown audio format {fmt!r}")
    cmd = [
        ffmpeg_exe(),
        "-v",
        "error",
        "-f",
        "s24le",
        "-ar",
        str(rate),
        "-ac",
        str(channels),
        "-i",
        "pipe:0",
        "-c:a",
        "libmp3lame",
        "-b:a",
        bitrate,
    ]
    for k, v in (tags or {}).items():
        cmd += ["-metadata", f"{k}={v}"]
    cmd += ["-f", "mp3", "pipe:1"]
    with tempfile.TemporaryFile() as err:
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=out, stderr=err)
        try:
            assert p.stdin is not None
            for x in chunks:
                p.stdin.write(pcm_bytes(x, 24, channels))
            p.stdin.close()
        except BrokenPipeError:
            pass
        finally:
            if p.wait() != 0 or p.returncode is None:
                err.seek(0)
                raise RuntimeError(
                    f"ffmpeg mp3 encode failed: {err.read().decode(errors='replace')[-300:]}"
                )
