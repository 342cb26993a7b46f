"""Every example article and the shared sample pass broadcast QC on the offline voice:
our own `check` and the independent shared checker (with the article, for coverage)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import shared_path

from newsvoice.audio.track import ffmpeg_exe
from newsvoice.pipeline.render import RenderOptions, render
from newsvoice.subtitles.check import check_file
from newsvoice.subtitles.cutter import CueRules

ROOT = Path(__file__).resolve().parents[1]
ARTICLES = sorted(ROOT.glob("examples/*.txt")) + [shared_path("samples/dai-loc-party-building.txt")]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.mark.parametrize("src", ARTICLES, ids=lambda p: p.stem)
@pytest.mark.slow
def test_article_passes_broadcast_qc(src: Path, tmp_path: Path, cache_dir: Path):
    res = render(src, tmp_path, RenderOptions(engine="espeak", cache_dir=cache_dir))
    srt_path, wav = res.outputs["srt"], res.outputs["wav"]

    ours = check_file(srt_path, CueRules(), wav)
    assert ours.errors == 0, [f.message for f in ours.findings if f.severity == "error"]

    p = subprocess.run(
        [
            sys.executable,
            str(shared_path("eval/check_subs.py")),
            str(srt_path),
            "--audio",
            str(wav),
            "--article",
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "FFMPEG": ffmpeg_exe()},
    )
    summary = p.stdout.strip().splitlines()[-1]
    stats = dict(re.findall(r"(\w+)=(\S+)", summary))
    assert stats["hard"] == "0", p.stdout
    assert stats["speech_in_gaps"] == "0", summary
    assert stats["invented"] == "0", summary
    assert float(re.search(r"words=\d+/\d+ \(([\d.]+)%\)", summary).group(1)) >= 95.0, summary

    # the voice pauses only where the text does, and no line or cue splits a word (underthesea judges)
    p = subprocess.run(
        [
            sys.executable,
            str(shared_path("eval/phrasing.py")),
            str(srt_path),
            str(wav),
            "--split-words",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "FFMPEG": ffmpeg_exe()},
    )
    phrasing = dict(re.findall(r"(\w+)=(\S+)", p.stdout.strip().splitlines()[-1]))
    assert phrasing["inserted_pauses"] == "0" and phrasing["word_splits"] == "0", p.stdout
