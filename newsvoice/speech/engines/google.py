"""Google Translate's Vietnamese voice through gTTS (online).

gTTS raises one exception type, ``gTTSError``, for everything; we read its
response (if any) to tell retryable trouble (429, 5xx, no connection, timeout)
from permanent refusal. Deadlines, retries, the rate limit and the circuit
breaker are the shared online policy (online.py). A body that does not decode
to plausible speech (garbage, cut off) is retried too.
"""

from __future__ import annotations

import io

import numpy as np
import requests

from newsvoice.errors import EngineError
from newsvoice.speech.engines.base import Speech
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
from newsvoice.speech.engines.voices import GOOGLE as VOICES

SERVICE = "Google"
RATE = 24000  # what Google's MP3 answers carry


def _tld(voice: str) -> str:
    return voice.split("-", 1)[1] if "-" in voice else "com"


def translate_url(tld: str = "com", path: str = "") -> str:
    """Google's endpoint as gTTS builds it (looked up at call time so tests can redirect it)."""
    import gtts.tts

    return gtts.tts._translate_url(tld=tld, path=path)


def endpoint(voice: str = "vi") -> str:
    """The URL the fast probe connects to."""
    return translate_url(_tld(voice))


def _classify(err: Exception) -> Exception:
    """Map a gTTS failure to Retryable or a permanent EngineError."""
    rsp = getattr(err, "rsp", None)
    if rsp is None:
        return Retryable(f"cannot reach {SERVICE} ({err})")
    status = rsp.status_code
    if status == 429 or status >= 500:
        return Retryable(
            f"{SERVICE} answered {status} {rsp.reason}",
            retry_after_s(rsp.headers.get("Retry-After")),
            status,
        )
    return EngineError(f"{SERVICE} refused the request: {status} {rsp.reason}")


class GoogleEngine:
    """gTTS behind the shared online policy (deadline, retries, rate limit, breaker)."""

    name = "gtts"
    max_chars = 95  # gTTS splits text over 100 characters itself; plan units stay under that

    def __init__(
        self,
        voice: str = "vi",
        *,
        policy: OnlinePolicy | None = None,
        breaker: CircuitBreaker | None = None,
        rate: RateLimit | None = None,
        **policy_fields: float,
    ) -> None:
        if voice not in VOICES:
            raise EngineError(f"unknown gtts voice {voice!r}; choose from {', '.join(VOICES)}")
        self.voice = voice
        policy = policy or OnlinePolicy(**policy_fields)  # type: ignore[arg-type]
        self.caller = OnlineCaller(SERVICE, policy, breaker, rate)

    @property
    def requests_made(self) -> int:
        return self.caller.requests_made

    def _fetch_once(self, text: str) -> bytes:
        from gtts import gTTS, gTTSError

        buf = io.BytesIO()
        try:
            # gTTS knows only normal and slow; pace is applied as tempo later. Its own
            # timeout bounds each socket read: a little longer than the caller's deadline
            # on the whole, which so always decides, and ends an abandoned thread soon after.
            gTTS(
                text,
                lang="vi",
                tld=_tld(self.voice),
                lang_check=False,
                timeout=self.caller.policy.timeout + 1.0,
            ).write_to_fp(buf)
        except gTTSError as e:
            raise _classify(e) from e
        except requests.RequestException as e:
            raise Retryable(f"cannot reach {SERVICE} ({e})") from e
        except AssertionError as e:  # gTTS: "No text to send to TTS API" after its own cleaning
            raise _NothingToSay() from e
        data = buf.getvalue()
        if not data:
            raise Retryable(f"{SERVICE} returned no audio", answered=True)
        return data

    @staticmethod
    def _decode(data: bytes) -> Speech:
        samples, rate = decode_speech(SERVICE, data)
        return Speech(samples=samples, rate=rate)

    def fetch_mp3(self, text: str) -> bytes:
        """MP3 bytes for ``text``; raises EngineError after the retries are spent."""
        return self.caller.call(self._fetch_once, text)

    def synthesize(self, text: str) -> Speech:
        if not speakable(text):
            return Speech(np.zeros(0, np.int16), RATE)
        try:
            return self.caller.call(self._fetch_once, text, self._decode)
        except _NothingToSay:
            return Speech(np.zeros(0, np.int16), RATE)


class _NothingToSay(Exception):
    """gTTS found nothing to send once it dropped what it does not read aloud."""
