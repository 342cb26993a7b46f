"""Offline neural voices with Piper, in-process (optional extra: ``newsvoice[piper]``).

The voice is a model file the user downloads: ``--voice PATH.onnx`` with its
``PATH.onnx.json`` beside it (Vietnamese voices: the rhasspy piper-voices
collection, vi_VN). Piper reports no word times; the aligner provides them.
A model is loaded once per process (batch runs Piper in a process pool, one
model per worker) and proven with a one-word synthesis before any work starts,
so a bad file is one clear line, not a traceback halfway through.
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from newsvoice.errors import EngineError, InputError
from newsvoice.speech.engines.base import Speech


class VoiceValueError(ValueError):
    """The --voice value itself is wrong (no such file): a usage error."""


def check_voice(voice: str | None) -> str:
    """The model path as given, if it names an existing ``.onnx`` file (else VoiceValueError)."""
    if not voice:
        raise VoiceValueError("piper needs --voice PATH.onnx (a Piper voice model file)")
    path = Path(voice)
    if not path.is_file():
        raise VoiceValueError(
            f"no Piper voice model at {voice} (want a .onnx file with its .onnx.json beside it)"
        )
    return voice


class _Model:
    """One loaded Piper voice; onnxruntime sessions are thread-safe, piper's phonemiser is
    not documented as such, so calls are serialised (batch parallelises with processes)."""

    def __init__(self, path: Path) -> None:
        try:
            from piper import PiperVoice
        except ImportError as e:
            raise EngineError("Piper is not installed: pip install 'newsvoice[piper]'") from e
        config = Path(f"{path}.json")
        if not config.is_file():
            raise InputError(f"{path}: no voice config {config.name} beside the model")
        try:
            self.voice = PiperVoice.load(path, config_path=config)
            self.rate = int(self.voice.config.sample_rate)
        except OSError as e:
            raise InputError(f"{path}: cannot read the Piper model ({e.strerror or e})") from e
        except Exception as e:  # onnxruntime / json / config errors have no common base
            raise InputError(
                f"{path}: not a usable Piper voice model"
                f"{f' ({line})' if (line := str(e).splitlines()[0][:120] if str(e) else '') else ''}"
            ) from e
        self.lock = threading.Lock()
        self.synth("a")  # an incompatible model fails here, before any work

    def synth(self, text: str) -> np.ndarray:
        with self.lock:
            try:
                chunks = [c.audio_int16_array for c in self.voice.synthesize(text)]
            except Exception as e:
                raise InputError(
                    "Piper model cannot speak"
                    f"{f' ({line})' if (line := str(e).splitlines()[0][:120] if str(e) else '') else ''}"
                ) from e
        return (
            np.concatenate(chunks).astype(np.int16, copy=False) if chunks else np.zeros(0, np.int16)
        )


@lru_cache(maxsize=4)
def _model(path: str, mtime_ns: int) -> _Model:
    return _Model(Path(path))


class PiperEngine:
    """A Piper voice model; ``voice`` is the model's absolute path (the cache key's voice)."""

    name = "piper"

    def __init__(self, voice: str) -> None:
        path = Path(check_voice(voice)).resolve()
        try:
            mtime = path.stat().st_mtime_ns
        except OSError as e:
            raise InputError(f"{voice}: cannot read the Piper model ({e.strerror or e})") from e
        self.voice = str(path)
        self._model = _model(self.voice, mtime)

    def synthesize(self, text: str) -> Speech:
        if not text.strip():
            return Speech(np.zeros(0, np.int16), self._model.rate)
        return Speech(samples=self._model.synth(text), rate=self._model.rate)
