"""Shared fixtures: real espeak speech, real MP3 bytes, and a local HTTP server
that poses as Google's TTS endpoint (gTTS is pointed at it; nothing leaves
this machine)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

# Broadcast WAV bext carries the origination date and time: renders compared byte for
# byte must share it (the reproducible-builds variable newsvoice honours)
os.environ.setdefault("SOURCE_DATE_EPOCH", "1764979200")

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(
    os.environ.get("NEWSVOICE_SHARED") or REPO.parent / "shared"
)  # a worktree elsewhere names it


def shared_path(rel: str) -> Path:
    """A file under ../shared; required in CI, skipped elsewhere when missing."""
    p = SHARED / rel
    if not p.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI needs {p}")
        pytest.skip(f"{p} not present")
    return p


def mp3_for(text: str) -> bytes:
    """Real MP3 bytes of ``text`` spoken by espeak-ng, encoded by the bundled ffmpeg
    at 24 kHz like Google's answers."""
    from newsvoice.audio.track import ffmpeg_exe
    from newsvoice.speech.engines.espeak import EspeakEngine

    sp = EspeakEngine("vi").synthesize(text)
    cmd = [
        ffmpeg_exe(),
        "-v",
        "error",
        "-f",
        "s16le",
        "-ar",
        str(sp.rate),
        "-ac",
        "1",
        "-i",
        "pipe:0",
        "-ar",
        "24000",
        "-c:a",
        "libmp3lame",
        "-b:a",
        "32k",
        "-f",
        "mp3",
        "pipe:1",
    ]
    return subprocess.run(cmd, input=sp.samples.tobytes(), capture_output=True, check=True).stdout


@dataclass
class FakeGoogle:
    """Scripted behaviour: ``script`` is consumed one entry per POST; when empty,
    requests succeed. Entries: an HTTP status (int) or (status, Retry-After), "garbage",
    "truncated", "hang" (sleep past the client's timeout), "stall" (answer nothing for 30 s),
    "drop" (close the connection), "trickle" (a slow-loris answer: one byte every 0.2 s,
    for up to 30 s)."""

    url: str
    script: list = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    posts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    mp3_cache: dict[str, bytes] = field(default_factory=dict)

    def next_action(self):
        with self.lock:
            self.posts += 1
            return self.script.pop(0) if self.script else "ok"


def _text_of(body: bytes) -> str:
    freq = urllib.parse.parse_qs(body.decode())["f.req"][0]
    rpc = json.loads(freq)
    return json.loads(rpc[0][0][1])[0]


def _make_handler(state: FakeGoogle):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep pytest output clean
            pass

        def do_HEAD(self) -> None:
            self.send_response(200)
            self.end_headers()

        def do_GET(self) -> None:
            self.do_HEAD()

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            text = _text_of(body)
            action = state.next_action()
            if isinstance(action, int | tuple):
                status, retry_after = action if isinstance(action, tuple) else (action, 0)
                self.send_response(status)
                if status == 429 or isinstance(action, tuple):
                    self.send_header("Retry-After", str(retry_after))
                self.end_headers()
                return
            if action == "trickle":
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                for _ in range(150):
                    try:
                        self.wfile.write(b")")
                        self.wfile.flush()
                    except OSError:
                        return
                    time.sleep(0.2)
                return
            if action == "drop":
                self.close_connection = True
                self.wfile.flush()
                self.connection.shutdown(2)
                return
            if action == "hang":
                time.sleep(1.5)
            if action == "stall":  # a service that never answers (within any test's patience)
                time.sleep(30)
                return
            with state.lock:
                if text not in state.mp3_cache:
                    state.mp3_cache[text] = mp3_for(text)
                mp3 = state.mp3_cache[text]
                state.texts.append(text)
            if action == "truncated":
                mp3 = mp3[: len(mp3) // 3][:200]
            b64 = base64.b64encode(mp3).decode() if action != "garbage" else "%%%not-audio"
            line = '[["wrb.fr","jQ1olc","[\\"' + b64 + '\\"]",null,null,null,"generic"]]'
            payload = (")]}'\n\n" + str(len(line)) + "\n" + line + "\n").encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


class _QuietServer(ThreadingHTTPServer):
    """Clients that hang up on purpose (timeouts, dropped connections) are expected here."""

    def handle_error(self, request, client_address) -> None:
        pass


@pytest.fixture
def fake_google(monkeypatch) -> Iterator[FakeGoogle]:
    """A local Google TTS stand-in; gTTS's URL builder is pointed at it."""
    import gtts.tts

    server = _QuietServer(("127.0.0.1", 0), None)  # type: ignore[arg-type]
    state = FakeGoogle(url=f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _make_handler(state)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(
        gtts.tts, "_translate_url", lambda tld="com", path="": f"{state.url}/{path}"
    )
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def no_google(monkeypatch) -> None:
    """Point gTTS at a closed local port: Google 'unreachable' without any network."""
    import socket

    import gtts.tts

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    monkeypatch.setattr(
        gtts.tts, "_translate_url", lambda tld="com", path="": f"http://127.0.0.1:{port}/{path}"
    )
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def fake_edge(monkeypatch):
    """A local stand-in for the Edge TTS websocket; edge-tts's endpoint constant points at it."""
    import edge_tts.communicate
    from fake_edge import EdgeServer

    server = EdgeServer()
    state = server.start()
    monkeypatch.setattr(edge_tts.communicate, "WSS_URL", state.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    try:
        yield state
    finally:
        server.stop()


def closed_port() -> int:
    """A local port nobody listens on (connections are refused at once)."""
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture
def no_edge(monkeypatch) -> None:
    """Point edge-tts at a closed local port: the service 'unreachable' without any network."""
    import edge_tts.communicate

    monkeypatch.setattr(
        edge_tts.communicate,
        "WSS_URL",
        f"ws://127.0.0.1:{closed_port()}/edge/v1?TrustedClientToken=test",
    )
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Say that the run reached its end: .ci/run checks it, so a test that ends the whole
    runner early (``os._exit(0)`` from code under test) cannot pass for a green suite."""
    marker = os.environ.get("NEWSVOICE_TESTS_FINISHED")
    if marker:
        Path(marker).write_text(
            f"{session.testscollected} collected, exit {exitstatus}\n", encoding="utf-8"
        )


@pytest.fixture(scope="module")
def norm():
    """The normaliser with the built-in tables only (one per test module)."""
    from newsvoice.text.normalize import Normalizer

    return Normalizer()


def page(*lines: str) -> bytes:
    """An article's lines as the bytes of a scraped page."""
    return "\n".join(lines).encode("utf-8")


@pytest.fixture
def cli_run():
    """The real CLI in a fresh process: ``cli_run("render", ...)`` -> CompletedProcess (text)."""
    import cli

    def run(*args: str, stdin: bytes | None = None, timeout: float = 300, **kw):
        return cli.run(*args, stdin=stdin, timeout=timeout, text=True, **kw)

    return run


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test that drives Chromium (it takes a ``browser`` or ``page`` fixture) is marked
    ``browser`` without anyone remembering to: the fast loop
    ``pytest -m "not slow and not browser"`` leaves it to the full run."""
    for item in items:
        if {"browser", "page", "studio_page"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.browser)
