"""A second process beside one render, so a CPU-bound engine uses both cores.

While the render synthesises units from the start of the programme, the sidecar
synthesises them from the end into the unit cache, where the render finds them;
the two meet in the middle. While the render cuts subtitles, the sidecar scans
the programme's loudness chunk by chunk from the end, reading the track file the
render wrote, until it meets the render scanning from the start. Every result is
what the render would have computed itself (the cache's first writer wins; a
chunk scans the same in either process), and whatever the sidecar cannot do, the
render does.

The sidecar is a plain ``python -c`` child speaking pickles over two pipes, not a
multiprocessing worker: spawning one of those re-imports the caller's main
script, which a library must not do to its users. Linux only (it reads the
render's unlinked track file through /proc). It is started as early as possible,
so its imports overlap the render's own text work, and killed when the render ends.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import pickle
import select
import struct
import subprocess
import sys
import tempfile
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newsvoice.audio.loudness import Scan
    from newsvoice.speech.engines import EngineSettings
    from newsvoice.text.article import Article

# written characters (~10 minutes of audio): from here a second process pays even on a busy
# machine. Its start (a Python with numpy and espeak-ng: ~0.2 s of CPU) buys at most half
# of the synthesis (~80 us a character), and only while the other core is idle; measured
# in bench/cold.py and bench/memory.py (bench/README.md, issue 27).
MIN_CHARS = 10_000
# ... and from here when another core is idle now: on the shared sample (3,816 characters)
# a quiet 2-core box renders in 0.97 s with it against 1.22 s without, while at load ~11 it
# took 6.4 s against 4.4 s (bench/README.md, issue 27)
IDLE_MIN_CHARS = 1_000
# the meeting point, shared through mmap: two int64 at these offsets
_INDEX = struct.Struct("<q")
_RENDER_AT, _SIDECAR_AT = 0, 8  # the render's index; the sidecar's lowest claimed index
_NONE_CLAIMED = 2**62
_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


class SidecarGone(Exception):
    """The sidecar died or failed a job; the render does that work itself."""


def usable(
    engine_parallel: str, use_cache: bool, jobs: int, chars: int, idle: bool | None = None
) -> bool:
    """A sidecar pays for itself only for an engine that is CPU-bound in this process
    (``parallel == "process"``), with the unit cache on (that is how units come back),
    when this render may use a second core, and for a programme long enough: MIN_CHARS,
    or IDLE_MIN_CHARS while another core is ``idle`` (default: :func:`other_core_idle`)."""
    if not (
        engine_parallel == "process"
        and use_cache
        and jobs > 1
        and sys.platform.startswith("linux")
        and (os.cpu_count() or 1) > 1
    ):
        return False
    if chars >= MIN_CHARS:
        return True
    return chars >= IDLE_MIN_CHARS and (other_core_idle() if idle is None else idle)


def other_core_idle() -> bool:
    """Whether a core is free for a sidecar now: the 1-minute load average half a core
    under the core count (on 2 cores: under 1.5, so one busy core, e.g. renders in turn)."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        return False
    return load < (os.cpu_count() or 1) - 0.5


def start_for(engine: str, voice: str | None, opts: Any, article: Article) -> Sidecar | None:
    """A sidecar for rendering ``article`` with RenderOptions ``opts`` on the engine named
    (not ``auto``: which engine that is, the render finds out), or None when it would
    not pay (see usable). Its length is the article's written text, known before the
    plan, so the CLI (early) and the render (late) decide alike."""
    from newsvoice.speech.engines import AUTO, EngineSettings, get_spec

    if engine == AUTO:
        return None
    spec = get_spec(engine)
    chars = sum(map(len, [article.headline or "", *article.paragraphs]))
    if not usable(spec.parallel, opts.use_cache, opts.jobs, chars):
        return None
    return Sidecar.start(engine, spec.resolve_voice(voice), EngineSettings.from_options(opts))


@dataclass
class Job:
    """A request sent to the sidecar; its answer is read in order (see Sidecar.result)."""

    id: int
    side: Sidecar = field(repr=False)

    def result(self) -> Any:
        return self.side.result(self)


@dataclass
class Sidecar:
    """The render's handle on its sidecar process. ``close()`` always (a context manager)."""

    engine: str
    voice: str
    _proc: subprocess.Popen | None = field(repr=False, default=None)
    _send: Any = field(repr=False, default=None)
    _recv: Any = field(repr=False, default=None)
    _position: mmap.mmap | None = field(repr=False, default=None)
    _pending: deque[int] = field(repr=False, default_factory=deque)
    _answers: dict[int, tuple[bool, Any]] = field(repr=False, default_factory=dict)
    _next: int = 0
    _opened: Job | None = field(repr=False, default=None)  # the request to open the engine
    _open: bool = field(repr=False, default=False)  # ... answered: the engine is open

    @classmethod
    def start(cls, engine: str, voice: str, settings: EngineSettings) -> Sidecar:
        """Start the process and have it open the engine (returns at once)."""
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        with tempfile.TemporaryFile() as f:  # the meeting point, shared through mmap
            f.write(bytes(2 * _INDEX.size))
            f.flush()
            position = mmap.mmap(f.fileno(), 2 * _INDEX.size)
            env = {
                **os.environ,
                **dict.fromkeys(_THREAD_VARS, "1"),
            }  # one BLAS thread: the render has the other core
            code = f"from newsvoice.pipeline.sidecar import serve; serve({to_child_r}, {from_child_w}, {f.fileno()}, {os.getpid()})"
            try:
                proc = subprocess.Popen(
                    [sys.executable, "-c", code],
                    pass_fds=(to_child_r, from_child_w, f.fileno()),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env=env,
                    close_fds=True,
                )
            finally:
                os.close(to_child_r)
                os.close(from_child_w)
        side = cls(
            engine,
            voice,
            proc,
            os.fdopen(to_child_w, "wb"),
            os.fdopen(from_child_r, "rb"),
            position,
        )
        side._meet_again()
        side._opened = side._submit("open", engine, voice, settings)
        return side

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    # ------------------------------------------------------------------ requests

    def at(self, index: int) -> None:
        """The render is working on item ``index`` of the current job's list: the sidecar,
        working from the end, stops before it."""
        if self._position is not None:
            _INDEX.pack_into(self._position, _RENDER_AT, index)

    def claim(self, index: int) -> bool:
        """For the render working up a list the sidecar works down: True (and the item
        is the render's) unless the sidecar already has item ``index``. At the meeting
        point both may do one item; either result serves."""
        if self._position is None:
            return True
        if _INDEX.unpack_from(self._position, _SIDECAR_AT)[0] <= index:
            return False
        self.at(index)
        return True

    def _meet_again(self) -> None:
        """A new list: nobody has anything yet."""
        if self._position is not None:
            _INDEX.pack_into(self._position, _RENDER_AT, -1)
            _INDEX.pack_into(self._position, _SIDECAR_AT, _NONE_CLAIMED)

    def started(self) -> bool:
        """Whether the process has opened its engine, looked up without waiting. A render
        that has done its own part asks before waiting for an answer: on a busy machine
        a sidecar may still be starting then, and waiting for it (to hear it did
        nothing) made such renders twice as slow (issue 27)."""
        job = self._opened
        if self._open or job is None or self._recv is None:
            return self._open
        if job.id in self._pending:  # not read yet: has it come?
            try:
                readable, _, _ = select.select([self._recv], [], [], 0)
            except (OSError, ValueError):
                return False
            if not readable:
                return False
        try:
            self.result(job)
        except SidecarGone:
            self._opened = None
            return False
        self._open = True
        return True

    def ready(self) -> None:
        """Wait until the process has started and opened its engine (tests, benchmarks);
        SidecarGone if it could not."""
        self._submit("ping").result()

    def prefetch(self, cache_root: Path, texts: list[str]) -> Job:
        """Synthesise ``texts`` from the last back into the cache, skipping cached ones,
        until reaching the render's position (``at``); the answer is (key, aligned) of
        each unit it synthesised (see Synthesizer.credit)."""
        self._meet_again()
        self.at(0)
        return self._submit("prefetch", str(cache_root), texts)

    def scan_tail(self, track_path: str, n_samples: int) -> Job:
        """loudness.scan_backward of the track file, until meeting the render's
        ``claim``s; the answer is {chunk: Scan} (see loudness.join_scans)."""
        self._meet_again()
        return self._submit("scan_tail", track_path, n_samples)

    def _submit(self, name: str, *args: object) -> Job:
        if self._send is None:
            raise SidecarGone("closed")
        job = Job(self._next, self)
        self._next += 1
        try:
            pickle.dump((job.id, name, args), self._send, protocol=pickle.HIGHEST_PROTOCOL)
            self._send.flush()
        except (OSError, ValueError) as e:
            raise SidecarGone(f"cannot reach the sidecar: {e}") from e
        self._pending.append(job.id)
        return job

    def result(self, job: Job) -> Any:
        """The answer to ``job`` (answers come in order; earlier ones are kept)."""
        while job.id not in self._answers:
            if not self._pending or self._recv is None:
                raise SidecarGone("no answer")
            try:
                got, ok, value = pickle.load(self._recv)
            except Exception as e:  # EOF: the process died
                raise SidecarGone(f"the sidecar stopped: {e}") from e
            self._pending.remove(got)
            self._answers[got] = (ok, value)
        ok, value = self._answers.pop(job.id)
        if not ok:
            raise SidecarGone(value)
        return value

    def close(self) -> None:
        """Stop the process now (a render that ended, or failed, waits for nothing)."""
        proc, self._proc = self._proc, None
        for f in (self._send, self._recv):
            with contextlib.suppress(Exception):
                f.close()
        self._send = self._recv = None
        if self._position is not None:
            self._position.close()
            self._position = None
        if proc is not None:
            with contextlib.suppress(Exception):
                proc.kill()
                proc.wait(5)

    def __enter__(self) -> Sidecar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ------------------------------------------------------------ in the sidecar process


def serve(recv_fd: int, send_fd: int, position_fd: int, parent: int) -> None:
    """The sidecar's loop: answer requests in order until the render closes the pipe."""
    import signal
    import threading
    import time

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the render's to handle

    def watch() -> None:  # a render killed mid-job: stop at once, not at the next request
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    slots = mmap.mmap(position_fd, 2 * _INDEX.size)

    def stop(k: int) -> bool:
        """Whether the render has item k; otherwise the sidecar claims it."""
        if _INDEX.unpack_from(slots, _RENDER_AT)[0] >= k:
            return True
        _INDEX.pack_into(slots, _SIDECAR_AT, k)
        return False

    state: dict[str, Any] = {"stop": stop}
    with os.fdopen(recv_fd, "rb") as recv, os.fdopen(send_fd, "wb") as send:
        while True:
            try:
                job, name, args = pickle.load(recv)
            except EOFError:
                return
            try:
                answer = (True, _JOBS[name](state, *args))
            except Exception as e:  # reported to the render, which does the work itself
                answer = (False, f"{type(e).__name__}: {e}")
            pickle.dump((job, *answer), send, protocol=pickle.HIGHEST_PROTOCOL)
            send.flush()


def _open(state: dict, engine: str, voice: str, settings: EngineSettings) -> None:
    from newsvoice.speech.engines import get_spec
    from newsvoice.speech.synth import Synthesizer  # noqa: F401  (loaded now: prefetch needs it soon)

    spec = get_spec(engine)
    state["engine"] = spec.factory(voice, settings)


def _prefetch(state: dict, cache_root: str, texts: list[str]) -> list[tuple[str, bool]]:
    from newsvoice.cache.phrases import PhraseCache
    from newsvoice.speech.synth import Synthesizer

    engine, stop = state["engine"], state["stop"]
    cache = PhraseCache(Path(cache_root))
    synth = Synthesizer(engine, cache)
    made: list[tuple[str, bool]] = []
    for j in range(len(texts) - 1, -1, -1):
        if stop(j):
            break
        key = synth.key(texts[j])
        if cache.has(key):
            continue
        calls, aligned = synth.calls, synth.aligned
        synth(texts[j])
        if synth.calls > calls:
            made.append((key, synth.aligned > aligned))
    return made


def _scan_tail(state: dict, track_path: str, n_samples: int) -> dict[int, Scan]:
    from newsvoice.audio.loudness import Source, scan_backward
    from newsvoice.audio.track import TrackReader

    with TrackReader(track_path, n_samples) as reader:
        return scan_backward(Source(n_samples, reader.read_float), state["stop"])


def _ping(state: dict) -> bool:
    return "engine" in state


_JOBS: dict[str, Callable[..., Any]] = {
    "open": _open,
    "ping": _ping,
    "prefetch": _prefetch,
    "scan_tail": _scan_tail,
}


def track_path_for_sidecar(fileno: int) -> str | None:
    """A path another process can open to read this process's unlinked file (Linux
    /proc); None elsewhere (the render then measures loudness itself)."""
    if not sys.platform.startswith("linux"):
        return None
    path = f"/proc/{os.getpid()}/fd/{fileno}"
    return path if os.path.exists(path) else None
