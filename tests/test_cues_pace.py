"""Hard cue rules hold at the slowest and fastest paces render supports (espeak at
--speed 0.8 and 1.3), judged by the independent shared checker with the audio."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import shared_path

from newsvoice.audio.track import ffmpeg_exe
from newsvoice.options import SPEED_RANGE
from newsvoice.pipeline.render import RenderOptions, render

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("speed", SPEED_RANGE)
@pytest.mark.slow
def test_hard_rules_hold_at_the_pace_limits(speed: float, tmp_path: Path):
    src = ROOT / "examples" / "kinh-te-quy-3.txt"
    res = render(
        src, tmp_path, RenderOptions(engine="espeak", speed=speed, cache_dir=tmp_path / "cache")
    )
    p = subprocess.run(
        [
            sys.executable,
            str(shared_path("eval/check_subs.py")),
            str(res.outputs["srt"]),
            "--audio",
            str(res.outputs["wav"]),
            "--article",
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "FFMPEG": ffmpeg_exe()},
    )
    stats = dict(re.findall(r"(\w+)=(\S+)", p.stdout.strip().splitlines()[-1]))
    assert stats["hard"] == "0", p.stdout
    assert stats["speech_in_gaps"] == "0", p.stdout
