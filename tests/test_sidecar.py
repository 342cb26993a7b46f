"""The render's sidecar process (issue 15): a second core for an offline engine.

What must hold: a render with the sidecar writes exactly what a render without it
writes (same unit cache), the sidecar really does part of the work, and nothing it
can do wrong (die, never start, outlive its render) breaks or outlasts a render.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from newsvoice.audio.loudness import (
    CHUNK,
    Source,
    _scan,
    chunks_of,
    join_scans,
    scan_backward,
    scan_forward,
)
from newsvoice.cache.renders import Lookup
from newsvoice.options import RenderOptions
from newsvoice.pipeline.render import render as _render
from newsvoice.pipeline.sidecar import (
    IDLE_MIN_CHARS,
    MIN_CHARS,
    Sidecar,
    usable,
)
from newsvoice.speech.engines import EngineSettings

REPO = Path(__file__).resolve().parents[1]
ARTICLE = REPO / "examples" / "kinh-te-quy-3.txt"
SAMPLE = (
    Path(os.environ.get("NEWSVOICE_SHARED", REPO.parent / "shared"))
    / "samples/dai-loc-party-building.txt"
)
pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the sidecar is Linux-only"
)


def render(src: Path, out: Path, opts: RenderOptions, **kw):
    """A real render every time: the render memo would restore a repeated one
    (an empty Lookup: nothing to restore, nowhere to store)."""
    return _render(src, out, opts, looked=Lookup(), **kw)


def _opts(cache: Path, jobs: int) -> RenderOptions:
    return RenderOptions(engine="espeak", cache_dir=cache, jobs=jobs, subs=("srt", "vtt"))


def _files(result) -> dict[str, bytes]:
    """The outputs, the manifest without its engine-call counts (cold vs warm cache)."""
    out = {k: p.read_bytes() for k, p in result.outputs.items()}
    doc = json.loads(out["json"])
    doc["totals"].pop("engine_calls")
    doc["totals"].pop("cache_hits")
    out["json"] = json.dumps(doc, sort_keys=True).encode()
    return out


def test_a_sidecar_starts_for_long_programmes_or_shorter_ones_on_an_idle_core():
    """A second process pays for its start on a long programme whatever the load, on a
    shorter one only while another core is idle (issue 27: on the shared sample, ~3,800
    characters, it took a quiet box from 1.22 to 0.97 s, and a busy one from 4.4 to 6.4 s)."""
    sample = len(SAMPLE.read_text(encoding="utf-8"))
    assert IDLE_MIN_CHARS < sample < MIN_CHARS
    for idle in (True, False):
        assert usable("process", True, 2, MIN_CHARS, idle=idle)
        assert not usable("process", True, 1, MIN_CHARS * 10, idle=idle)
        assert not usable("thread", True, 2, MIN_CHARS * 10, idle=idle)
        assert not usable("process", False, 2, MIN_CHARS * 10, idle=idle)  # no cache
        assert not usable("process", True, 2, IDLE_MIN_CHARS - 1, idle=idle)
        assert usable("process", True, 2, sample, idle=idle) is idle
        assert usable("process", True, 2, MIN_CHARS - 1, idle=idle) is idle


def test_started_says_whether_the_engine_is_open_without_waiting(tmp_path):
    """The render asks started() before waiting for a sidecar: True once it has opened
    its engine, False for one that died (it never will)."""
    with Sidecar.start("espeak", "vi", EngineSettings()) as side:
        side.ready()
        assert side.started() and side.started()
    side = Sidecar.start("espeak", "vi", EngineSettings())
    try:
        os.kill(side.pid, signal.SIGKILL)
        while _alive(side.pid):
            time.sleep(0.05)
        assert not side.started()
    finally:
        side.close()
    assert not side.started()


@pytest.mark.slow
def test_two_processes_write_what_one_writes(tmp_path):
    """Same unit cache: --jobs 2 (synthesis from both ends, loudness scanned from both
    ends) gives byte-identical audio, subtitles and manifest to --jobs 1."""
    cache = tmp_path / "cache"
    # started and ready before the render, as the CLI arranges (one started by the render
    # itself may join after a short article's synthesis is over)
    with Sidecar.start("espeak", "vi", EngineSettings()) as side:
        side.ready()
        cold = render(ARTICLE, tmp_path / "cold", _opts(cache, 2), sidecar=side)
    assert cold.sidecar is not None
    assert cold.sidecar["units"] > 0, "the sidecar synthesised nothing"
    assert cold.sidecar["chunks"] > 0, "the sidecar scanned no loudness chunk"
    assert (
        cold.engine_calls + cold.cache_hits == cold.units
    )  # its units are counted as engine calls
    one = render(ARTICLE, tmp_path / "one", _opts(cache, 1))
    two = render(ARTICLE, tmp_path / "two", _opts(cache, 2))
    assert one.sidecar is None and one.engine_calls == 0
    assert _files(one) == _files(two)
    assert one.loudness == two.loudness


@pytest.mark.slow
def test_engine_calls_match_a_single_process_render(tmp_path):
    """Counting: a cold render reports the units the engine spoke, whichever process spoke them."""
    two = render(ARTICLE, tmp_path / "two", _opts(tmp_path / "c2", 2))
    one = render(ARTICLE, tmp_path / "one", _opts(tmp_path / "c1", 1))
    assert (two.engine_calls, two.cache_hits) == (one.engine_calls, one.cache_hits)


@pytest.mark.slow
def test_a_dead_sidecar_costs_only_speed(tmp_path):
    cache = tmp_path / "cache"
    ref = render(ARTICLE, tmp_path / "ref", _opts(cache, 1))
    side = Sidecar.start("espeak", "vi", EngineSettings())
    try:
        os.kill(side.pid, signal.SIGKILL)
        time.sleep(0.2)
        got = render(ARTICLE, tmp_path / "got", _opts(cache, 2), sidecar=side)
    finally:
        side.close()
    assert got.sidecar == {"units": 0, "chunks": 0}
    assert _files(got) == _files(ref)


def test_a_sidecar_for_another_voice_is_not_used(tmp_path):
    with Sidecar.start("espeak", "vi-VN-x-south", EngineSettings()) as side:
        got = render(ARTICLE, tmp_path / "o", _opts(tmp_path / "c", 2), sidecar=side)
    assert got.sidecar is None  # the render started none of its own either: it was given one


@pytest.mark.slow
def test_short_articles_and_jobs_1_and_no_cache_work_alone(tmp_path):
    short = tmp_path / "short.txt"
    short.write_text("Hà Nội hôm nay trời nắng. Nhiệt độ cao nhất 35 độ C.\n", encoding="utf-8")
    assert render(short, tmp_path / "a", _opts(tmp_path / "c", 2)).sidecar is None
    assert render(ARTICLE, tmp_path / "b", _opts(tmp_path / "c", 1)).sidecar is None
    no_cache = replace(_opts(tmp_path / "c", 2), use_cache=False)
    assert render(ARTICLE, tmp_path / "d", no_cache).sidecar is None


@pytest.mark.slow
def test_a_script_without_a_main_guard_runs_once(tmp_path):
    """multiprocessing's spawn would re-run the caller's script in the child; the sidecar
    must not (a library cannot ask its users for an ``if __name__ == '__main__'``)."""
    log = tmp_path / "runs.log"
    script = tmp_path / "user_script.py"
    long = tmp_path / "long.txt"  # long enough for a sidecar (see MIN_CHARS)
    body = ARTICLE.read_text(encoding="utf-8").split("\n", 1)[1]
    long.write_text("Bản tin dài\n" + body * (MIN_CHARS // len(body) + 1), encoding="utf-8")
    script.write_text(
        textwrap.dedent(f"""
        from pathlib import Path
        from newsvoice.options import RenderOptions
        from newsvoice.pipeline.sidecar import start_for
        from newsvoice.text.article import read_source_article
        with open({str(log)!r}, "a") as f:
            f.write("run\\n")
        opts = RenderOptions(engine="espeak", cache_dir=Path({str(tmp_path / "c")!r}))
        side = start_for("espeak", "vi", opts, read_source_article({str(long)!r}))
        side.ready()
        print(side is not None)
        side.close()
    """),
        encoding="utf-8",
    )
    p = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "True"
    assert log.read_text().count("run") == 1


def test_the_sidecar_exits_when_its_render_dies(tmp_path):
    """A render killed outright (no close) must not leave its sidecar running."""
    code = textwrap.dedent("""
        import os, sys
        from newsvoice.speech.engines import EngineSettings
        from newsvoice.pipeline.sidecar import Sidecar
        side = Sidecar.start("espeak", "vi", EngineSettings())
        print(side.pid, flush=True)
        os.kill(os.getpid(), 9)
    """)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    pid = int(p.stdout.split()[0])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.1)
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("n", [CHUNK * 3, CHUNK * 5 + 12345, CHUNK - 7])
def test_scans_from_both_ends_join_into_the_whole(n):
    """Any meeting point, and a chunk scanned by both: the joined scan is the one-pass scan."""
    rng = np.random.default_rng(n)
    t = np.arange(n) / 48000
    x = (
        0.3 * np.sin(2 * np.pi * 220 * t) * (1 + np.sin(2 * np.pi * 0.3 * t)) / 2
        + 0.01 * rng.standard_normal(n)
    ).astype(np.float32)
    src = Source.of(x)
    whole = _scan(src)
    power, stats = whole.power, whole.stats
    last = chunks_of(n) - 1
    for meet in range(last + 1):
        head = scan_forward(src, lambda k, m=meet: k > m)
        tail = scan_backward(src, lambda k, m=meet: k < m)  # chunk `meet` is scanned by both
        got = join_scans(src, head, tail)
        np.testing.assert_allclose(got.power, power, rtol=1e-6, atol=1e-12)
        np.testing.assert_array_equal(got.stats, stats)
    missing = join_scans(src, {}, {})  # nobody scanned anything: the join scans it all
    np.testing.assert_allclose(missing.power, power, rtol=1e-6, atol=1e-12)
