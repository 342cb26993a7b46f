"""Farm mode: `newsvoice serve --queue redis://…` and `newsvoice worker` processes on a
real redis-server (started here on a free loopback port; skipped without the binary)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from servicekit import (
    SHORT,
    Worker,
    env_for,
    job_doc,
    long_article,
    redis,
    serving,
    submit,
    wait_for,
    wait_state,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def farm(tmp_path):
    with redis(tmp_path) as url:
        data = tmp_path / "data"
        with serving(data, "--queue", url) as srv:
            yield srv, url, data


def test_two_workers_take_one_queue(farm):
    srv, url, data = farm
    workers = [Worker(url, data), Worker(url, data)]
    try:
        with srv.client() as c:
            assert wait_for(lambda: c.get("/v1/health").json()["workers"] == 2, 30)
            assert c.get("/v1/health").json()["queue"] == "redis"
            ids = [submit(c, long_article(12, f"thợ {i}")) for i in range(4)]
            docs = [wait_state(c, i, timeout=120) for i in ids]
            assert [d["state"] for d in docs] == ["done"] * 4, [
                (d["state"], d.get("error"), d.get("notes")) for d in docs
            ]
            assert len({d["worker"] for d in docs}) == 2  # both workers rendered
            wav = c.get(docs[0]["outputs"]["audio"])
            assert wav.status_code == 200 and wav.content[:4] == b"RIFF"
            # an identical request is the same job, done
            again = c.post("/v1/renders", json={"text": long_article(12, "thợ 0")})
            assert again.status_code == 200 and again.json()["id"] == ids[0]
    finally:
        for w in workers:
            w.stop()


def test_priorities_are_served_in_order(farm):
    srv, url, data = farm
    with srv.client() as c:
        order = ["backfill", "bulletin", "breaking", "backfill", "breaking"]
        ids = [submit(c, SHORT + f" Ưu tiên {i}.", priority=p) for i, p in enumerate(order)]
        w = Worker(url, data, "--burst")
        try:
            docs = [wait_state(c, i, timeout=120) for i in ids]
        finally:
            w.stop()
    started = sorted(zip([d["started"] for d in docs], order, strict=True))
    assert [p for _, p in started] == ["breaking", "breaking", "bulletin", "backfill", "backfill"]


def test_killed_work_horse_is_retried_once_then_fails(farm):
    srv, url, data = farm
    w = Worker(url, data)
    try:
        with srv.client() as c:
            job_id = submit(c, long_article(120, "ngựa"))
            for attempt in (1, 2):

                def running(n: int = attempt) -> dict | None:
                    d = job_doc(c, job_id)
                    return d if d["state"] == "running" and d["attempts"] == n else None

                wait_for(running, 120)
                horse = wait_for(w.horse, 20)
                os.kill(horse, signal.SIGKILL)
                if attempt == 1:
                    wait_for(lambda: job_doc(c, job_id)["attempts"] == 2, 120)
            doc = wait_state(c, job_id, timeout=120)
            assert doc["state"] == "failed" and doc["exit_code"] == 3, doc
            assert "tried 2 times" in doc["error"]
            assert any("queued again" in n for n in doc.get("notes", []))
            ok = submit(c, SHORT + " Ngựa mới.")
            assert wait_state(c, ok, timeout=120)["state"] == "done"
    finally:
        w.stop()


def test_cancel_on_the_farm(farm):
    srv, url, data = farm
    w = Worker(url, data)
    try:
        with srv.client() as c:
            running = submit(c, long_article(150, "dừng"))
            queued = submit(c, SHORT + " Đang chờ.", priority="backfill")
            wait_state(c, running, ("running",), timeout=120)
            assert c.delete(f"/v1/jobs/{queued}").json()["state"] == "cancelled"
            assert c.delete(f"/v1/jobs/{running}").json()["state"] == "cancelled"
            after = submit(c, SHORT + " Sau khi dừng.")
            assert wait_state(c, after, timeout=120)["state"] == "done"
            assert job_doc(c, running)["state"] == "cancelled"
            assert job_doc(c, queued)["state"] == "cancelled"
            assert not (data / "outputs" / running).exists()
            wait_for(lambda: not list((data / "outputs").glob(f".{running}.*")), 30)
            assert not (data / "outputs" / queued).exists()
    finally:
        w.stop()


def test_server_restart_with_jobs_queued_on_the_farm(tmp_path):
    with redis(tmp_path) as url:
        data = tmp_path / "data"
        first = serving(data, "--queue", url)
        srv = first.__enter__()
        try:
            with srv.client() as c:
                ids = [submit(c, SHORT + f" Khởi động {i}.") for i in range(3)]
            srv.crash()  # killed with every job still queued (no worker yet)
        finally:
            first.__exit__(None, None, None)
        w = Worker(url, data)
        try:
            with serving(data, "--queue", url) as again, again.client() as c:
                t0 = time.monotonic()
                for job_id in ids:
                    assert wait_state(c, job_id, timeout=120)["state"] == "done"
                print("restart: jobs done in", round(time.monotonic() - t0, 1), "s")
        finally:
            w.stop()


def test_batch_on_the_farm_keeps_report_resume_and_exit_codes(tmp_path):
    arts = tmp_path / "articles"
    arts.mkdir()
    for i in range(3):
        (arts / f"tin-{i}.txt").write_text(SHORT + f" Lô {i}.", encoding="utf-8")
    (arts / "hong.txt").write_text("... --- ...", encoding="utf-8")
    out = tmp_path / "out"

    def batch(url: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "newsvoice", "batch", str(arts), "-o", str(out)]
            + ["--engine", "espeak", "--queue", url],
            capture_output=True,
            text=True,
            env=env_for(),
            timeout=300,
        )

    with redis(tmp_path) as url:
        workers = [Worker(url, tmp_path / "data"), Worker(url, tmp_path / "data")]
        try:
            first = batch(url)
            report = json.loads((out / "report.json").read_text())
            again = batch(url)
        finally:
            for w in workers:
                w.stop()
    assert first.returncode == 3, first.stderr  # one article failed, the others rendered
    rows = {r["file"]: r for r in report["articles"]}
    assert [rows[str(arts / f"tin-{i}.txt")]["status"] for i in range(3)] == ["ok"] * 3
    assert rows[str(arts / "hong.txt")]["status"] == "failed"
    assert "no sentences to narrate" in rows[str(arts / "hong.txt")]["error"]
    assert (out / rows[str(arts / "tin-0.txt")]["slug"] / "tin-0.wav").is_file()
    assert (out / "report.csv").is_file()
    assert again.returncode == 3
    rows = {r["file"]: r for r in json.loads((out / "report.json").read_text())["articles"]}
    assert [rows[str(arts / f"tin-{i}.txt")]["status"] for i in range(3)] == ["skipped"] * 3


def test_a_job_being_handed_over_is_not_taken_for_lost(tmp_path):
    """The server's sync thread reads the store and Redis every SYNC_S; a job already in
    the store but not yet in Redis (the moment between the insert and the enqueue) must
    not look lost to it. The insert here lingers over several sync ticks; no worker runs,
    so the job has to stay queued."""
    from newsvoice.service.farm import SYNC_S, Farm
    from newsvoice.service.jobs import RENDER_KIND, Layout
    from newsvoice.service.store import QUEUED, Store

    with redis(tmp_path) as url:
        layout = Layout(tmp_path / "data")
        store = Store(layout.db)
        farm = Farm(url, layout, store)
        farm.start()
        try:

            def slow_add():
                job = store.add(
                    token="t", kind=RENDER_KIND, request={"url": "x"}, priority=1, key=None
                )
                time.sleep(5 * SYNC_S)  # the sync thread ticks meanwhile
                return job

            job = farm.submit(slow_add)
            time.sleep(3 * SYNC_S)
            got = store.get(job.id)
            assert got is not None and got.state == QUEUED, (got.state, got.error)
        finally:
            farm.stop()
