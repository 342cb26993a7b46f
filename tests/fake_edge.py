"""A local websocket server that speaks edge-tts's protocol (nothing leaves this machine).

It answers each SSML request with real MP3 bytes (espeak-ng speech encoded by the
bundled ffmpeg) and one WordBoundary event per word, timed from espeak's own word
events, in 100-ns ticks as the real service sends them.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from xml.sax.saxutils import unescape

TICKS = 10_000_000
LEAD_S = 0.1  # the service starts its audio with a little silence; so do we


def edge_answer(text: str) -> tuple[bytes, list[tuple[str, int, int]]]:
    """(MP3 bytes, [(word, offset ticks, duration ticks)]) for ``text``, from espeak-ng."""
    import subprocess

    import numpy as np

    from newsvoice.audio.track import ffmpeg_exe
    from newsvoice.speech.engines.espeak import EspeakEngine

    sp = EspeakEngine("vi").synthesize(text)
    lead = np.zeros(int(LEAD_S * sp.rate), np.int16)
    pcm = np.concatenate([lead, sp.samples])
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
        "48k",
        "-f",
        "mp3",
        "pipe:1",
    ]
    mp3 = subprocess.run(cmd, input=pcm.tobytes(), capture_output=True, check=True).stdout
    starts = [w.start_s + LEAD_S for w in sp.words]
    ends = [*starts[1:], sp.duration_s + LEAD_S]
    words = [
        (text[w.text_offset : w.text_offset + w.length], round(s * TICKS), round((e - s) * TICKS))
        for w, s, e in zip(sp.words, starts, ends, strict=True)
    ]
    return mp3, [w for w in words if w[0].strip()]


def _text_msg(path: str, body: str) -> str:
    return (
        f"X-RequestId:{uuid.uuid4().hex}\r\nContent-Type:application/json; charset=utf-8\r\n"
        f"Path:{path}\r\n\r\n{body}"
    )


def _audio_msg(data: bytes, content_type: str = "audio/mpeg") -> bytes:
    header = (
        f"X-RequestId:{uuid.uuid4().hex}\r\nContent-Type:{content_type}\r\n"
        f"X-StreamId:{uuid.uuid4().hex}\r\nPath:audio\r\n"
    ).encode()
    return len(header).to_bytes(2, "big") + header + data


@dataclass
class FakeEdge:
    """Scripted like FakeGoogle: one entry per connection; when empty, requests succeed.
    Entries: an HTTP status (int) or (status, retry_after), "garbage" (audio that is not
    MP3), "hang" (say nothing), "close" (drop the connection after the request)."""

    url: str = ""
    script: list = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    answers: dict = field(default_factory=dict)

    def next_action(self):
        with self.lock:
            self.connections += 1
            return self.script.pop(0) if self.script else "ok"

    def answer(self, text: str):
        with self.lock:
            if text not in self.answers:
                self.answers[text] = edge_answer(text)
            return self.answers[text]


def _ssml_text(msg: str) -> str:
    m = re.search(r"<prosody[^>]*>(.*)</prosody>", msg, re.S)
    return unescape(m.group(1)) if m else ""


class EdgeServer:
    """Runs the fake in its own thread and event loop on 127.0.0.1."""

    def __init__(self) -> None:
        self.state = FakeEdge()
        self.loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> FakeEdge:
        self._thread.start()
        self._started.wait(10)
        return self.state

    def _run(self) -> None:
        from websockets.asyncio.server import serve

        async def main() -> None:
            async with serve(
                self._handler, "127.0.0.1", 0, process_request=self._process_request
            ) as server:
                port = server.sockets[0].getsockname()[1]
                self.state.url = f"ws://127.0.0.1:{port}/edge/v1?TrustedClientToken=test"
                self._stop = asyncio.Event()
                self._started.set()
                await self._stop.wait()

        self.loop.run_until_complete(main())

    def stop(self) -> None:
        if hasattr(self, "_stop"):
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5)

    def _process_request(self, connection, request):
        action = self.state.next_action()
        status, retry_after = action if isinstance(action, tuple) else (action, None)
        if isinstance(status, int):
            resp = connection.respond(HTTPStatus(status), "no\n")
            if retry_after is not None:
                resp.headers["Retry-After"] = str(retry_after)
            return resp
        connection.nv_action = action
        return None

    async def _handler(self, ws) -> None:
        action = getattr(ws, "nv_action", "ok")
        async for msg in ws:
            if not isinstance(msg, str) or "Path:ssml" not in msg:
                continue
            text = _ssml_text(msg)
            if action == "hang":
                await asyncio.sleep(30)
                return
            if action == "close":
                await ws.close()
                return
            mp3, words = self.state.answer(text)
            with self.state.lock:
                self.state.texts.append(text)
            await ws.send(_text_msg("turn.start", "{}"))
            for word, offset, duration in words:
                meta = {
                    "Metadata": [
                        {
                            "Type": "WordBoundary",
                            "Data": {
                                "Offset": offset,
                                "Duration": duration,
                                "text": {
                                    "Text": word,
                                    "Length": len(word),
                                    "BoundaryType": "WordBoundary",
                                },
                            },
                        }
                    ]
                }
                await ws.send(_text_msg("audio.metadata", json.dumps(meta, ensure_ascii=False)))
            body = b"\x00garbage, not audio\xff" * 40 if action == "garbage" else mp3
            for i in range(0, len(body), 4096):
                await ws.send(_audio_msg(body[i : i + 4096]))
            await ws.send(_text_msg("turn.end", "{}"))
