"""Reliability round 3 (issue 28): planted folder symlinks, stale siblings, run-independent
batch folders, outputs over inputs, secrets in URLs, bounded reads, and more.

Real files, real symlinks, real processes, real HTTP servers on localhost; espeak is real.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cli import run

from newsvoice.pipeline.batch import BatchOptions, run_batch
from newsvoice.pipeline.render import RenderOptions

ARTICLE = "Tin vắn\n\nSáng nay, xã Đại Lộc tổ chức họp dân về đê điều.\n"


def opts(tmp_path: Path, **kw) -> RenderOptions:
    return RenderOptions(engine="espeak", cache_dir=tmp_path / "cache", **kw)


def one_line_error(p: subprocess.CompletedProcess, code: int = 1) -> str:
    err = p.stderr.decode("utf-8", "replace")
    assert p.returncode == code, (p.returncode, err)
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


# ---------------------------------------------------------------- 1. planted folder symlinks


def test_batch_refuses_symlinks_planted_at_locks_and_slug_folders(tmp_path):
    """batch-symlink-dirs.sh: nothing outside OUT is deleted, replaced, swept or written."""
    (tmp_path / "in").mkdir()
    src = tmp_path / "in" / "tin.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    try:
        from newsvoice.pipeline.batch import item_slug

        slug = item_slug(src)
    except ImportError:  # before the fix the folder was the plain slug
        slug = "tin"
    victims = {
        tmp_path / "victimlocks": {f"{slug}.lock": b"precious"},
        tmp_path / "victimdir": {"tin.json": b"precious json", ".tin.wav.part-abc": b"keep"},
    }
    for folder, files in victims.items():
        folder.mkdir()
        for name, data in files.items():
            (folder / name).write_bytes(data)
    (out / slug).symlink_to(tmp_path / "victimdir")
    (out / ".locks").symlink_to(tmp_path / "victimlocks")
    rows = run_batch([src], out, opts(tmp_path), BatchOptions(jobs=1))
    assert rows[0].status == "failed" and "symlink" in rows[0].error
    (out / ".locks").unlink()  # only the slug folder planted: still refused
    rows = run_batch([src], out, opts(tmp_path), BatchOptions(jobs=1))
    assert rows[0].status == "failed" and "symlink" in rows[0].error
    for folder, files in victims.items():
        assert {p.name: p.read_bytes() for p in folder.iterdir()} == files


# ---------------------------------------------------------------- 3. batch folders


def test_batch_folder_is_a_function_of_the_source_alone(tmp_path):
    """slug-depends-on-run.sh: alone or together, a.tin and b.tin keep their folders."""
    a, b = tmp_path / "a" / "tin.txt", tmp_path / "b" / "tin.txt"
    for p, place in ((a, "Hội An"), (b, "Tam Kỳ")):
        p.parent.mkdir()
        p.write_text(f"Tin vắn\n\nSáng nay, xã {place} họp dân.\n", encoding="utf-8")
    out, o = tmp_path / "out", opts(tmp_path)
    alone = run_batch([a], out, o, BatchOptions(jobs=1))
    both = run_batch([a, b], out, o, BatchOptions(jobs=1))
    assert [r.status for r in both] == ["skipped", "ok"]  # a is not rendered twice
    assert both[0].slug == alone[0].slug != both[1].slug
    assert [r.status for r in run_batch([b], out, o, BatchOptions(jobs=1))] == ["skipped"]
    assert sorted(d.name for d in out.iterdir() if d.is_dir()) == sorted(
        [".locks", both[0].slug, both[1].slug]
    )


# ---------------------------------------------------------------- 4. outputs over inputs


@pytest.mark.slow
def test_batch_output_inside_its_input_folder_does_not_collect_itself(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "tin.txt").write_text(ARTICLE, encoding="utf-8")
    args = [
        "batch",
        str(inp),
        "-o",
        str(inp / "out"),
        "--engine",
        "espeak",
        "--cache-dir",
        str(tmp_path / "c"),
        "-j",
        "1",
        "-q",
        "--review",
    ]
    for _ in range(2):
        p = run(*args)
        assert p.returncode == 0, p.stderr.decode()
    report = json.loads((inp / "out" / "report.json").read_text("utf-8"))
    assert [Path(r["file"]).name for r in report["articles"]] == ["tin.txt"]
    assert report["articles"][0]["status"] == "skipped"


# ---------------------------------------------------------------- 5. secrets in URLs


class _Page(BaseHTTPRequestHandler):
    def log_message(self, *a):  # quiet
        pass

    def do_GET(self):
        if self.path.startswith("/tin/bao-lu.txt"):
            body = ARTICLE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path.startswith("/trickle"):
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            try:
                for _ in range(100):
                    self.wfile.write(b"a")
                    self.wfile.flush()
                    time.sleep(0.3)
            except OSError:
                pass
        else:
            self.send_response(404)
            self.end_headers()


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.slow
def test_url_credentials_never_reach_messages_reports_manifests_or_folders(server, tmp_path):
    url = f"http://editor:s3cret@{server}/tin/bao-lu.txt?token=t0ps3cr3t&page=2"
    out = tmp_path / "out"
    p = run(
        "batch",
        url,
        f"http://editor:s3cret@{server}/mat?access_token=t0ps3cr3t",
        "-o",
        str(out),
        "--engine",
        "espeak",
        "--cache-dir",
        str(tmp_path / "c"),
        "-j",
        "1",
    )
    assert p.returncode == 3, p.stderr.decode()
    written = [p.stderr] + [f.read_bytes() for f in out.rglob("*") if f.is_file()]
    names = [str(f) for f in out.rglob("*")]
    assert written and not any(b"s3cret" in w or b"t0ps3cr3t" in w for w in written)
    assert not any(
        "s3cret" in n or "t0ps3cr3t" in n or "token" in n or "page" in n for n in names
    ), names
    report = json.loads((out / "report.json").read_text("utf-8"))
    ok = [r for r in report["articles"] if r["status"] == "ok"]
    assert len(ok) == 1 and "editor:***@" in ok[0]["file"] and "token=***" in ok[0]["file"]
    manifest = json.loads(next(out.glob("bao-lu-*/bao-lu*.json")).read_text("utf-8"))
    assert "***" in manifest["source"]
    p = run(
        "render", url.replace("bao-lu", "khong-co"), "-o", str(tmp_path / "r"), "--engine", "espeak"
    )
    err = one_line_error(p)
    assert "s3cret" not in err and "t0ps3cr3t" not in err and "HTTP 404" in err


# ---------------------------------------------------------------- 2. stale siblings


def test_a_rerender_removes_the_previous_renders_other_outputs(tmp_path):
    """stale-siblings.sh: no tin.wav, tin.vtt or tin.ttml of the old render beside the new manifest."""
    src = tmp_path / "tin.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    out, c = tmp_path / "out", ["--engine", "espeak", "--cache-dir", str(tmp_path / "c"), "-q"]
    assert run("render", str(src), "-o", str(out), "--subs", "srt,vtt,ttml", *c).returncode == 0
    (out / "tin.notes.txt").write_text("mine", encoding="utf-8")  # not ours: kept
    (out / "other.vtt").write_text("WEBVTT\n", encoding="utf-8")
    p = run(
        "render", str(src), "-o", str(out), "--subs", "srt", "--format", "mp3", "--speed", "1.2", *c
    )
    assert p.returncode == 0, p.stderr.decode()
    manifest = json.loads((out / "tin.json").read_text("utf-8"))
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*manifest["outputs"].values(), "tin.json", "tin.notes.txt", "other.vtt"]
    )
    assert not (out / "tin.wav").exists() and not (out / "tin.vtt").exists()


# ---------------------------------------------------------------- 4. outputs over inputs


@pytest.mark.slow
def test_review_pages_never_replace_inputs_or_other_files(tmp_path):
    page = tmp_path / "tin.html"
    page.write_text(
        "<html><body><h1>Bão lũ miền Trung gây thiệt hại</h1><p>"
        + ARTICLE.splitlines()[2]
        + " Người dân đã được sơ tán kịp thời trước khi lũ về.</p></body></html>",
        encoding="utf-8",
    )
    before = page.read_bytes()
    c = ["--engine", "espeak", "--cache-dir", str(tmp_path / "c"), "-q"]
    p = run("render", str(page), "-o", str(tmp_path), "--review", *c)
    assert p.returncode == 1 and b"Traceback" not in p.stderr, p.stderr.decode()
    assert page.read_bytes() == before
    out = tmp_path / "out"
    src = tmp_path / "tin.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    assert run("render", str(src), "-o", str(out), *c).returncode == 0
    keep = tmp_path / "notes.html"
    keep.write_text("my notes", encoding="utf-8")
    for target in (out / "tin.json", out / "tin.wav", out / "tin.srt", src, keep):
        before = target.read_bytes()
        one_line_error(run("review", str(out / "tin.json"), "-o", str(target)))
        assert target.read_bytes() == before, target
    assert run("review", str(out / "tin.json")).returncode == 0
    assert run("review", str(out / "tin.json")).returncode == 0  # our own page is replaced


# ---------------------------------------------------------------- 7. bounded reads


@pytest.mark.parametrize(
    "args", [["check", "/dev/zero"], ["review", "/dev/zero"], ["--config", "/dev/zero", "voices"]]
)
def test_devices_are_refused_before_reading(args):
    t0 = time.monotonic()
    err = one_line_error(run(*args, timeout=30))
    assert time.monotonic() - t0 < 20 and "device" in err, err


def test_a_fifo_or_device_in_the_caches_is_not_read(tmp_path):
    from newsvoice.cache.phrases import PhraseCache
    from newsvoice.pipeline.render import render

    src = tmp_path / "tin.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    o = opts(tmp_path)
    first = render(src, tmp_path / "a", o)
    cache = PhraseCache(tmp_path / "cache")
    (unit, *_), _ = cache.entries()[0], None
    unit.unlink()
    os.mkfifo(unit)
    (meta,) = (tmp_path / "cache" / "renders").glob("*/*/meta.json")
    meta.unlink()
    meta.symlink_to("/dev/zero")
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "newsvoice",
            "render",
            str(src),
            "-o",
            str(tmp_path / "b"),
            "--engine",
            "espeak",
            "--cache-dir",
            str(tmp_path / "cache"),
            "-q",
        ],
        capture_output=True,
        timeout=60,
    )
    assert p.returncode == 0, p.stderr.decode()
    again = json.loads((tmp_path / "b" / "tin.json").read_text("utf-8"))
    assert (
        again["totals"]["engine_calls"] == 1 and abs(again["duration_s"] - first.duration_s) < 0.05
    )
    assert not os.path.exists(meta) or os.path.isfile(meta)  # the planted link was dropped


def test_a_memo_meta_with_wrong_types_is_a_miss_not_a_traceback(tmp_path):
    src = tmp_path / "tin.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    c = ["--engine", "espeak", "--cache-dir", str(tmp_path / "c")]
    assert run("render", str(src), "-o", str(tmp_path / "a"), *c).returncode == 0
    (meta,) = (tmp_path / "c" / "renders").glob("*/*/meta.json")
    doc = json.loads(meta.read_text())
    doc["result"]["duration_s"] = "long"
    meta.write_text(json.dumps(doc))
    p = run("render", str(src), "-o", str(tmp_path / "b"), *c)
    assert (
        p.returncode == 0 and b"Traceback" not in p.stderr and b"Logging error" not in p.stderr
    ), p.stderr


# ---------------------------------------------------------------- 12. non-UTF-8 names


@pytest.mark.slow
def test_non_utf8_names_review_and_align(tmp_path):
    """nonutf8-names.sh"""
    folder = os.fsencode(tmp_path)
    name = os.path.join(folder, b"tin\xff\xfe.txt")
    with open(name, "wb") as f:
        f.write(ARTICLE.encode())
    out = os.path.join(folder, b"out")
    c = ["--engine", "espeak", "--cache-dir", str(tmp_path / "c"), "-q"]
    p = run("render", os.fsdecode(name), "-o", os.fsdecode(out), "--review", *c)
    assert p.returncode == 0, p.stderr.decode()
    manifest = os.path.join(out, b"tin\xff\xfe.json")
    assert os.path.exists(os.path.join(out, b"tin\xff\xfe.html"))
    assert run("review", os.fsdecode(manifest)).returncode == 0
    rec = os.path.join(folder, b"rec\xff.wav")
    with open(os.path.join(out, b"tin\xff\xfe.wav"), "rb") as a, open(rec, "wb") as b:
        b.write(a.read())
    p = run(
        "align",
        os.fsdecode(name),
        os.fsdecode(rec),
        "-o",
        str(tmp_path / "aout"),
        "-q",
        "--cache-dir",
        str(tmp_path / "c"),
    )
    assert p.returncode == 0 and b"Traceback" not in p.stderr, p.stderr.decode()
    with open(os.path.join(os.fsencode(tmp_path / "aout"), b"rec\xff.json"), "rb") as f:
        doc = json.loads(f.read())
    assert doc["recording"].endswith("rec\ufffd.wav")


# ---------------------------------------------------------------- 15. prune


def test_prune_skips_an_entry_it_cannot_delete(tmp_path):
    src = tmp_path / "tin.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    c = ["--cache-dir", str(tmp_path / "c")]
    assert (
        run("render", str(src), "-o", str(tmp_path / "a"), "--engine", "espeak", *c).returncode == 0
    )
    from newsvoice.cache.phrases import PhraseCache
    from newsvoice.cache.prune import info

    (first, *_rest) = sorted(p for p, _, _ in PhraseCache(tmp_path / "c").entries())
    first.unlink()
    first.mkdir()  # an entry name the prune may not unlink (as root, a folder stands in for EPERM)
    (first / "x").write_bytes(b"x")
    p = run("cache", "prune", "--max-size", "0", "--yes", *c)
    assert p.returncode == 0 and b"Traceback" not in p.stderr, p.stderr.decode()
    assert b"skipped" in p.stderr
    assert info(PhraseCache(tmp_path / "c")).entries == 1  # all the others deleted


# ---------------------------------------------------------------- 8, 14. Word files


def test_a_docx_zip_bomb_is_refused_before_inflating(tmp_path):
    import zipfile

    bomb = tmp_path / "bom.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/media/big.bin", "w") as f:
            for _ in range(80):
                f.write(bytes(1 << 20))
    assert bomb.stat().st_size < 1 << 20
    t0 = time.monotonic()
    err = one_line_error(run("sentences", str(bomb), timeout=60))
    assert "too large once unpacked" in err and time.monotonic() - t0 < 15


def test_a_docx_table_without_grid_is_skipped_not_a_traceback(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("Sáng nay, xã Đại Lộc họp dân về đê điều.")
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text = "Xã"
    grid = t._tbl.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblGrid")
    t._tbl.remove(grid)
    path = tmp_path / "bang.docx"
    d.save(path)
    p = run("sentences", str(path))
    assert p.returncode == 0 and b"Traceback" not in p.stderr, p.stderr.decode()
    assert "Đại Lộc" in p.stdout.decode()


# ---------------------------------------------------------------- 16, 21. subtitle files


def test_deeply_nested_ttml_is_read_without_recursion(tmp_path):
    path = tmp_path / "sau.ttml"
    inner = "<span>" * 1200 + "Xin chào" + "</span>" * 1200
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?><tt xmlns="http://www.w3.org/ns/ttml"><body><div>'
        f'<p begin="00:00:01.000" end="00:00:03.000">{inner}</p></div></body></tt>',
        encoding="utf-8",
    )
    p = run("check", str(path))
    assert b"Traceback" not in p.stderr and b"RecursionError" not in p.stderr, p.stderr.decode()
    assert p.returncode in (0, 1)


def test_a_vtt_without_its_header_is_refused_not_read_as_srt(tmp_path):
    path = tmp_path / "tin.vtt"
    path.write_text("1\n00:02.000 --> 00:04.000\nXin chào quý vị\n", encoding="utf-8")
    err = one_line_error(run("check", str(path)))
    assert "WEBVTT" in err


# ---------------------------------------------------------------- 9. fetch deadline


@pytest.mark.slow
def test_a_trickling_server_is_cut_off_by_the_whole_request_deadline(server):
    from newsvoice.errors import InputError
    from newsvoice.inputs.sources import read_source

    t0 = time.monotonic()
    with pytest.raises(InputError, match="within 3 s"):
        read_source(f"http://{server}/trickle", timeout=1.0)  # each read is quick; the whole is not
    assert time.monotonic() - t0 < 6


# ---------------------------------------------------------------- 6. Ctrl-C inside espeak


_SIGINT_SCRIPT = r"""
import os, signal, sys, threading, time
from newsvoice.speech.engines.espeak import _library
lib = _library()
text = " ".join(["Sáng nay, xã Đại Lộc tổ chức họp dân về đê điều và kế hoạch phòng chống lũ."] * 600)  # ~5 s: the timer fires inside it even on a loaded machine
threading.Timer(float(sys.argv[1]), lambda: os.kill(os.getpid(), signal.SIGINT)).start()
t0 = time.monotonic()
try:
    pcm, _ = lib.synth(text, "vi", 175)
except KeyboardInterrupt:
    print("interrupted")
else:
    print("completed", time.monotonic() - t0)
"""


def test_ctrl_c_during_espeak_synthesis_is_not_swallowed():
    """sigint-swallowed.sh: the interrupt lands in the ctypes callback; it must stop the synthesis."""
    for delay in ("0.05", "0.15", "0.3"):
        p = subprocess.run(
            [sys.executable, "-c", _SIGINT_SCRIPT, delay], capture_output=True, timeout=60
        )
        assert p.stdout.decode().split()[:1] == ["interrupted"], (
            delay,
            p.stdout,
            p.stderr.decode()[-300:],
        )
        assert b"Exception ignored" not in p.stderr


# ---------------------------------------------------------------- 13. empty <sub>


def test_an_empty_or_blank_sub_mark_renders(tmp_path):
    src = tmp_path / "tin.txt"
    src.write_text(
        'Tin vắn\n\nSáng nay, <sub alias="Ủy ban nhân dân"></sub> xã họp dân. '
        'Chiều nay, <sub alias="Hội đồng">   </sub> họp tiếp về đê điều.\n',
        encoding="utf-8",
    )
    p = run(
        "render",
        str(src),
        "-o",
        str(tmp_path / "out"),
        "--engine",
        "espeak",
        "--cache-dir",
        str(tmp_path / "c"),
        "-q",
    )
    assert p.returncode == 0 and b"Traceback" not in p.stderr and b"panic" not in p.stderr, (
        p.stderr.decode()
    )
    assert "Ủy ban nhân dân" in (tmp_path / "out" / "tin.srt").read_text("utf-8")
