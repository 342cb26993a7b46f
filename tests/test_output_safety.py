"""Output safety (issue 17): planted symlinks, mixed output sets, inputs as outputs,
leftover temps, damaged outputs, batch folder ownership, cache roots and non-UTF-8 names.

Real files, real symlinks, real processes; espeak is real.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
from cli import run

from newsvoice.cache.phrases import Entry, PhraseCache, phrase_key
from newsvoice.cache.prune import prune
from newsvoice.errors import OutputError
from newsvoice.outputs.files import write_outputs
from newsvoice.pipeline.batch import BatchOptions, plan_items, run_batch
from newsvoice.pipeline.render import RenderOptions, render

ARTICLE = "Tin vắn\n\nSáng nay, xã Đại Lộc tổ chức họp dân về đê điều.\n"


@pytest.fixture
def article(tmp_path) -> Path:
    src = tmp_path / "tin.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    return src


def opts(tmp_path: Path, **kw) -> RenderOptions:
    return RenderOptions(engine="espeak", cache_dir=tmp_path / "cache", **kw)


def wav_samples(path: Path) -> int:
    with wave.open(str(path)) as w:
        return w.getnframes()


def test_planted_symlinks_never_redirect_a_write(tmp_path, article):
    out = tmp_path / "shared"
    out.mkdir()
    victims = {
        name: tmp_path / f"victim-{i}"
        for i, name in enumerate(
            [
                f".newsvoice-write-test-{os.getpid()}",
                f".tin.wav.part-{os.getpid()}",
                f".tin.srt.part-{os.getpid()}",
                f".tin.json.part-{os.getpid()}",
                "tin.srt",
            ]
        )
    }
    for name, victim in victims.items():
        victim.write_bytes(b"precious")
        (out / name).symlink_to(victim)
    render(article, out, opts(tmp_path))
    for victim in victims.values():
        assert victim.read_bytes() == b"precious"
    for name in ("tin.wav", "tin.srt", "tin.json"):
        assert not (out / name).is_symlink() and (out / name).stat().st_size > 0
    assert (out / "tin.srt").read_text(encoding="utf-8").startswith("1\n")


def test_a_set_that_fails_midway_leaves_no_manifest_beside_mixed_files(tmp_path, article):
    out = tmp_path / "out"
    render(article, out, opts(tmp_path, subs=("srt", "vtt")))
    old_manifest = (out / "tin.json").read_bytes()
    # the .vtt cannot be replaced (a folder now sits at its name), after the .wav and .srt were
    (out / "tin.vtt").unlink()
    (out / "tin.vtt").mkdir()
    (out / "tin.vtt" / "keep").write_text("x")
    with pytest.raises(OutputError):
        render(article, out, opts(tmp_path, subs=("srt", "vtt"), pauses=_pauses(tail=2000)))
    # before: the old manifest stayed, describing a .wav that is no longer there
    manifest = out / "tin.json"
    assert not manifest.exists() or manifest.read_bytes() != old_manifest
    assert not manifest.exists()
    assert [p.name for p in out.iterdir() if ".part" in p.name] == []


def _pauses(**kw):
    from newsvoice.text.plan import Pauses

    return Pauses(**kw)


@pytest.mark.slow
def test_concurrent_renders_of_one_article_leave_a_consistent_set(tmp_path, article):
    out, cache = tmp_path / "out", tmp_path / "cache"
    base = [
        sys.executable,
        "-m",
        "newsvoice",
        "-q",
        "render",
        str(article),
        "-o",
        str(out),
        "--engine",
        "espeak",
        "--cache-dir",
        str(cache),
    ]
    run(
        "render",
        str(article),
        "-o",
        str(tmp_path / "warm"),
        "--engine",
        "espeak",
        "--cache-dir",
        str(cache),
    )
    for _ in range(3):
        procs = [subprocess.Popen([*base, "--pause-tail", tail]) for tail in ("100", "3000")]
        assert [p.wait(timeout=120) for p in procs] == [0, 0]
        man = json.loads((out / "tin.json").read_text(encoding="utf-8"))
        assert man["samples"] == wav_samples(out / "tin.wav")
        assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_an_output_that_is_an_input_is_refused(tmp_path):
    src = tmp_path / "tin.json"
    src.write_text(ARTICLE, encoding="utf-8")
    p = run(
        "render",
        str(src),
        "-o",
        str(tmp_path),
        "--engine",
        "espeak",
        "--cache-dir",
        str(tmp_path / "c"),
    )
    assert p.returncode == 1, p.stderr.decode()
    assert "is an input" in p.stderr.decode() and "Traceback" not in p.stderr.decode()
    assert src.read_text(encoding="utf-8") == ARTICLE
    with pytest.raises(OutputError, match="is an input"):
        write_outputs({tmp_path / "x.srt": b"1", tmp_path / "tin.json": b"{}"}, inputs=[src])
    assert src.read_text(encoding="utf-8") == ARTICLE


def test_a_killed_renders_temps_are_swept_by_the_next_render(tmp_path, article):
    out = tmp_path / "out"
    out.mkdir()
    for name in (".tin.wav.part-4242", ".tin.json.part-k3j2_x", ".other.wav.part-1"):
        (out / name).write_bytes(b"half")
    render(article, out, opts(tmp_path))
    assert sorted(p.name for p in out.iterdir()) == [
        ".other.wav.part-1",
        "tin.json",
        "tin.srt",
        "tin.wav",
    ]


def test_a_damaged_output_is_not_up_to_date(tmp_path, article):
    o = opts(tmp_path)
    assert [r.status for r in run_batch([article], tmp_path / "out", o, BatchOptions(jobs=1))] == [
        "ok"
    ]
    (wav,) = (tmp_path / "out").glob("tin-*/tin.wav")
    good = wav.read_bytes()
    assert [r.status for r in run_batch([article], tmp_path / "out", o, BatchOptions(jobs=1))] == [
        "skipped"
    ]
    wav.write_bytes(good[: len(good) // 2])  # truncated
    assert [r.status for r in run_batch([article], tmp_path / "out", o, BatchOptions(jobs=1))] == [
        "ok"
    ]
    assert wav.read_bytes() == good
    damaged = bytearray(good)
    damaged[-10] ^= 0xFF  # same size, other bytes
    wav.write_bytes(bytes(damaged))
    assert [r.status for r in run_batch([article], tmp_path / "out", o, BatchOptions(jobs=1))] == [
        "ok"
    ]
    assert wav.read_bytes() == good


def test_batch_folders_belong_to_one_source(tmp_path):
    a, b = tmp_path / "a" / "tin.txt", tmp_path / "b" / "tin.txt"
    for p, place in ((a, "Hội An"), (b, "Tam Kỳ")):
        p.parent.mkdir()
        p.write_text(f"Tin vắn\n\nSáng nay, xã {place} họp dân.\n", encoding="utf-8")
    out, o = tmp_path / "out", opts(tmp_path)
    both = run_batch([a, b], out, o, BatchOptions(jobs=1))
    assert [r.status for r in both] == ["ok", "ok"]
    slugs = [r.slug for r in both]
    assert slugs[0] != slugs[1] and all(s.startswith("tin-") for s in slugs)
    # the same names whatever else a run is given
    assert [i.slug for i in plan_items([b, a], out)] == slugs[::-1]

    # a folder stamped by another source is refused, not replaced
    stamp = out / slugs[1] / ".newsvoice-done"
    doc = json.loads(stamp.read_text("utf-8"))
    stamp.write_text(json.dumps({**doc, "source": "/elsewhere/tin.txt"}), encoding="utf-8")
    b_srt = (out / slugs[1] / "tin.srt").read_bytes()
    again = run_batch([b], out, o, BatchOptions(jobs=1))
    assert again[0].status == "failed" and "holds the render of" in again[0].error
    assert (out / slugs[1] / "tin.srt").read_bytes() == b_srt


def _filled_cache(root: Path, n: int = 4) -> PhraseCache:
    cache = PhraseCache(root)
    for i in range(n):
        cache.put(phrase_key("espeak", "vi", str(i)), Entry(np.full(500, i, np.int16), np.zeros(0)))
    return cache


def test_prune_refuses_a_folder_that_is_not_a_cache(tmp_path):
    victim = tmp_path / "photos" / "ab"
    victim.mkdir(parents=True)
    (victim / "holiday.pcm").write_bytes(b"x" * 5000)
    p = run("cache", "prune", "--cache-dir", str(tmp_path / "photos"), "--max-size", "0", "--yes")
    assert p.returncode == 1 and "not a newsvoice cache" in p.stderr.decode()
    assert (victim / "holiday.pcm").exists()
    _filled_cache(tmp_path / "c")
    assert (
        (tmp_path / "c" / "CACHEDIR.TAG")
        .read_text()
        .startswith("Signature: 8a477f597d28d172789f06886806bc55")
    )


def test_prune_needs_a_unit_and_asks_before_deleting_most_of_the_cache(tmp_path):
    _filled_cache(tmp_path / "c")
    entries = sorted((tmp_path / "c").glob("??/*.pcm"))
    p = run("cache", "prune", "--cache-dir", str(tmp_path / "c"), "--max-size", "10")
    assert p.returncode == 2 and "needs a unit" in p.stderr.decode()
    p = run("cache", "prune", "--cache-dir", str(tmp_path / "c"), "--max-size", "1k", stdin=b"")
    assert p.returncode == 1 and "--yes" in p.stderr.decode()
    assert sorted((tmp_path / "c").glob("??/*.pcm")) == entries
    p = run(
        "cache", "prune", "--cache-dir", str(tmp_path / "c"), "--max-size", "3.2k"
    )  # a quarter: no question
    assert p.returncode == 0 and "removed\t1" in p.stdout.decode()
    p = run("cache", "prune", "--cache-dir", str(tmp_path / "c"), "--max-size", "0", "--yes")
    assert p.returncode == 0 and list((tmp_path / "c").glob("??/*")) == []


def test_prune_to_zero_removes_fresh_temps_too(tmp_path):
    cache = _filled_cache(tmp_path / "c")
    fresh = next((tmp_path / "c").glob("??")) / ".leftover.pcm.abc.tmp"
    fresh.write_bytes(b"x")
    prune(cache, 10**9)
    assert fresh.exists()  # young temps may belong to a running render
    prune(cache, 0)
    assert not fresh.exists()


def test_a_full_disk_leaves_no_cache_temps(tmp_path):
    """RLIMIT_FSIZE makes every write past 4 kB fail as a full disk would (EFBIG)."""
    code = (
        "import resource, signal, numpy as np\n"
        "from newsvoice.cache.phrases import Entry, PhraseCache, phrase_key\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))\n"
        f"c = PhraseCache(__import__('pathlib').Path({str(tmp_path / 'c')!r}))\n"
        "for i in range(30):\n"
        "    c.put(phrase_key('espeak', 'vi', str(i)), Entry(np.zeros(20000, np.int16), np.zeros(0)))\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr.decode()
    assert (tmp_path / "c").is_dir()
    assert [
        f.name for f in (tmp_path / "c").rglob("*") if f.is_file() and f.name != "CACHEDIR.TAG"
    ] == []


def test_a_file_name_that_is_not_utf8_is_written_and_reported(tmp_path):
    folder = os.fsencode(tmp_path / "in")
    os.mkdir(folder)
    name = os.path.join(folder, b"tin-\xff.txt")
    with open(name, "wb") as f:
        f.write(ARTICLE.encode("utf-8"))
    out = tmp_path / "out"
    p = run(
        "render",
        os.fsdecode(name),
        "-o",
        str(out),
        "--engine",
        "espeak",
        "--cache-dir",
        str(tmp_path / "c"),
    )
    assert p.returncode == 0, p.stderr.decode()
    manifest = json.loads(
        Path(os.fsdecode(os.path.join(os.fsencode(out), b"tin-\xff.json"))).read_bytes()
    )
    assert manifest["source"].endswith("tin-\ufffd.txt")
    p = run(
        "batch",
        str(tmp_path / "in"),
        "-o",
        str(tmp_path / "b"),
        "--engine",
        "espeak",
        "--cache-dir",
        str(tmp_path / "c"),
        "-j",
        "1",
    )
    assert p.returncode == 0, p.stderr.decode()
    assert "Traceback" not in p.stderr.decode()
    rows = json.loads((tmp_path / "b" / "report.json").read_text(encoding="utf-8"))["articles"]
    assert rows[0]["status"] == "ok" and rows[0]["file"].endswith("tin-\ufffd.txt")
    assert (tmp_path / "b" / "report.csv").is_file()
