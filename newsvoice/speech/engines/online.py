"""What every online engine shares: politeness, patience and giving up cleanly.

An online engine supplies one function, "fetch once" (text -> raw answer), that
raises ``Retryable`` for trouble worth another try and ``EngineError`` for a
permanent refusal. ``OnlineCaller`` wraps it with:

- a deadline on each whole attempt (a service that trickles bytes, or a DNS
  lookup that hangs, cannot stall a render: per-read socket timeouts don't
  bound a trickle);
- retries with exponential backoff and jitter (tenacity), honouring
  Retry-After up to a cap; a service asking for more than the cap is reported
  at once with the time to try again;
- a minimum interval between requests (``RateLimit``) and a ``CircuitBreaker``,
  both shared by every thread of a batch.

Failures that mean "the service cannot be used now" are ``ServiceUnavailable``,
which a ``--fallback`` engine catches; a fast TCP ``probe`` decides up front.
"""

from __future__ import annotations

import logging
import queue
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from newsvoice.errors import EngineError

if TYPE_CHECKING:  # the registry imports this module: numpy and tenacity load when a call is made
    import numpy as np
    from tenacity import RetryCallState

log = logging.getLogger("newsvoice")

T = TypeVar("T")

MIN_SPEECH_S = 0.08  # no Vietnamese syllable is this short: a shorter answer was cut off


class ServiceUnavailable(EngineError):
    """The service cannot be used now: unreachable, timing out or refusing.
    A ``--fallback`` engine takes over from this error, and only from it."""


class CircuitOpenError(ServiceUnavailable):
    """The service kept refusing or failing across a batch; no more calls are made."""


class Retryable(Exception):
    """A failure worth another try: rate limit, server error, network trouble, bad body.

    ``answered``: the service did answer (an HTTP status, or a body that does not
    decode). Only failures where it did not (unreachable, timing out) trip the
    batch's circuit breaker when the retries run out: a service that answers badly
    fails that phrase, not every article after it."""

    def __init__(
        self,
        msg: str,
        retry_after: float | None = None,
        status: int | None = None,
        answered: bool = False,
    ) -> None:
        super().__init__(msg)
        self.retry_after = retry_after
        self.status = status
        self.answered = answered or status is not None


@dataclass(frozen=True)
class OnlinePolicy:
    """How patient to be with a service (the CLI's --timeout, --retries, ...)."""

    timeout: float = 10.0  # bounds each whole request, s
    retries: int = 4
    backoff: float = 1.0  # base of the exponential backoff, s
    min_interval: float = 0.3  # between requests, across all threads sharing the engine
    max_retry_after: float = 60.0  # longest Retry-After we wait for; more fails at once


class RateLimit:
    """At most one request every ``interval`` seconds, across every thread that shares it."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._last = 0.0

    def wait_turn(self) -> None:
        with self._lock:
            delay = self._last + self.interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._last = time.monotonic()


class CircuitBreaker:
    """Shared by every call of one batch (threads): after ``limit`` consecutive 429
    answers anywhere in the batch, or once a call gave up on an unreachable service,
    every further call fails at once instead of hammering (or waiting for) a service
    that has said no. A success resets the refusal count."""

    def __init__(self, limit: int = 5) -> None:
        self.limit = limit
        self.refusals = 0
        self.reason: str | None = None
        self._lock = threading.Lock()

    @property
    def open(self) -> bool:
        return self.reason is not None

    def before_call(self) -> None:
        if self.reason is not None:
            raise CircuitOpenError(self.reason)

    def trip(self, reason: str) -> None:
        with self._lock:
            self.reason = self.reason or reason

    def record_failure(self, status: int | None, service: str = "the service") -> None:
        """Count a 429; other failures leave the count alone."""
        if status != 429:
            return
        with self._lock:
            self.refusals += 1
            if self.refusals >= self.limit and self.reason is None:
                self.reason = (
                    f"{service} keeps refusing (HTTP 429); stopped after {self.refusals} refusals"
                )

    def record_success(self) -> None:
        """A good answer resets the refusal count."""
        with self._lock:
            self.refusals = 0


def run_bounded(fn: Callable[[], T], timeout: float, what: str) -> T:
    """``fn()`` in a daemon thread, waited for at most ``timeout`` seconds.

    Why a thread: blocking clients (requests, getaddrinfo) only bound each socket
    read, so a server that trickles a byte a second never times out. On expiry the
    thread is abandoned (daemon: it cannot keep the process alive) and we move on."""
    box: queue.SimpleQueue = queue.SimpleQueue()

    def run() -> None:
        try:
            box.put((True, fn()))
        except BaseException as e:  # handed to the caller's thread
            box.put((False, e))

    threading.Thread(target=run, name=f"newsvoice-{what}", daemon=True).start()
    try:
        ok, value = box.get(timeout=timeout)
    except queue.Empty:
        raise Retryable(f"no complete answer from {what} within {timeout:g} s") from None
    if not ok:
        raise value
    return value


def probe(url: str, timeout: float = 2.0) -> str | None:
    """None when ``url``'s host accepts a TCP connection within ``timeout`` s (DNS
    included), else the reason in a few words. One fast look before any work."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme in ("https", "wss") else 80)

    def connect() -> None:
        socket.create_connection((host, port), timeout=timeout).close()

    try:
        run_bounded(connect, timeout, host)
    except Retryable:
        return f"{host} did not answer within {timeout:g} s"
    except OSError as e:
        return f"cannot reach {host}:{port} ({e.strerror or e})"
    return None


def speakable(text: str) -> bool:
    """Does ``text`` hold anything a voice can say? (Services refuse punctuation runs.)"""
    return any(c.isalnum() for c in text)


def decode_speech(service: str, data: bytes) -> tuple[np.ndarray, int]:
    """MP3 answer -> (int16 samples, rate); garbage or a cut-off body is Retryable
    (a proxy, a dropped stream). ffmpeg's own words go to the debug log only."""
    from newsvoice.audio.track import decode_mp3

    try:
        samples, rate = decode_mp3(data)
    except Exception as e:
        log.debug("%s audio decode failed: %s", service, e)
        raise Retryable(
            f"{service} returned audio that does not decode ({len(data)} bytes)", answered=True
        ) from e
    if len(samples) < MIN_SPEECH_S * rate:
        raise Retryable(
            f"{service} returned only {len(samples) / rate:.3f} s of audio (cut off?)",
            answered=True,
        )
    return samples, rate


def retry_after_s(value: str | None) -> float | None:
    """A Retry-After header in seconds (delta-seconds or an HTTP date), None if absent/bad."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class OnlineCaller:
    """One service's retry/deadline/rate/breaker policy around a "fetch once" function."""

    def __init__(
        self,
        service: str,
        policy: OnlinePolicy,
        breaker: CircuitBreaker | None = None,
        rate: RateLimit | None = None,
    ) -> None:
        self.service = service
        self.policy = policy
        self.breaker = breaker
        self.rate = rate or RateLimit(policy.min_interval)
        self.requests_made = 0

    def _attempt(
        self, fetch: Callable[[str], Any], text: str, local: Callable[[Any], T] | None = None
    ) -> T:
        if self.breaker is not None:
            self.breaker.before_call()
        self.rate.wait_turn()
        self.requests_made += 1
        try:
            got = run_bounded(lambda: fetch(text), self.policy.timeout, self.service)
            # local work on the answer (decoding) is not the service's time: outside the deadline
            result = local(got) if local is not None else got
        except Retryable as e:
            if self.breaker is not None:
                self.breaker.record_failure(e.status, self.service)
            cap = self.policy.max_retry_after
            if e.retry_after is not None and e.retry_after > cap:
                at = (datetime.now(UTC) + timedelta(seconds=e.retry_after)).strftime("%H:%M UTC")
                raise ServiceUnavailable(
                    f"{e}: asked to wait {e.retry_after:.0f} s, more than --max-retry-after {cap:g} s; "
                    f"try again after {at}"
                ) from e
            raise
        if self.breaker is not None:
            self.breaker.record_success()
        return result

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        b = self.policy.backoff
        # exponential backoff with full jitter on top, capped at 30 s
        base = min(30.0, b * 2 ** (state.attempt_number - 1)) + random.uniform(0, b)
        if isinstance(exc, Retryable) and exc.retry_after is not None:
            return max(base, exc.retry_after)  # already known to be within the cap
        return base

    def call(
        self, fetch: Callable[[str], Any], text: str, local: Callable[[Any], T] | None = None
    ) -> T:
        """``fetch(text)`` with the policy (``--timeout`` bounds the request), then
        ``local`` on its answer (e.g. decoding, whose failure is retried too); raises
        ServiceUnavailable when the retries are spent, EngineError for a permanent refusal."""
        from tenacity import Retrying, retry_if_exception, stop_after_attempt

        retrying = Retrying(
            retry=retry_if_exception(lambda e: isinstance(e, Retryable)),
            stop=stop_after_attempt(self.policy.retries + 1),
            wait=self._wait,
            before_sleep=lambda s: log.debug(
                "%s retry %d: %s",
                self.service,
                s.attempt_number,
                s.outcome.exception() if s.outcome else "",
            ),
            reraise=True,
        )
        try:
            return retrying(self._attempt, fetch, text, local)
        except Retryable as e:
            msg = f"{e}; gave up after {self.policy.retries + 1} attempts"
            if self.breaker is not None and not e.answered:
                self.breaker.trip(
                    msg
                )  # unreachable or timing out: the rest of the batch need not wait too
            raise ServiceUnavailable(msg) from e
