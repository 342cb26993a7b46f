"""The word segmenter (text/wordseg.py) in a child process, started before a render needs
it: the model load (~0.1 s, which underthesea_core does holding the GIL, so a thread cannot
hide it) runs on the other core during synthesis. This module imports only the standard
library, so a render that fails on its input never loads the segmenter here."""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import subprocess
import sys
from collections.abc import Sequence

log = logging.getLogger("newsvoice")

# the child: load the model at once (while the parent reads, plans and synthesises), then
# answer the one request; a pickle between our own two processes
_CHILD = (
    "import pickle, sys\n"
    "from newsvoice.text.wordseg import _segmenter, inside_words\n"
    "_segmenter()\n"
    "pickle.dump(inside_words(pickle.load(sys.stdin.buffer)), sys.stdout.buffer)\n"
)
_CHILD_TIMEOUT_S = 60.0


class BackgroundSegmenter:
    """The word segmenter in a child process. For a one-shot process only; a long-lived
    one (batch worker, service) loads the model once in-process. Answers one request;
    anything wrong with the child and the answer is computed here instead (the same
    model, so the same answer)."""

    def __init__(self, proc: subprocess.Popen[bytes] | None) -> None:
        self._proc = proc

    @classmethod
    def start(cls) -> BackgroundSegmenter:
        """Start the child (no wait); a failure to start leaves the work in-process."""
        loaded = sys.modules.get("newsvoice.text.wordseg")
        if loaded is not None and loaded._segmenter.cache_info().currsize:
            return cls(None)  # already loaded here: nothing to hide
        return cls.spawn()

    @classmethod
    def spawn(cls) -> BackgroundSegmenter:
        """Start a child even if the model is loaded here."""
        try:
            proc = subprocess.Popen(
                [sys.executable, "-c", _CHILD],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            )
        except OSError as e:
            log.debug("background segmenter not started: %s", e)
            proc = None
        return cls(proc)

    def inside_words(self, batches: Sequence[Sequence[str]]) -> list[list[bool]]:
        """:func:`inside_words`, from the child if it answers in shape."""
        proc, self._proc = self._proc, None
        if proc is None:
            return _in_process(batches)
        try:
            out, _ = proc.communicate(
                pickle.dumps([list(t) for t in batches]), timeout=_CHILD_TIMEOUT_S
            )
            got = pickle.loads(out) if proc.returncode == 0 else None  # our own child's answer
            if isinstance(got, list) and [len(g) for g in got] == [
                max(0, len(t) - 1) for t in batches
            ]:
                return got
            log.debug("background segmenter gave no usable answer (exit %s)", proc.returncode)
        except (
            OSError,
            ValueError,
            EOFError,
            pickle.UnpicklingError,
            subprocess.TimeoutExpired,
        ) as e:
            log.debug("background segmenter failed: %s", e)
        finally:
            _stop(proc)
        return _in_process(batches)

    def close(self) -> None:
        """Stop the child if it was never asked (a render that failed or was restored)."""
        proc, self._proc = self._proc, None
        if proc is not None:
            _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    with contextlib.suppress(OSError, subprocess.TimeoutExpired):
        proc.communicate(timeout=5)


def _in_process(batches: Sequence[Sequence[str]]) -> list[list[bool]]:
    from newsvoice.text.wordseg import inside_words

    return inside_words(batches)
