"""Offline Vietnamese speech with espeak-ng, in-process through ctypes.

The shared library and its voice data come from the ``espeakng-loader`` wheel,
so nothing is installed with apt and no subprocess is started. libespeak-ng
keeps its state per process, so one handle is opened per process and calls
are serialised with a lock; parallel batch work uses processes, not threads.

Pitch flutter and roughness are off (the wheel's voice file plus ``flutter 0`` and
``roughness 0``, loaded by file) and the noise seed is reset per unit: the flutter phase
and the roughness cycle count are C statics that run on across calls, so with them a
unit's audio depended on what the process said before, and a cold ``-j 2`` render (two
processes, a timing-dependent split) differed from ``-j 1`` (issue 28 #18).
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import tempfile
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import IO

import numpy as np

from newsvoice.errors import EngineError
from newsvoice.speech.engines.base import Speech, WordTiming
from newsvoice.speech.engines.voices import ESPEAK as VOICES

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_WORD = 1
_EVENT_SAMPLERATE = 8
_PARAM_RATE = 1
_DEFAULT_WPM = 175


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


_STEADY = b"\nflutter 0\nroughness 0\n"  # no state carried from one call to the next


class _Library:
    """The process's libespeak-ng handle, initialised once (the C library is global)."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as e:  # pragma: no cover - it is a hard dependency
            raise EngineError(
                "espeak-ng is not available: install the espeakng-loader wheel"
            ) from e
        self.lock = threading.Lock()
        self.lib = ctypes.CDLL(espeakng_loader.get_library_path())
        data = espeakng_loader.get_data_path().encode()
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.lib.espeak_Initialize.argtypes = [
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_char_p,
            ctypes.c_int,
        ]
        self.lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.POINTER(ctypes.c_uint),
            ctypes.c_void_p,
        ]
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_SetVoiceByFile.argtypes = [ctypes.c_char_p]
        self._data = Path(espeakng_loader.get_data_path())
        self._seed = getattr(self.lib, "espeak_ng_SetRandSeed", None)  # espeak-ng >= 1.52
        if self._seed is not None:
            self._seed.argtypes, self._seed.restype = [ctypes.c_long], None
        self._steady: dict[str, tuple[IO[bytes], bytes] | None] = {}
        self.lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        rate = self.lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data, 0)
        if rate <= 0:
            raise EngineError("espeak-ng failed to initialise")
        self.rate = rate
        self._voice: str | None = None  # the voice set last
        self._chunks: list[bytes] = []
        self._words: list[tuple[int, int, int]] = []
        self._samples = 0
        self._raised: BaseException | None = None
        self._hit: list[int] = []
        self._callback = _CALLBACK(self._on_audio)  # keep a reference: C holds the pointer
        self.lib.espeak_SetSynthCallback(self._callback)

    def _on_audio(self, wav, n: int, events) -> int:
        """espeak's callback. An exception here (Ctrl-C's KeyboardInterrupt lands in it,
        as it is the Python code running while espeak synthesises) would be "ignored" by
        ctypes and the unit cut short: it is kept, synthesis aborted (return 1) and it is
        raised again once espeak_Synth returns."""
        try:
            return self._take(wav, n, events)
        except BaseException as e:  # noqa: BLE001 - re-raised by synth()
            self._raised = e
            return 1

    def _take(self, wav, n: int, events) -> int:
        if self._hit:
            return 1  # Ctrl-C arrived: stop; synth() raises KeyboardInterrupt
        if n > 0 and wav:
            self._chunks.append(ctypes.string_at(wav, 2 * n))  # a copy; numpy only once at the end
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            ev = events[i]
            if ev.type == _EVENT_WORD:
                self._words.append((ev.text_position, ev.length, ev.sample))
            i += 1
        return 0

    def _steady_voice(self, voice: str) -> bytes | None:
        """A path espeak can open (< 60 bytes, lower case: its buffer) to ``voice``'s
        file with ``flutter 0`` appended; None if the wheel has no such file. The file
        is anonymous (no name on disk), reached through /proc/self/fd for this process."""
        if voice not in self._steady:
            found = [p for p in sorted((self._data / "lang").rglob(voice)) if p.is_file()]
            made: tuple[IO[bytes], bytes] | None = None
            if found and Path("/proc/self/fd").is_dir():
                f = tempfile.TemporaryFile()  # noqa: SIM115 - held open: espeak reads it by fd
                f.write(found[0].read_bytes().rstrip(b"\n") + _STEADY)
                f.flush()
                made = (f, f"/proc/self/fd/{f.fileno()}".encode())
            self._steady[voice] = made
        got = self._steady[voice]
        return got[1] if got else None

    def _set_voice(self, voice: str) -> None:
        """The noise seed reset and the voice loaded again for every unit: a unit's audio
        must not depend on what the process said before (the voice's state runs on across
        calls), so a second process speaking from the end writes the same bytes. Loading
        costs ~7 % of synthesis; skipping it when the voice is unchanged broke that."""
        if self._seed is not None:
            self._seed(1)
        steady = self._steady_voice(voice)
        by_file = steady is not None and self.lib.espeak_SetVoiceByFile(steady) == 0
        if not by_file and self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise EngineError(f"espeak-ng has no voice {voice!r}")
        self._voice = voice

    def synth(
        self, text: str, voice: str, wpm: int
    ) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
        with self.lock:
            self._set_voice(voice)
            self.lib.espeak_SetParameter(_PARAM_RATE, wpm, 0)
            self._chunks, self._words = [], []
            raw = text.encode("utf-8") + b"\0"
            self._raised = None
            with _sigint_deferred() as hit:
                self._hit = hit
                err = self.lib.espeak_Synth(
                    raw, len(raw), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
                )
                self.lib.espeak_Synchronize()
            if self._raised is not None:
                raised, self._raised = self._raised, None
                raise raised
            if err != 0:
                raise EngineError(f"espeak-ng synthesis failed (error {err})")
            self.lib.espeak_Synchronize()
            pcm = np.frombuffer(
                bytearray(b"".join(self._chunks)), dtype=np.int16
            )  # native order; writable
            return pcm, list(self._words)


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[list[int]]:
    """While espeak runs in the main thread, Ctrl-C only records itself (the list), and
    KeyboardInterrupt is raised once espeak has returned: raised by Python's default
    handler it would land in the ctypes callback, where it is "ignored" and the unit is
    cut short but kept."""
    hit: list[int] = []
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is not signal.default_int_handler
    ):
        yield hit
        return
    old = signal.signal(signal.SIGINT, lambda signum, frame: hit.append(signum))
    try:
        yield hit
    finally:
        signal.signal(signal.SIGINT, old)
    if hit:
        raise KeyboardInterrupt


@lru_cache(maxsize=1)
def _library() -> _Library:
    return _Library()


class EspeakEngine:
    """espeak-ng Vietnamese voices; word timings come from its word events."""

    name = "espeak"
    revision = 1  # phrase-cache generation: 1 = flutter and roughness off (no history)

    def __init__(self, voice: str = "vi") -> None:
        if voice not in VOICES:
            raise EngineError(f"unknown espeak voice {voice!r}; choose from {', '.join(VOICES)}")
        self.voice = voice

    def synthesize(self, text: str) -> Speech:
        lib = _library()
        pcm, words = lib.synth(text, self.voice, _DEFAULT_WPM)
        # espeak reports text positions in characters, 1-based
        byte_text = text
        timings = [
            WordTiming(text_offset=max(0, pos - 1), length=length, start_s=sample / lib.rate)
            for pos, length, sample in words
            if pos <= len(byte_text) + 1
        ]
        return Speech(samples=pcm, rate=lib.rate, words=timings)
