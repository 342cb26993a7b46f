"""The CLI's fast paths do not load the audio stack: help, bad input and the text
commands run without numpy, scipy, pydub, the word segmenter's joblib or any engine.

Each case runs the real CLI in a fresh interpreter and records which modules were
imported when it exited (timing lives in bench/startup.py, not here).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

RUNNER = """
import atexit, json, sys

def no_network(event, args):  # a regression that probes a service must not reach the internet
    if event in ("socket.connect", "socket.getaddrinfo"):
        addr = args[1] if event == "socket.connect" else args
        host = addr[0] if isinstance(addr, tuple) else ""
        if host not in ("127.0.0.1", "::1", "localhost", ""):
            raise OSError(f"network disabled in this test ({host})")

sys.addaudithook(no_network)
out = sys.argv[1]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
sys.argv = ["newsvoice", *sys.argv[2:]]
from newsvoice.cli.app import main
main()
"""

AUDIO_STACK = (
    "numpy",
    "scipy",
    "pydub",
    "underthesea_core",
    "joblib",
    "srt",
    "tenacity",
    "requests",
)
ENGINE_MODULES = (
    "newsvoice.speech.engines.espeak",
    "newsvoice.speech.engines.google",
    "newsvoice.speech.engines.edge",
    "newsvoice.speech.engines.piper",
)
AUDIO_MODULES = (
    "newsvoice.pipeline.render",
    "newsvoice.audio.track",
    "newsvoice.audio.loudness",
    "newsvoice.subtitles.cutter",
    "newsvoice.speech.synth",
    "newsvoice.speech.timeline",
    "newsvoice.text.wordseg",
)
ARTICLE = "Tin vắn\n\nSáng 11/01, UBND xã tổ chức họp dân về giá điện tăng 4,8%.\n"


def imported(tmp_path: Path, *args: str, code: int = 0) -> tuple[set[str], str]:
    """Run ``newsvoice ARGS``; return the modules loaded at exit and stderr."""
    record = tmp_path / "modules.json"
    env = {**os.environ, "NO_PROXY": "*"}
    p = subprocess.run(
        [sys.executable, "-c", RUNNER, str(record), *args],
        capture_output=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    err = p.stderr.decode()
    assert p.returncode == code, err
    assert "Traceback" not in err
    return set(json.loads(record.read_text())), err


def heavy(mods: set[str], names=AUDIO_STACK + ENGINE_MODULES + AUDIO_MODULES) -> list[str]:
    return sorted(m for m in mods if m in names or m.split(".")[0] in names)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {
        "article": tmp_path / "tin.txt",
        "empty": tmp_path / "empty.txt",
        "binary": tmp_path / "bin.txt",
        "nothing": tmp_path / "nothing.txt",
    }
    out["article"].write_text(ARTICLE, encoding="utf-8")
    out["empty"].write_bytes(b"")
    out["binary"].write_bytes(bytes(range(256)) * 8)
    out["nothing"].write_text("!!!\n\n---\n", encoding="utf-8")
    return out


@pytest.mark.parametrize(
    "args", [("--help",), ("render", "--help"), ("batch", "--help"), ("align", "--help")]
)
def test_help_loads_no_audio_or_engine(tmp_path, args):
    mods, _ = imported(tmp_path, *args)
    assert heavy(mods) == []


def test_render_help_still_lists_every_engine(tmp_path):
    p = subprocess.run(
        [sys.executable, "-m", "newsvoice", "render", "--help"],
        capture_output=True,
        cwd=tmp_path,
        timeout=120,
    )
    text = " ".join(p.stdout.decode().split())
    for name in ("auto", "gtts", "edge", "espeak", "piper"):
        assert name in text


@pytest.mark.parametrize(
    ("case", "needle"),
    [
        ("missing", "no such file"),
        ("empty", "is empty"),
        ("binary", "binary"),
        ("nothing", "no sentences to narrate"),
    ],
)
def test_bad_render_input_fails_before_the_audio_stack(tmp_path, files, case, needle):
    """Default engine (auto): a bad article is reported before Google is probed."""
    src = files.get(case, tmp_path / "nope.txt")
    mods, err = imported(tmp_path, "render", str(src), "-o", str(tmp_path / "out"), code=1)
    assert needle in err
    assert len(err.strip().splitlines()) == 1, err
    assert heavy(mods) == []
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_unwritable_output_fails_before_the_audio_stack(tmp_path, files):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    mods, err = imported(
        tmp_path,
        "render",
        str(files["article"]),
        "-o",
        str(blocker / "out"),
        "--engine",
        "espeak",
        code=1,
    )
    assert "cannot write to output folder" in err
    assert heavy(mods) == []


def test_bad_option_value_is_a_usage_error_without_the_audio_stack(tmp_path, files):
    mods, err = imported(tmp_path, "render", str(files["article"]), "--subs", "srt,docx", code=2)
    assert "docx" in err
    assert heavy(mods) == []


@pytest.mark.parametrize("command", ["sentences", "normalize"])
def test_text_commands_load_no_audio_and_no_engine_registry(tmp_path, files, command):
    mods, _ = imported(tmp_path, command, str(files["article"]))
    assert heavy(mods) == []
    assert sorted(m for m in mods if m.startswith("newsvoice.speech.engines")) == []


def test_a_good_render_still_loads_the_audio_stack(tmp_path, files):
    """The runner sees real imports: the same command on a good article does load them."""
    mods, _ = imported(
        tmp_path,
        "render",
        str(files["article"]),
        "-o",
        str(tmp_path / "out"),
        "--engine",
        "espeak",
        "--no-cache",
    )
    assert {"numpy", "newsvoice.pipeline.render", "newsvoice.speech.engines.espeak"} <= mods
    assert "scipy.signal" not in mods  # a short programme is K-weighted and resampled with numpy
    assert (tmp_path / "out" / "tin.wav").exists()


def test_word_segmenter_model_reads_the_same_objects_without_joblib():
    """wordseg reads underthesea's feature list and dictionary with pickle: the same
    objects joblib returns, the same tags, and neither joblib nor numpy loaded for it."""
    import joblib
    from underthesea_core import CRFFeaturizer

    from newsvoice.text import wordseg

    base = Path(wordseg.importlib.util.find_spec("underthesea").origin).parent.joinpath(
        *wordseg._MODEL
    )
    loaded = {}
    for name in ("features.bin", "dictionary.bin"):
        ours, theirs = wordseg._load_pickle(base / name), joblib.load(base / name)
        assert type(ours) is type(theirs) and ours == theirs and len(ours) > 10
        loaded[name] = theirs
    text = [
        "Sáng",
        "nay",
        ",",
        "Bộ",
        "Công",
        "Thương",
        "kiểm",
        "soát",
        "giá",
        "điện",
        "tại",
        "thành",
        "phố",
        "Hồ",
        "Chí",
        "Minh",
    ]
    seg = wordseg._Segmenter()
    x = CRFFeaturizer(loaded["features.bin"], loaded["dictionary.bin"]).process(
        [[[t] for t in text]]
    )[0]
    assert seg.tags(text) == list(seg.tagger.tag(x))
    assert "I-W" in seg.tags(text)
    code = (
        "import sys; from newsvoice.text.wordseg import inside_word; inside_word(['kiểm', 'soát']); "
        "print(sorted(m for m in ('joblib', 'numpy') if m in sys.modules))"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120, check=True)
    assert p.stdout.decode().strip() == "[]"
