"""Who is asking: bearer tokens (never stored raw: a token's id is a sha256 prefix), the
open loopback mode, and a per-token rate limit on requests that create work."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import threading
import time
from collections import deque
from dataclasses import dataclass

from newsvoice.errors import UsageError

LOCAL = "local"  # the one identity of the open (no tokens, loopback) mode
_RATE = re.compile(r"\s*(\d+)\s*/\s*(s|sec|second|m|min|minute|h|hour)\s*", re.IGNORECASE)
_PER = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600}


def token_id(token: str) -> str:
    """What the store keeps of a token: enough to tell tokens apart, nothing to use."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:16]


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Tokens:
    """The configured tokens by id; empty = open mode (loopback only)."""

    ids: frozenset[str]

    @classmethod
    def of(cls, tokens: list[str] | tuple[str, ...]) -> Tokens:
        return cls(frozenset(token_id(t.strip()) for t in tokens if t.strip()))

    @property
    def open(self) -> bool:
        return not self.ids

    def identify(self, authorization: str | None) -> str | None:
        """The caller's token id, or None (refused)."""
        if self.open:
            return LOCAL
        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        tid = token_id(authorization[7:].strip())
        return tid if any(hmac.compare_digest(tid, known) for known in self.ids) else None


def parse_rate(text: str) -> tuple[int, float]:
    """``"60/min"`` -> (60, 60.0): requests per window of seconds."""
    m = _RATE.fullmatch(text or "")
    if not m or int(m.group(1)) < 1:
        raise UsageError(f"--rate {text!r}: want N/s, N/min or N/hour (e.g. 60/min)", option="rate")
    return int(m.group(1)), float(_PER[m.group(2).lower()])


class RateLimit:
    """A sliding window per token: at most ``count`` requests in any ``window`` seconds."""

    def __init__(self, count: int, window: float) -> None:
        self.count, self.window = count, window
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, who: str, now: float | None = None) -> float:
        """0 if ``who`` may go on (the request is counted), else seconds to wait."""
        now = time.monotonic() if now is None else now
        with self._lock:
            seen = self._seen.setdefault(who, deque())
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            if len(seen) >= self.count:
                return max(0.001, seen[0] + self.window - now)
            seen.append(now)
            return 0.0
