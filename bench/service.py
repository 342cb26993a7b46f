"""The service's numbers (issue 24): throughput of 1 vs 2 embedded workers on N short
articles through the HTTP API, API overhead per job vs a direct in-process render, and
submit→start latency under concurrent clients.

    python bench/service.py                  # --articles 50 --clients 20
    python bench/service.py --articles 10    # quicker

Runs real `newsvoice serve --engine espeak` subprocesses on free loopback ports, each on
a fresh data folder (cold phrase cache), and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from servicekit import FINAL, Server, job_doc, wait_for  # noqa: E402


def article(i: int, tag: str) -> str:
    return (
        f"Tin nhanh số {i} {tag}\n\n"
        f"Sáng nay, {i * 13 + 7} hộ dân ở xã số {i + 2} đã nhận hỗ trợ sau đợt mưa lớn. "
        f"Chính quyền cho biết có {i * 3 + 1} tuyến đường bị ngập sâu 0,{i % 9 + 1} m."
    )


def ts(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def run_many(workers: int, n: int, tag: str, clients: int = 1) -> dict:
    """Submit n articles from ``clients`` threads at once; wall time to the last done."""
    with tempfile.TemporaryDirectory() as tmp:
        srv = Server(Path(tmp) / "data", "--workers", str(workers), "--rate", "100000/min")
        srv.start()
        try:
            with srv.client() as c:  # warm: every worker imported its stack
                first = c.post("/v1/renders", json={"text": article(10_000, tag + "w")}).json()
                wait_for(lambda: job_doc(c, first["id"])["state"] in FINAL, 120)
            ids: list[str] = []
            lock = threading.Lock()
            t0 = time.perf_counter()

            def client(k: int) -> None:
                with srv.client() as c:
                    for i in range(k, n, clients):
                        r = c.post("/v1/renders", json={"text": article(i, tag)})
                        with lock:
                            ids.append(r.json()["id"])

            threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            with srv.client() as c:
                docs = [
                    wait_for(lambda j=j: (d := job_doc(c, j))["state"] in FINAL and d, 600)
                    for j in ids
                ]
            wall = time.perf_counter() - t0
        finally:
            srv.stop()
    assert all(d["state"] == "done" for d in docs), [d.get("error") for d in docs]
    waits = sorted(ts(d["started"]) - ts(d["created"]) for d in docs)
    # dispatch: from the moment the job could start (submitted and its worker free) to its start
    by_worker: dict[str, list[dict]] = {}
    for d in docs:
        by_worker.setdefault(d["worker"], []).append(d)
    dispatch = []
    for runs in by_worker.values():
        runs.sort(key=lambda d: d["started"])
        prev_end = 0.0
        for d in runs:
            dispatch.append(ts(d["started"]) - max(ts(d["created"]), prev_end))
            prev_end = ts(d["finished"])
    dispatch.sort()
    run_s = [ts(d["finished"]) - ts(d["started"]) for d in docs]
    return {
        "wall": wall,
        "per_job_run": statistics.mean(run_s),
        "p95_wait": waits[int(0.95 * (len(waits) - 1))],
        "p95_dispatch": dispatch[int(0.95 * (len(dispatch) - 1))],
        "median_dispatch": statistics.median(dispatch),
        "workers_used": len(by_worker),
    }


def sequential_overhead(n: int, tag: str) -> tuple[float, float]:
    """Mean submit→done through the API (one at a time) vs a direct render of the same
    articles in this process (same espeak engine, cold phrase cache each)."""
    from newsvoice.options import RenderOptions
    from newsvoice.pipeline.render import render

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        opts = RenderOptions(engine="espeak", cache_dir=root / "cache", jobs=1)
        (root / "w.txt").write_text(article(9_999, tag + "d"), encoding="utf-8")
        render(root / "w.txt", root / "out-w", opts)  # warm
        direct = []
        for i in range(n):
            src = root / f"a{i}.txt"
            src.write_text(article(i, tag + "d"), encoding="utf-8")
            t0 = time.perf_counter()
            render(src, root / f"out{i}", opts)
            direct.append(time.perf_counter() - t0)
    with tempfile.TemporaryDirectory() as tmp:
        srv = Server(Path(tmp) / "data", "--workers", "1", "--rate", "100000/min")
        srv.start()
        try:
            with srv.client() as c:
                w = c.post("/v1/renders", json={"text": article(9_999, tag + "a")}).json()["id"]
                wait_for(lambda: job_doc(c, w)["state"] in FINAL, 120)
                api = []
                for i in range(n):
                    t0 = time.perf_counter()
                    j = c.post("/v1/renders", json={"text": article(i, tag + "a")}).json()["id"]
                    wait_for(lambda j=j: job_doc(c, j)["state"] in FINAL, 120, every=0.01)
                    api.append(time.perf_counter() - t0)
        finally:
            srv.stop()
    return statistics.mean(api), statistics.mean(direct)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", type=int, default=50)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--overhead-jobs", type=int, default=10)
    a = ap.parse_args()
    tag = str(os.getpid())
    load0 = os.getloadavg()[0]
    one = run_many(1, a.articles, tag + "x1")
    two = run_many(2, a.articles, tag + "x2")
    many = run_many(2, a.articles, tag + "c", clients=a.clients)
    api, direct = sequential_overhead(a.overhead_jobs, tag)
    load1 = os.getloadavg()[0]
    print(f"load average (1 min) before/after: {load0:.1f} / {load1:.1f}; cores: {os.cpu_count()}")
    print()
    print(
        "| run | articles | wall s | articles/s | mean run s | p95 submit→start s | p95 dispatch s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, r in (
        ("1 worker", one),
        ("2 workers", two),
        (f"2 workers, {a.clients} clients", many),
    ):
        print(
            f"| {name} | {a.articles} | {r['wall']:.1f} | {a.articles / r['wall']:.2f} | "
            f"{r['per_job_run']:.2f} | {r['p95_wait']:.2f} | {r['p95_dispatch']:.3f} |"
        )
    print()
    print(f"speed-up 2 vs 1 workers: {one['wall'] / two['wall']:.2f}x")
    print(
        f"API overhead per job: {api - direct:+.3f} s (submit→done {api:.3f} s through the API, "
        f"direct render {direct:.3f} s; {a.overhead_jobs} jobs one at a time)"
    )


if __name__ == "__main__":
    main()
