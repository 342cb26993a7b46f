"""`newsvoice serve` in embedded mode, through real HTTP on loopback: a real server
subprocess, its real worker processes, espeak-ng renders, a local callback receiver."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import zipfile

import httpx
import pytest
from servicekit import (
    SHORT,
    Receiver,
    Server,
    env_for,
    job_doc,
    long_article,
    serving,
    signed,
    submit,
    wait_for,
    wait_state,
)

SECRET = "s3cret-for-tests"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("svc") / "data"
    env = env_for(NEWSVOICE_CALLBACK_BACKOFF="0.2,0.2", NEWSVOICE_CALLBACK_SECRET=SECRET)
    with serving(data, "--workers", "1", env=env) as srv:
        yield srv


@pytest.fixture
def client(server):
    with server.client() as c:
        yield c


def test_health_options_voices(client):
    h = client.get("/v1/health").json()
    assert h["status"] == "ok" and h["queue"] == "embedded" and h["workers"] == 1
    opts = client.get("/v1/options").json()
    names = {o["name"] for o in opts["options"]}
    assert {"speed", "max-chars", "subs", "fps", "engine"} <= names
    assert not names & {"lexicon", "cache-dir", "no-cache"}  # server-side files stay the server's
    assert opts["defaults"]["engine"] == "espeak"  # serve --engine espeak is the server default
    assert any(v["engine"] == "espeak" and not v["online"] for v in client.get("/v1/voices").json())
    assert client.get("/docs").status_code == 200  # OpenAPI docs


def test_submit_poll_download(client, server):
    job_id = submit(client, SHORT, options={"subs": ["srt", "vtt"], "max_chars": 30})
    doc = wait_state(client, job_id)
    assert doc["state"] == "done", doc
    assert doc["title"] == "Hà Nội mưa lớn"
    assert set(doc["outputs"]) >= {"audio", "srt", "vtt", "manifest", "review"}
    wav = client.get(doc["outputs"]["audio"])
    assert wav.status_code == 200 and wav.content[:4] == b"RIFF"
    srt = client.get(doc["outputs"]["srt"]).content.decode("utf-8")
    assert "Hà Nội" in srt and "-->" in srt
    manifest = client.get(doc["outputs"]["manifest"]).json()
    assert manifest["settings"]["cues"]["max_chars"] == 30  # the option reached the render
    with zipfile.ZipFile(io.BytesIO(client.get(doc["zip"]).content)) as z:
        assert sorted(z.namelist()) == sorted(["story.wav", "story.srt", "story.vtt", "story.json"])
    page = client.get(doc["outputs"]["review"])
    assert page.status_code == 200 and f"/v1/jobs/{job_id}/files/" in page.text
    assert [j["id"] for j in client.get("/v1/jobs?limit=5").json()][0] == job_id
    # nothing half-written: only the finished folder under outputs/
    assert sorted(p.name for p in (server.data / "outputs").iterdir()) == sorted(
        j["id"] for j in client.get("/v1/jobs?limit=100").json() if j["state"] == "done"
    )


def test_identical_request_reuses_the_result(client):
    body = {"text": SHORT + " Lặp lại.", "options": {"speed": 1.1}}
    first = client.post("/v1/renders", json=body)
    assert first.status_code == 202
    wait_state(client, first.json()["id"])
    again = client.post("/v1/renders", json=body)
    assert again.status_code == 200 and again.json() == {
        "id": first.json()["id"],
        "status_url": f"/v1/jobs/{first.json()['id']}",
        "reused": True,
    }
    other = client.post("/v1/renders", json={**body, "options": {"speed": 1.2}})
    assert other.status_code == 202 and other.json()["id"] != first.json()["id"]
    wait_state(client, other.json()["id"])


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"speed": 5}, "speed"),
        ({"colour": "red"}, "colour"),
        ({"subs": ["srt", "xyz"]}, "subs"),
        ({"fps": 26}, "fps"),
        ({"max-chars": "wide"}, "max-chars"),
        ({"lexicon": ["/etc/passwd"]}, "lexicon"),
        ({"voice": "../../model.onnx"}, "voice"),
        ({"min-dur": 5, "max-dur": 2}, "options"),
    ],
)
def test_bad_option_is_422_naming_the_field(client, options, field):
    r = client.post("/v1/renders", json={"text": SHORT, "options": options})
    assert r.status_code == 422, r.text
    assert r.json()["field"] == field and r.json()["detail"]


def test_bad_article_fails_the_job_with_the_cli_line(client, tmp_path):
    junk = "... --- ...\n\n!!! ???"
    job_id = submit(client, junk)
    doc = wait_state(client, job_id)
    (tmp_path / "story.txt").write_text(junk, encoding="utf-8")
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "newsvoice",
            "render",
            "story.txt",
            "-o",
            "out",
            "--engine",
            "espeak",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env_for(),
    )
    assert doc["state"] == "failed"
    assert doc["exit_code"] == cli.returncode == 1
    assert cli.stderr.strip() == f"newsvoice: error: {doc['error']}"
    assert "outputs" not in doc or doc["outputs"] == {}


def test_cancel_running_and_queued(client, server):
    running = submit(client, long_article(150, "huỷ"))
    queued = submit(client, SHORT + " Chờ.", priority="backfill")
    wait_state(client, running, ("running",))
    doc = wait_for(lambda: (d := job_doc(client, running)).get("stage") and d)
    assert doc["stage"] in ("reading", "planning", "synthesising")
    victim = int(doc["worker"].split(":")[1])
    assert client.delete(f"/v1/jobs/{queued}").json() == {"id": queued, "state": "cancelled"}
    assert client.delete(f"/v1/jobs/{running}").json()["state"] == "cancelled"
    wait_for(lambda: victim not in server.workers(), 20)  # its worker was stopped
    assert job_doc(client, running)["state"] == "cancelled"
    assert client.delete(f"/v1/jobs/{running}").status_code == 409
    assert not (server.data / "outputs" / running).exists()
    # a new worker takes the next job
    after = submit(client, SHORT + " Sau khi huỷ.")
    assert wait_state(client, after)["state"] == "done"
    assert job_doc(client, queued)["state"] == "cancelled"


def test_callback_is_signed_and_retried(client):
    with Receiver(fail=1) as hook:
        job_id = submit(client, SHORT + " Gọi lại.", callback_url=hook.url)
        wait_state(client, job_id)
        wait_for(lambda: len(hook.got) >= 2, 30)
    headers, body = hook.got[-1]
    assert headers["X-Newsvoice-Signature"] == signed(body, SECRET)
    assert headers["X-Newsvoice-Signature"] != signed(body, "another secret")
    doc = json.loads(body)
    assert doc["id"] == job_id and doc["state"] == "done" and "audio" in doc["outputs"]
    assert hook.got[0][1] == body  # the retry sent the same signed body


def test_failed_callback_never_fails_the_job(client):
    with Receiver(fail=99) as hook:
        job_id = submit(client, SHORT + " Không ai nghe.", callback_url=hook.url)
        wait_state(client, job_id)
        doc = wait_for(lambda: (d := job_doc(client, job_id)).get("notes") and d, 30)
    assert doc["state"] == "done"
    assert doc["notes"][-1].startswith("callback: failed after 3 tries: HTTP 500")


def test_events_stream_until_final(client):
    job_id = submit(client, SHORT + " Sự kiện.")
    states = []
    with client.stream("GET", f"/v1/jobs/{job_id}/events") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("data: "):
                states.append(json.loads(line[6:])["state"])
    assert states[-1] == "done" and len(states) >= 1


def test_preview_and_lexicon(client):
    text = "VTV đưa tin bão số 3\n\nẢnh: TTXVN\n\nVTV cho biết bão số 3 đổ bộ lúc 14h."
    p = client.post("/v1/preview", json={"text": text}).json()
    assert p["headline"] == "VTV đưa tin bão số 3"
    assert p["dropped"] == [{"line": "Ảnh: TTXVN", "reason": "photo caption"}]
    assert all(
        {"index", "paragraph", "written", "spoken", "flags"} <= set(s) for s in p["sentences"]
    )
    assert client.put("/v1/lexicon", content="VTV\tĐài Truyền hình Việt Nam\n").json() == {
        "entries": 1
    }
    r = client.post("/v1/lexicon/entries", json={"written": "TTXVN", "spoken": "thông tấn xã"})
    assert r.json() == {"entries": 2}
    assert "VTV\tĐài Truyền hình Việt Nam" in client.get("/v1/lexicon").text
    p2 = client.post("/v1/preview", json={"text": text}).json()
    assert p2["sentences"][0]["spoken"].startswith("Đài Truyền hình Việt Nam")
    assert client.put("/v1/lexicon", content="no tab here\n").status_code == 422
    client.put("/v1/lexicon", content="")
    # keep_lines: a dropped line the producer wants read
    p3 = client.post("/v1/preview", json={"text": text, "keep_lines": ["Ảnh: TTXVN"]}).json()
    assert p3["dropped"] == [] and p3["sentences"][1]["written"] == "Ảnh: TTXVN"
    bad = client.post("/v1/preview", json={"text": text, "keep_lines": "x" and [1]})
    assert bad.status_code == 422 and bad.json()["field"] == "keep_lines"


def test_keep_lines_shape_the_render_and_its_key(client):
    text = "Bão số 3 đổ bộ\n\nẢnh: TTXVN\n\nBão số 3 đổ bộ vào Quảng Ninh lúc 14h."
    plain = submit(client, text)
    kept = client.post("/v1/renders", json={"text": text, "keep_lines": ["Ảnh: TTXVN"]})
    assert kept.status_code == 202 and kept.json()["id"] != plain
    srt_plain = client.get(wait_state(client, plain)["outputs"]["srt"]).text
    srt_kept = client.get(wait_state(client, kept.json()["id"])["outputs"]["srt"]).text
    assert "TTXVN" not in srt_plain and "Ảnh: TTXVN" in srt_kept


def test_worker_killed_mid_job_is_retried_once_then_fails(client, server):
    job_id = submit(client, long_article(120, "giết"))
    for attempt in (1, 2):

        def running(n: int = attempt) -> dict | None:
            d = job_doc(client, job_id)
            return d if d["state"] == "running" and d["attempts"] == n else None

        doc = wait_for(running, 60)
        os.kill(int(doc["worker"].split(":")[1]), signal.SIGKILL)
        if attempt == 1:
            wait_for(lambda: job_doc(client, job_id)["attempts"] == 2, 30)
    doc = wait_state(client, job_id, timeout=30)
    assert doc["state"] == "failed" and doc["exit_code"] == 3
    assert "worker died mid-job" in doc["error"] and "tried 2 times" in doc["error"]
    ok = submit(client, SHORT + " Sống lại.")
    assert wait_state(client, ok)["state"] == "done"


def test_server_restart_keeps_every_job(tmp_path):
    data = tmp_path / "data"
    first = serving(data, "--workers", "1")
    srv = first.__enter__()
    try:
        with srv.client() as c:
            done = submit(c, SHORT + " Trước.")
            wait_state(c, done)
            running = submit(c, long_article(60, "khởi động lại"))
            queued = [submit(c, SHORT + f" Hàng đợi {i}.") for i in range(3)]
            wait_state(c, running, ("running",))
        srv.crash()
    finally:
        first.__exit__(None, None, None)
    with serving(data, "--workers", "1") as again, again.client() as c:
        assert job_doc(c, done)["state"] == "done"
        for job_id in [running, *queued]:
            assert wait_state(c, job_id, timeout=120)["state"] == "done"
        assert job_doc(c, running)["attempts"] == 2
        assert "server restarted" in job_doc(c, running)["notes"][0]


def test_serve_refuses_open_binding_beyond_loopback(tmp_path):
    r = subprocess.run(
        [sys.executable, "-m", "newsvoice", "serve", "--host", "0.0.0.0", "--data", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env_for(),
        timeout=60,
    )
    assert r.returncode == 2
    assert r.stderr.strip().startswith("newsvoice: error: --host 0.0.0.0: binding beyond loopback")
    assert len(r.stderr.strip().splitlines()) == 1


def test_access_and_limits(tmp_path):
    env = env_for(NEWSVOICE_TOKENS="token-a,token-b")
    with serving(tmp_path / "data", "--rate", "8/min", env=env) as srv:
        a, b = srv.client("token-a"), srv.client("token-b")
        anon, wrong = srv.client(None), srv.client("token-c")
        assert anon.get("/v1/jobs").status_code == 401
        assert wrong.post("/v1/renders", json={"text": SHORT}).status_code == 401
        assert wrong.get("/v1/jobs").json()["detail"] == "missing or unknown bearer token"
        # an upload's name is never a path
        for name in ("../../escape.txt", "..\\..\\escape.txt", "/etc/cron.d/x.txt"):
            r = a.post(
                "/v1/renders",
                files={"file": (name, SHORT.encode("utf-8"), "text/plain")},
                data={"request": json.dumps({"options": {"subs": "srt"}})},
            )
            assert r.status_code in (200, 202), r.text
        job_id = r.json()["id"]
        doc = wait_state(a, job_id)
        assert doc["state"] == "done" and doc["request"]["file"] == "x.txt"
        assert "story.srt" in doc["outputs"]["srt"]
        assert not list(tmp_path.rglob("escape.txt")) and not list(tmp_path.rglob("x.txt"))
        bad = a.post("/v1/renders", files={"file": ("run.exe", b"MZ", "application/octet-stream")})
        assert bad.status_code == 422 and bad.json()["field"] == "file"
        # another token's job does not exist for b
        assert b.get(f"/v1/jobs/{job_id}").status_code == 404
        assert b.get(f"/v1/jobs/{job_id}/zip").status_code == 404
        assert b.get(f"/v1/jobs/{job_id}/files/story.wav").status_code == 404
        assert b.delete(f"/v1/jobs/{job_id}").status_code == 404
        assert b.get("/v1/jobs").json() == []
        assert a.get(f"/v1/jobs/{job_id}/files/..%2Fjobs.sqlite").status_code == 404
        assert a.get(f"/v1/jobs/{job_id}/files/.hidden").status_code == 404
        # oversize: the article limit, and a body past any limit before it is read
        big = a.post("/v1/renders", json={"text": "Tin. " * 500_000})
        assert big.status_code == 413 and big.json()["field"] == "text"
        huge = httpx.post(
            f"{srv.url}/v1/renders",
            content=b"x" * (11 << 20),
            headers={"Authorization": "Bearer token-a", "Content-Type": "application/json"},
        )
        assert huge.status_code == 413
        # rate limit: b's requests are b's alone
        codes = [b.post("/v1/preview", json={"text": SHORT}).status_code for _ in range(9)]
        assert codes[:8] == [200] * 8 and codes[8] == 429
        r = b.post("/v1/preview", json={"text": SHORT})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
        assert b.get("/v1/jobs").status_code == 200  # reading is not limited
        for c in (a, b, anon, wrong):
            c.close()


def test_alignment_of_a_recording(client):
    text = SHORT + " Bản đọc."
    rendered = wait_state(client, submit(client, text))
    wav = client.get(rendered["outputs"]["audio"]).content
    r = client.post(
        "/v1/alignments",
        data={"text": text, "request": json.dumps({"options": {"subs": ["srt", "vtt"]}})},
        files={"recording": ("../voice over.wav", wav, "audio/wav")},
    )
    assert r.status_code == 202, r.text
    doc = wait_state(client, r.json()["id"], timeout=120)
    assert doc["state"] == "done" and doc["kind"] == "align", doc
    assert {"srt", "vtt", "manifest"} <= set(doc["outputs"])
    srt = client.get(doc["outputs"]["srt"]).text
    assert "Hà Nội" in srt and "-->" in srt
    none = client.post("/v1/alignments", data={"text": text})
    assert none.status_code == 422 and none.json()["field"] == "recording"


def test_serve_takes_its_config_table(tmp_path):
    config = tmp_path / "site.toml"
    config.write_text(
        '[serve]\ntokens = ["from-config"]\nrate = "5/min"\nmax-chars = 30\nfps = "29.97"\n',
        encoding="utf-8",
    )
    # --config is a global option: it may follow the command (the CLI hoists it)
    srv = Server(tmp_path / "data", "--config", str(config), token="from-config")
    srv.start()
    try:
        with srv.client() as c, srv.client("nope") as other:
            defaults = c.get("/v1/options").json()["defaults"]
            assert defaults["max-chars"] == 30 and defaults["fps"] == "29.97"
            assert other.get("/v1/options").status_code == 401
    finally:
        srv.stop()
