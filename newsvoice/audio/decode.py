"""Any audio or video file as mono float32 samples: the one ffmpeg decode of newsvoice.

align's recordings, check's audio, the review page's waveform and a bulletin's
stings and beds all come through here, so each gets the same behaviour: the first
audio track only (a video's picture is skipped), no stdin read (ffmpeg would wait on
a terminal), a bound on time, and one clean line when the file cannot be read
(never ffmpeg's raw stderr, which quotes paths and build banners).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from newsvoice.audio.track import ffmpeg_exe
from newsvoice.errors import InputError, ffmpeg_reason

_DECODE_TIMEOUT_S = 600.0  # a two-hour programme decodes in seconds; a stuck read must end


def decode_mono(path: Path | str, rate: int, *, what: str = "audio") -> np.ndarray:
    """The first audio track of ``path`` at ``rate`` Hz, mono float32 in [-1, 1].
    An unreadable file, or one with no audio, is an InputError naming it and ``what``
    it is ("recording", "sting")."""
    cmd = [
        ffmpeg_exe(),
        "-nostdin",
        "-v",
        "error",
        "-i",
        str(path),
        "-vn",
        "-map",
        "0:a:0?",
        "-ac",
        "1",
        "-ar",
        str(rate),
        "-f",
        "f32le",
        "pipe:1",
    ]
    try:
        p = subprocess.run(cmd, capture_output=True, check=False, timeout=_DECODE_TIMEOUT_S)
    except OSError as e:
        raise InputError(f"cannot run ffmpeg to read {what} {path}: {e.strerror or e}") from None
    except subprocess.TimeoutExpired:
        raise InputError(f"cannot read {what} {path}: decoding took over 10 minutes") from None
    if p.returncode != 0 and b"does not contain any stream" not in p.stderr:
        raise InputError(f"cannot read {what} {path}: {ffmpeg_reason(p.stderr)}")
    if not p.stdout:
        raise InputError(f"{what} {path} has no audio track")
    return np.frombuffer(p.stdout, np.float32).copy()
