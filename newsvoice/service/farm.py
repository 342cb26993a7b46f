"""Farm mode: jobs go to RQ queues on Redis, run by ``newsvoice worker`` on any machine.

State: the server's SQLite store stays the one record of every job (owner, request,
final state), and only the server writes it. Workers write nothing but Redis (RQ's job
status and result, and ``meta`` for stage and progress) and the shared data folder
(uploads are read from it, outputs written into it). The server's reconciling thread
copies RQ's state into the store. So SQLite never sits on a network filesystem (its WAL
cannot), a worker needs only Redis and the mount, and a restarted server rebuilds every
job's state from the store and Redis.

Queues are named by priority (``newsvoice:breaking`` ...); an RQ worker always serves
its first queue first. Each job runs in RQ's forked work-horse; a horse that dies (OOM,
SIGKILL) is retried once (``Retry(max=1)``), then the job fails with RQ's reason.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import asdict
from pathlib import Path
from typing import Any

from newsvoice.errors import EngineError
from newsvoice.service.jobs import ALIGN_KIND, Layout, Outcome, drop_parts, run_job
from newsvoice.service.store import CANCELLED, DONE, FAILED, PRIORITIES, QUEUED, RUNNING, Job, Store

log = logging.getLogger("newsvoice")

PREFIX = "newsvoice:"
RENDER_TIMEOUT_S = 3600  # one render: an hour is far past any article
ALIGN_TIMEOUT_S = 6 * 3600  # a long recording
RESULT_TTL_S = 7 * 86400  # the server copies a result long before this
SYNC_S = 0.2  # how often the server reads the farm's state


def queue_name(priority: str) -> str:
    return PREFIX + priority


def perform(job_id: str, kind: str, request: dict[str, Any]) -> dict[str, Any]:
    """The RQ job: run it against this worker's mount of the data folder, reporting
    stage and progress through the RQ job's meta (throttled by run_job)."""
    from rq import get_current_job

    current = get_current_job()
    layout = Layout(Path(os.environ["NEWSVOICE_DATA"]))

    def report(stage: str, done: int | None, total: int | None) -> None:
        if current is None:
            return
        current.meta.update(stage=stage, done=done, total=total)
        with contextlib.suppress(Exception):  # progress is best effort
            current.save_meta()

    if current is not None:
        current.meta["attempts"] = int(current.meta.get("attempts", 0)) + 1
        report("reading", None, None)
    return asdict(run_job(job_id, kind, request, layout, report))


class Farm:
    """The server's side of the farm: enqueue, cancel, and copy RQ's state into the store."""

    def __init__(self, url: str, layout: Layout, store: Store) -> None:
        from redis import Redis

        self.url, self.layout, self.store = url, layout, store
        self.redis = Redis.from_url(url)
        self._stop = threading.Event()
        # held while a job goes into the store and then into Redis, and while sync reads
        # both: else sync could find a new job in the store, not yet in Redis, and call
        # it lost
        self._handover = threading.Lock()
        self._thread = threading.Thread(target=self._sync_loop, name="farm", daemon=True)

    def start(self) -> None:
        self.redis.ping()
        # jobs queued while the server was down and never handed to Redis (crash between
        # the store's insert and the enqueue) are handed over now
        from rq.job import Job as RQJob

        for job in self.store.in_state(QUEUED):
            if RQJob.fetch_many([job.id], connection=self.redis)[0] is None:
                self.enqueue(job)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def workers(self) -> int:
        from rq import Worker

        with contextlib.suppress(Exception):
            return int(Worker.count(connection=self.redis))
        return 0

    def submit(self, add: Callable[[], Job]) -> Job:
        """``add()`` (the store's insert) and the hand-over to Redis, as one step for sync."""
        with self._handover:
            job = add()
            self.enqueue(job)
        return job

    def enqueue(self, job: Job) -> None:
        from rq import Queue, Retry

        q = Queue(queue_name(PRIORITIES[job.priority]), connection=self.redis)
        q.enqueue(
            perform,
            job.id,
            job.kind,
            job.request,
            job_id=job.id,
            job_timeout=ALIGN_TIMEOUT_S if job.kind == ALIGN_KIND else RENDER_TIMEOUT_S,
            result_ttl=RESULT_TTL_S,
            failure_ttl=RESULT_TTL_S,
            retry=Retry(max=1, enqueue_at_front=True),
            description=f"newsvoice {job.kind} {job.id}",
        )

    def cancel(self, job: Job) -> None:
        """Take a cancelled job out of the queue, or stop its work-horse."""
        from rq.command import send_stop_job_command
        from rq.job import Job as RQJob

        with contextlib.suppress(Exception):
            rq_job = RQJob.fetch(job.id, connection=self.redis)
            if getattr(rq_job.get_status(), "value", "") == "started":
                send_stop_job_command(self.redis, job.id)
                threading.Thread(target=self._tidy, args=(rq_job,), daemon=True).start()
            else:
                rq_job.cancel()

    def _tidy(self, rq_job: Any, timeout: float = 30.0) -> None:
        """Once the stopped work-horse is gone, remove the temp folder it was writing."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self._stop.is_set():
            with contextlib.suppress(Exception):
                raw = rq_job.get_status(refresh=True)
                if str(getattr(raw, "value", raw)) in ("stopped", "failed", "finished"):
                    break
            time.sleep(0.2)
        drop_parts(self.layout, job_id=rq_job.id)

    # ------------------------------------------------------------ reconciling

    def _sync_loop(self) -> None:
        while not self._stop.wait(SYNC_S):
            try:
                self.sync()
            except Exception as e:  # Redis away for a moment: try again on the next tick
                log.warning("farm: %s", e)

    def sync(self) -> None:
        """Copy the farm's state of every unfinished job into the store."""
        from rq.job import Job as RQJob

        with self._handover:
            open_jobs = self.store.in_state(QUEUED, RUNNING)
            if not open_jobs:
                return
            rq_jobs = RQJob.fetch_many([j.id for j in open_jobs], connection=self.redis)
        for job, rq_job in zip(open_jobs, rq_jobs, strict=True):
            if rq_job is None:
                self.store.finish(
                    job.id,
                    None,
                    FAILED,
                    error="the job was lost from the queue (Redis restarted without data?)",
                    exit_code=3,
                )
                continue
            self._sync_one(job, rq_job)

    def _sync_one(self, job: Job, rq_job: Any) -> None:
        raw = rq_job.get_status(refresh=False)
        status = str(getattr(raw, "value", raw) or "")
        meta = rq_job.meta or {}
        worker = f"rq:{rq_job.worker_name or '?'}"
        started = rq_job.started_at.timestamp() if rq_job.started_at else None
        ran = (worker, started, int(meta.get("attempts", 1)))
        if status == "started":
            attempts = int(meta.get("attempts", 1))
            if job.attempts and attempts > job.attempts:
                self.store.add_note(
                    job.id, f"worker died mid-job; queued again (attempt {attempts})"
                )
            self.store.mark_running(
                job.id,
                worker,
                started,
                attempts,
                meta.get("stage"),
                meta.get("done"),
                meta.get("total"),
            )
        elif status == "finished":
            result = rq_job.return_value()
            out = Outcome(**result) if isinstance(result, dict) else Outcome(False, [], None)
            self.store.finish(
                job.id,
                None,
                DONE if out.ok else FAILED,
                error=out.error if not out.ok else None,
                exit_code=out.exit_code,
                title=out.title,
                outputs=out.outputs,
                ran=ran,
            )
        elif status == "failed":
            self.store.finish(
                job.id,
                None,
                FAILED,
                error=f"worker failed: {_last_line(rq_job)} (tried {meta.get('attempts', 1)} times)",
                exit_code=3,
                ran=ran,
            )
        elif status in ("queued", "scheduled") and job.state == RUNNING:
            self.store.mark_queued(job.id, f"worker died mid-job ({worker}); queued again")
        elif status in ("stopped", "canceled"):
            self.store.finish(job.id, None, CANCELLED)
        if status in ("failed", "stopped", "canceled"):  # a killed horse's temp folder
            drop_parts(self.layout, job_id=job.id)


def _last_line(rq_job: Any) -> str:
    with contextlib.suppress(Exception):
        res = rq_job.latest_result()
        text = (res.exc_string if res is not None else "") or ""
        lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
        if lines:
            return lines[-1]
    return "unknown reason"


def run_worker(url: str, priorities: list[str], data: Path, *, burst: bool = False) -> None:
    """``newsvoice worker``: an RQ worker on the priority queues, in the order given."""
    from redis import Redis
    from rq import Queue, Worker

    os.environ["NEWSVOICE_DATA"] = str(data)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    import newsvoice.pipeline.render  # noqa: F401  (loaded once; every forked horse has it)

    class FarmWorker(Worker):
        def unsubscribe(self) -> None:
            """RQ 2.12 stops its command thread with redis-py 8's joining ``stop()``,
            which waits out the thread's 60 s poll: a SIGTERM'd idle worker hung a
            minute. Bounded here (redis-py < 8.2 has no timeout and does not join)."""
            thread = self.pubsub_thread
            if not thread:
                return
            with contextlib.suppress(Exception):
                self.pubsub.unsubscribe()
            try:
                thread.stop(timeout=0.5)  # type: ignore[call-arg]
            except TypeError:
                thread.stop()
            with contextlib.suppress(Exception):
                self.pubsub.close()

    redis = Redis.from_url(url)
    queues = [Queue(queue_name(p), connection=redis) for p in priorities]
    # maintenance (moving a dead machine's abandoned job to failed, or retrying it) every
    # minute instead of RQ's 10: a job is not left "running" for long
    FarmWorker(queues, connection=redis, maintenance_interval=60).work(
        burst=burst, with_scheduler=False, logging_level="WARNING"
    )


class FarmExecutor(Executor):
    """``batch --queue``: an Executor whose calls run on farm workers. ``submit`` enqueues
    the call on one priority queue; a thread polls RQ and settles the futures (a call the
    farm gave up on, its work-horse dead twice, raises EngineError with RQ's reason)."""

    def __init__(self, url: str, priority: str = "backfill", poll_s: float = 0.2) -> None:
        from redis import Redis
        from redis.exceptions import RedisError
        from rq import Queue

        self.redis = Redis.from_url(url)
        try:
            self.redis.ping()
        except RedisError as e:
            raise EngineError(f"--queue {url}: cannot reach Redis: {e}") from None
        self.queue = Queue(queue_name(priority), connection=self.redis)
        self.poll_s = poll_s
        self._pending: dict[str, Future] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="farm-batch", daemon=True)
        self._thread.start()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        from rq import Retry

        fut: Future = Future()
        job = self.queue.enqueue(
            fn,
            *args,
            **kwargs,
            job_timeout=RENDER_TIMEOUT_S,
            result_ttl=RESULT_TTL_S,
            failure_ttl=RESULT_TTL_S,
            retry=Retry(max=1, enqueue_at_front=True),
        )
        with self._lock:
            self._pending[job.id] = fut
        return fut

    def _poll(self) -> None:
        from rq.job import Job as RQJob

        while not self._stop.wait(self.poll_s):
            with self._lock:
                ids = list(self._pending)
            if not ids:
                continue
            try:
                jobs = RQJob.fetch_many(ids, connection=self.redis)
            except Exception as e:  # Redis away for a moment
                log.warning("farm: %s", e)
                continue
            for job_id, rq_job in zip(ids, jobs, strict=True):
                if rq_job is None:
                    self._settle(job_id, error="the job was lost from the queue")
                    continue
                raw = rq_job.get_status(refresh=False)
                status = str(getattr(raw, "value", raw) or "")
                if status == "finished":
                    self._settle(job_id, result=rq_job.return_value())
                elif status in ("failed", "stopped", "canceled"):
                    self._settle(job_id, error=f"worker failed: {_last_line(rq_job)}")

    def _settle(self, job_id: str, *, result: Any = None, error: str | None = None) -> None:
        with self._lock:
            fut = self._pending.pop(job_id, None)
        if fut is None:
            return
        if error is not None:
            fut.set_exception(EngineError(error))
        else:
            fut.set_result(result)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if cancel_futures:
            from rq.job import Job as RQJob

            with self._lock:
                ids = list(self._pending)
            for job_id in ids:
                with contextlib.suppress(Exception):
                    RQJob.fetch(job_id, connection=self.redis).cancel()
        self._stop.set()
        if wait and self._thread.is_alive():
            self._thread.join(5)
