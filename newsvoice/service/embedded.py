"""Embedded mode: the server's own worker processes, claiming queued jobs from SQLite.

Each worker is a child process (``python -m newsvoice.service.embedded DATA``) that
imports the render stack once and loops: claim a job, run it, record how it ended. The
server's :class:`Pool` keeps N of them alive; cancelling a running job kills its worker
(a render cannot be stopped half-way any other way) and a new one is started. A worker
that dies mid-job puts its job back in the queue once; a second death fails it with the
reason, so no job is ever left ``running``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from newsvoice.service.jobs import Layout, run_job
from newsvoice.service.store import DONE, FAILED, RUNNING, Store

log = logging.getLogger("newsvoice")

POLL_S = 0.05  # an idle worker looks for work this often (one indexed SELECT)


def work_one(store: Store, layout: Layout, worker: str, job_id: str | None = None) -> bool:
    """Claim and run one job (``job_id``: that one only); False if none was queued."""
    job = store.claim(worker, job_id)
    if job is None:
        return False

    def report(stage: str, done: int | None, total: int | None) -> None:
        store.progress(job.id, worker, stage, done, total)

    out = run_job(job.id, job.kind, job.request, layout, report)
    store.finish(
        job.id,
        worker,
        DONE if out.ok else FAILED,
        error=out.error,
        exit_code=out.exit_code,
        title=out.title,
        outputs=out.outputs,
    )
    return True


def worker_name(pid: int) -> str:
    """A worker's name in the store: its process id (what an operator kills)."""
    return f"embedded:{pid}"


def worker_loop(data: Path) -> None:
    """A worker process's life: run jobs until its parent (the server) is gone."""
    name = worker_name(os.getpid())
    layout = Layout(data)
    store = Store(layout.db)
    parent = os.getppid()
    while os.getppid() == parent:
        if not work_one(store, layout, name):
            time.sleep(POLL_S)


@dataclass
class _Slot:
    name: str
    proc: subprocess.Popen


class Pool:
    """N worker processes kept alive by a supervising thread of the server."""

    def __init__(self, layout: Layout, store: Store, size: int) -> None:
        self.layout, self.store, self.size = layout, store, max(1, size)
        self._slots: list[_Slot] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._supervise, name="pool", daemon=True)

    def start(self) -> None:
        self.recover_orphans()
        with self._lock:
            for _ in range(self.size):
                self._slots.append(self._spawn())
        self._thread.start()

    def _spawn(self) -> _Slot:
        env = dict(os.environ)
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(var, "1")
        proc = subprocess.Popen(
            [sys.executable, "-m", "newsvoice.service.embedded", str(self.layout.root)],
            env=env,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # a kill takes the render's own helper processes too
        )
        return _Slot(worker_name(proc.pid), proc)

    def recover_orphans(self) -> None:
        """Jobs left running by a server that died: their workers died with it."""
        mine = {s.name for s in self._slots}
        for job in self.store.in_state(RUNNING):
            if job.worker and job.worker.startswith("embedded:") and job.worker not in mine:
                state = self.store.requeue(job.id, job.worker, "worker gone (server restarted)")
                log.info("job %s: %s after a restart", job.id, state)

    def _supervise(self) -> None:
        while not self._stop.wait(0.2):
            with self._lock:
                for i, slot in enumerate(self._slots):
                    if slot.proc.poll() is None:
                        continue
                    for job in self.store.in_state(RUNNING):
                        if job.worker == slot.name:
                            self.store.requeue(
                                job.id,
                                slot.name,
                                f"worker died mid-job (exit {slot.proc.returncode})",
                            )
                    if not self._stop.is_set():
                        self._slots[i] = self._spawn()

    def kill(self, worker: str | None) -> None:
        """Stop the worker running a cancelled job (the supervisor starts another)."""
        with self._lock:
            for slot in self._slots:
                if slot.name == worker and slot.proc.poll() is None:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(slot.proc.pid, signal.SIGKILL)

    def pids(self) -> list[int]:
        with self._lock:
            return [s.proc.pid for s in self._slots]

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        with self._lock:
            for slot in self._slots:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(slot.proc.pid, signal.SIGTERM)
            for slot in self._slots:
                try:
                    slot.proc.wait(5)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(slot.proc.pid, signal.SIGKILL)
                    slot.proc.wait()
            # what the stopped workers were running goes back to the queue
            for slot in self._slots:
                for job in self.store.in_state(RUNNING):
                    if job.worker == slot.name:
                        self.store.requeue(job.id, slot.name, "server stopped mid-job")
            self._slots.clear()


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="newsvoice worker: %(message)s")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    worker_loop(Path(sys.argv[1]))


if __name__ == "__main__":
    main()
