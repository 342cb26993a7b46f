"""Microsoft Edge's neural Vietnamese voices through edge-tts (online).

edge-tts speaks a websocket protocol; we use its async stream with word
boundaries on, so the engine reports each word's start and end. The whole
call runs under ``asyncio.wait_for`` (``stream_sync`` can hang for minutes
offline) and behind the shared online policy (online.py): deadline, retries,
the batch-wide rate limit and the circuit breaker, exactly as for gTTS.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping

import numpy as np

from newsvoice.errors import EngineError
from newsvoice.speech.engines.base import Speech, WordTiming
from newsvoice.speech.engines.online import (
    CircuitBreaker,
    OnlineCaller,
    OnlinePolicy,
    RateLimit,
    Retryable,
    decode_speech,
    retry_after_s,
    speakable,
)
from newsvoice.speech.engines.voices import EDGE as VOICES

SERVICE = "Edge TTS"
RATE = 24000  # audio-24khz-48kbitrate-mono-mp3
TICKS = 10_000_000  # word offsets and durations come in 100-ns ticks


def endpoint(voice: str = "") -> str:
    """The websocket URL edge-tts will use (its module constant, read at call time)."""
    import edge_tts.communicate

    return edge_tts.communicate.WSS_URL


Boundary = tuple[str, float, float]  # word, offset, duration (ticks)


async def _stream(text: str, voice: str, timeout: float) -> tuple[bytes, list[Boundary]]:
    import edge_tts

    secs = max(1, math.ceil(timeout))
    comm = edge_tts.Communicate(
        text, voice, boundary="WordBoundary", connect_timeout=secs, receive_timeout=secs
    )
    audio = bytearray()
    words: list[Boundary] = []
    async for chunk in comm.stream():
        if chunk["type"] == "audio":
            audio += chunk["data"]
        elif chunk["type"] == "WordBoundary":
            words.append((chunk["text"], chunk["offset"], chunk["duration"]))
    return bytes(audio), words


def _classify(err: Exception) -> Exception:
    """Map an aiohttp/edge-tts failure to Retryable or a permanent EngineError."""
    import aiohttp
    from edge_tts.exceptions import EdgeTTSException

    if isinstance(err, aiohttp.ClientResponseError):
        status = err.status
        if status == 429 or status >= 500:
            headers: Mapping[str, str] = err.headers or {}
            return Retryable(
                f"{SERVICE} answered {status} {err.message}",
                retry_after_s(headers.get("Retry-After")),
                status,
            )
        return EngineError(f"{SERVICE} refused the request: {status} {err.message}")
    if isinstance(err, TimeoutError):
        return Retryable(f"no complete answer from {SERVICE} in time")
    if isinstance(err, aiohttp.ClientError | OSError):
        return Retryable(f"cannot reach {SERVICE}" + (f" ({err})" if str(err) else ""))
    if isinstance(err, EdgeTTSException):
        return Retryable(f"{SERVICE} answered oddly ({err})", answered=True)
    return err


def word_timings(text: str, words: list[Boundary]) -> list[WordTiming]:
    """Boundaries -> WordTiming into ``text``: each word is looked up after the previous
    one, so repeats map in order; a word the service rewrote (not found) is left out."""
    out: list[WordTiming] = []
    cursor = 0
    for word, offset, duration in words:
        at = text.find(word, cursor) if word else -1
        if at < 0:
            continue
        out.append(WordTiming(at, len(word), offset / TICKS, (offset + duration) / TICKS))
        cursor = at + len(word)
    return out


class EdgeEngine:
    """edge-tts behind the shared online policy; word times from its boundaries."""

    name = "edge"

    def __init__(
        self,
        voice: str = "vi-VN-HoaiMyNeural",
        *,
        policy: OnlinePolicy | None = None,
        breaker: CircuitBreaker | None = None,
        rate: RateLimit | None = None,
    ) -> None:
        if voice not in VOICES:
            raise EngineError(f"unknown edge voice {voice!r}; choose from {', '.join(VOICES)}")
        self.voice = voice
        self.caller = OnlineCaller(SERVICE, policy or OnlinePolicy(), breaker, rate)

    def _fetch_once(self, text: str) -> tuple[bytes, list[Boundary]]:
        timeout = self.caller.policy.timeout
        try:
            return asyncio.run(asyncio.wait_for(_stream(text, self.voice, timeout), timeout))
        except Exception as e:
            raise _classify(e) from e

    @staticmethod
    def _decoder(text: str):
        def decode(answer: tuple[bytes, list[Boundary]]) -> Speech:
            data, words = answer
            samples, rate = decode_speech(SERVICE, data)
            return Speech(samples=samples, rate=rate, words=word_timings(text, words))

        return decode

    def synthesize(self, text: str) -> Speech:
        if not speakable(text):
            return Speech(np.zeros(0, np.int16), RATE)
        return self.caller.call(self._fetch_once, text, self._decoder(text))
