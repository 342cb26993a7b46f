"""Real parts for the service tests: `newsvoice serve` / `newsvoice worker` / redis-server
as subprocesses on free loopback ports, an HTTP client, and a callback receiver."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

FINAL = ("done", "failed", "cancelled")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("NEWSVOICE_TOKENS", None)
    env.pop("NEWSVOICE_CALLBACK_SECRET", None)
    env.update(extra)
    return env


def wait_for(check: Callable[[], Any], timeout: float = 60.0, every: float = 0.05) -> Any:
    """Poll ``check`` until it returns something truthy (bounded in time)."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {check}")
        time.sleep(every)


def children(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (Linux /proc)."""
    out: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                out += [int(x) for x in f.read().split()]
    return out


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False


class Server:
    """`newsvoice serve` on a free loopback port, with an httpx client."""

    def __init__(self, data: Path, *args: str, token: str | None = None, env=None) -> None:
        self.data, self.args, self.token, self.env = data, args, token, env or env_for()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.log = data.parent / f"serve-{self.port}.log"

    def start(self) -> Server:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "newsvoice", "serve", "--engine", "espeak"]
            + ["--port", str(self.port), "--data", str(self.data), *self.args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(self.log, "ab"),  # noqa: SIM115 (the child holds it)
        )

        def up() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"serve exited {self.proc.returncode}: {self.log.read_text()}")
            try:
                return httpx.get(f"{self.url}/v1/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(up, 60)
        return self

    def client(self, token: str | None = None) -> httpx.Client:
        token = token or self.token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)

    def workers(self) -> list[int]:
        assert self.proc is not None
        return children(self.proc.pid)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def crash(self) -> list[int]:
        """SIGKILL the server and its workers at once (a machine losing power)."""
        assert self.proc is not None
        victims = [self.proc.pid] + [c for w in self.workers() for c in [w, *children(w)]]
        for pid in victims:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait()
        for pid in victims[1:]:
            wait_for(lambda p=pid: not alive(p), 10)
        self.proc = None
        return victims


@contextlib.contextmanager
def serving(data: Path, *args: str, token: str | None = None, env=None) -> Iterator[Server]:
    srv = Server(data, *args, token=token, env=env)
    try:
        yield srv.start()
    finally:
        srv.stop()


def job_doc(client: httpx.Client, job_id: str) -> dict:
    r = client.get(f"/v1/jobs/{job_id}")
    assert r.status_code == 200, r.text
    return r.json()


def wait_state(client: httpx.Client, job_id: str, states=FINAL, timeout: float = 90) -> dict:
    return wait_for(
        lambda: (d := job_doc(client, job_id))["state"] in states and d, timeout, every=0.05
    )


def submit(client: httpx.Client, text: str, **body: Any) -> str:
    r = client.post("/v1/renders", json={"text": text, **body})
    assert r.status_code == 202, r.text
    return r.json()["id"]


def long_article(n: int, tag: str = "") -> str:
    """An article of ``n`` different sentences (nothing the phrase cache already has)."""
    lines = [f"Bản tin dài {tag}", ""]
    lines += [
        f"Tin thứ {i} {tag}: hôm nay có {i * 37 + 11} người đến dự cuộc họp số {i + 3}."
        for i in range(n)
    ]
    return "\n\n".join(lines)


SHORT = "Hà Nội mưa lớn\n\nChiều nay, Hà Nội có mưa lớn kéo dài 2 giờ. Nhiều tuyến phố ngập 0,5 m."


class Receiver:
    """A local HTTP server that records callback POSTs; the first ``fail`` answer 500."""

    def __init__(self, fail: int = 0) -> None:
        self.got: list[tuple[dict[str, str], bytes]] = []
        self.fail = fail
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.got.append((dict(self.headers), body))
                code = 500 if len(outer.got) <= outer.fail else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def signed(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def redis_server() -> str:
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.skip(
            "redis-server is not on PATH (Debian package redis-server; .ci/run installs it)"
        )
    return exe


@contextlib.contextmanager
def redis(tmp: Path) -> Iterator[str]:
    """A throwaway redis-server on a free loopback port; its URL."""
    port = free_port()
    proc = subprocess.Popen(
        [
            redis_server(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ]
        + ["--dir", str(tmp)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def up() -> bool:
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", port)) == 0

        wait_for(up, 20)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


class Worker:
    """`newsvoice worker` as a subprocess."""

    def __init__(self, queue: str, data: Path, *args: str) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "newsvoice",
                "worker",
                "--queue",
                queue,
                "--data",
                str(data),
                *args,
            ],
            env=env_for(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(data.parent / f"worker-{id(self)}.log", "ab"),  # noqa: SIM115
        )

    def horse(self) -> int | None:
        kids = children(self.proc.pid)
        return kids[0] if kids else None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # RQ: warm shutdown
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for kid in children(self.proc.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(kid, signal.SIGKILL)


def read_json(body: bytes) -> dict:
    return json.loads(body.decode("utf-8"))
