"""Google Translate's Vietnamese voice through gTTS (online).

gTTS raises one exception type, ``gTTSError``, for everything; we read its
response (if any) to tell retryable trouble (429, 5xx, no connection, timeout)
from permanent refusal, retry with exponential backoff and jitter (tenacity),
keep a polite minimum interval between requests, and end with one clear line.
A body that does not decode to plausible speech (garbage, cut off) is retried
too. Batches share one engine (its interval lock is the global rate limit) and
one CircuitBreaker, which stops all calls after K consecutive 429s.
"""

from __future__ import annotations

import io
import logging
import random
import threading
import time

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
)

from newsvoice.engines.base import Speech, Voice
from newsvoice.errors import EngineError

log = logging.getLogger("newsvoice")

MIN_SPEECH_S = 0.08

VOICES = {
    "vi": "Vietnamese (Google Translate, translate.google.com)",
    "vi-com.vn": "Vietnamese (Google Translate, translate.google.com.vn)",
}


class CircuitOpenError(EngineError):
    """Google kept refusing (HTTP 429) across a batch; no more calls are made."""


class CircuitBreaker:
    """Shared by every GoogleEngine call of one batch (threads): after ``limit``
    consecutive 429 answers, anywhere in the batch, every further call fails at
    once instead of hammering a service that has said no. A success resets it."""

    def __init__(self, limit: int = 5) -> None:
        self.limit = limit
        self.refusals = 0
        self.open = False
        self._lock = threading.Lock()

    def before_call(self) -> None:
        if self.open:
            raise CircuitOpenError(f"Google TTS keeps refusing (HTTP 429); stopped after {self.refusals} refusals")

    def record(self, status: int | None) -> None:
        """Count a 429, reset on success (``None``); other failures leave the count alone."""
        with self._lock:
            if status == 429:
                self.refusals += 1
                if self.refusals >= self.limit:
                    self.open = True
            elif status is None:
                self.refusals = 0


class _Retryable(Exception):
    """A failure worth another try: rate limit, server error, network trouble."""

    def __init__(self, msg: str, retry_after: float | None = None) -> None:
        super().__init__(msg)
        self.retry_after = retry_after


def _tld(voice: str) -> str:
    return voice.split("-", 1)[1] if "-" in voice else "com"


def translate_url(tld: str = "com", path: str = "") -> str:
    """Google's endpoint as gTTS builds it (looked up at call time so tests can redirect it)."""
    import gtts.tts

    return gtts.tts._translate_url(tld=tld, path=path)


def probe(voice: str = "vi", timeout: float = 2.0) -> bool:
    """True when Google's TTS host answers at all within ``timeout`` seconds."""
    try:
        requests.head(translate_url(_tld(voice)), timeout=timeout, allow_redirects=False)
    except requests.RequestException:
        return False
    return True


def _classify(err: Exception) -> Exception:
    """Map a gTTS/requests failure to _Retryable or a permanent EngineError."""
    rsp = getattr(err, "rsp", None)
    if rsp is None:
        return _Retryable(f"cannot reach Google TTS ({err})")
    status = rsp.status_code
    if status == 429 or status >= 500:
        ra = rsp.headers.get("Retry-After")
        try:
            retry_after = float(ra) if ra is not None else None
        except ValueError:
            retry_after = None
        return _Retryable(f"Google TTS answered {status} {rsp.reason}", retry_after)
    return EngineError(f"Google TTS refused the request: {status} {rsp.reason}")


class GoogleEngine:
    """gTTS with timeout, retries (exponential backoff + jitter) and a rate limit."""

    name = "gtts"
    max_chars = 95  # gTTS splits text over 100 characters itself; plan units stay under that

    def __init__(
        self,
        voice: str = "vi",
        speed: float = 1.0,
        *,
        timeout: float = 10.0,
        retries: int = 4,
        backoff: float = 1.0,
        min_interval: float = 0.3,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        if voice not in VOICES:
            raise EngineError(f"unknown gtts voice {voice!r}; choose from {', '.join(VOICES)}")
        self.voice = voice
        self.speed = speed
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.min_interval = min_interval
        self._lock = threading.Lock()
        self._last = 0.0
        self.requests_made = 0
        self.breaker = breaker

    def voices(self) -> list[Voice]:
        return [Voice("gtts", v, d) for v, d in VOICES.items()]

    def _wait_turn(self) -> None:
        with self._lock:
            delay = self._last + self.min_interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._last = time.monotonic()

    def _fetch_once(self, text: str) -> bytes:
        from gtts import gTTS, gTTSError

        if self.breaker is not None:
            self.breaker.before_call()
        self._wait_turn()
        self.requests_made += 1
        buf = io.BytesIO()
        try:
            # gTTS knows only normal and slow; other speeds are applied as tempo later
            gTTS(text, lang="vi", tld=_tld(self.voice), lang_check=False,
                 timeout=self.timeout).write_to_fp(buf)
        except gTTSError as e:
            self._record(getattr(getattr(e, "rsp", None), "status_code", 0))
            raise _classify(e) from e
        except requests.RequestException as e:
            raise _Retryable(f"cannot reach Google TTS ({e})") from e
        data = buf.getvalue()
        if not data:
            raise _Retryable("Google TTS returned no audio")
        self._record(None)
        return data

    def _record(self, status: int | None) -> None:
        if self.breaker is not None:
            self.breaker.record(status)

    def _fetch_decoded(self, text: str) -> tuple[bytes, Speech]:
        """One request whose body must decode to plausible speech; a garbage or cut-off
        body is a transient fault (a proxy, a dropped stream), so it is retried too."""
        from newsvoice.audio import decode_mp3

        data = self._fetch_once(text)
        try:
            samples, rate = decode_mp3(data)
        except Exception as e:
            raise _Retryable(f"Google TTS returned audio that does not decode ({e})") from e
        if len(samples) < MIN_SPEECH_S * rate:  # no Vietnamese syllable is this short
            raise _Retryable(f"Google TTS returned only {len(samples) / rate:.3f} s of audio (cut off?)")
        return data, Speech(samples=samples, rate=rate)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        # exponential backoff with full jitter on top, capped at 30 s
        base = min(30.0, self.backoff * 2 ** (state.attempt_number - 1)) + random.uniform(0, self.backoff)
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return max(base, min(exc.retry_after, 60.0))
        return base

    def fetch_mp3(self, text: str) -> bytes:
        """MP3 bytes for ``text``; raises EngineError after the retries are spent."""
        return self._retrying(self._fetch_once, text)

    def _retrying(self, fn, text: str):
        retrying = Retrying(
            retry=retry_if_exception(lambda e: isinstance(e, _Retryable)),
            stop=stop_after_attempt(self.retries + 1),
            wait=self._wait,
            before_sleep=lambda s: log.debug("gtts retry %d: %s", s.attempt_number, s.outcome.exception()),
            reraise=True,
        )
        try:
            return retrying(fn, text)
        except _Retryable as e:
            raise EngineError(f"{e}; gave up after {self.retries + 1} attempts") from e

    def synthesize(self, text: str) -> Speech:
        return self._retrying(self._fetch_decoded, text)[1]
