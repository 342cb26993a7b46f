"""Callbacks: a finished job's document POSTed to its ``callback_url``, signed with
HMAC-SHA256 of the raw body, retried with backoff; a callback that never gets through is
noted on the job and never fails it."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from newsvoice.service.store import Store

log = logging.getLogger("newsvoice")

HEADER = "X-Newsvoice-Signature"
BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 16.0)  # waits between the six tries


def signature(body: bytes, secret: str) -> str:
    """The header value a receiver recomputes: ``sha256=<hex>``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def body_of(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, sort_keys=True).encode("utf-8")


def post(url: str, body: bytes, secret: str, timeout: float = 10.0) -> str | None:
    """One try: None when the receiver answered 2xx, else why not."""
    req = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            HEADER: signature(body, secret),
            "User-Agent": "newsvoice",
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 (http(s) only, checked at submit)
            return None if 200 <= r.status < 300 else f"HTTP {r.status}"
    except urllib.error.HTTPError as e:
        return f"HTTP {e.code}"
    except (urllib.error.URLError, OSError) as e:
        return str(getattr(e, "reason", e))


class Sender:
    """The server's callback thread: finds finished jobs with a callback pending and
    sends each in a small thread pool (one slow receiver does not hold up the rest)."""

    def __init__(
        self,
        store: Store,
        document: Callable[[str], dict[str, Any] | None],
        secret: str,
        backoff: tuple[float, ...] = BACKOFF_S,
    ) -> None:
        self.store, self.document, self.secret, self.backoff = store, document, secret, backoff
        self._stop = threading.Event()
        self._busy: set[str] = set()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(4, thread_name_prefix="callback")
        self._thread = threading.Thread(target=self._loop, name="callbacks", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _loop(self) -> None:
        while not self._stop.wait(0.2):
            try:
                due = self.store.callbacks_due()
            except Exception as e:  # the store may be busy; try on the next tick
                log.debug("callbacks: %s", e)
                continue
            for job in due:
                with self._lock:
                    if job.id in self._busy:
                        continue
                    self._busy.add(job.id)
                self._pool.submit(self._deliver, job.id, str(job.request.get("callback_url")))

    def _deliver(self, job_id: str, url: str) -> None:
        try:
            doc = self.document(job_id)
            if doc is None:
                return
            body = body_of(doc)
            why: str | None = None
            for wait in (0.0, *self.backoff):
                if wait and self._stop.wait(wait):
                    return  # the server is stopping: still pending, sent after a restart
                why = post(url, body, self.secret)
                if why is None:
                    self.store.note_callback(job_id, "sent")
                    return
            self.store.note_callback(
                job_id, "failed", f"callback: failed after {len(self.backoff) + 1} tries: {why}"
            )
        finally:
            with self._lock:
                self._busy.discard(job_id)
