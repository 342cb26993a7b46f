"""Broadcast delivery (issue 26): Broadcast WAV bext v2 + iXML read by wavinfo (a reader
we did not write) and checked against ffmpeg's ebur128; MP3 ID3 read by mutagen; Avid
DS subtitles; --start-tc in every subtitle format, read back by ffmpeg and pysubs2."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pysubs2
import pytest
import wavinfo
from mutagen.id3 import ID3

from newsvoice.audio.track import ffmpeg_exe
from newsvoice.options import RenderOptions
from newsvoice.pipeline.render import render
from newsvoice.subtitles.check import check_file
from newsvoice.subtitles.formats import avid, encode, read_file
from newsvoice.subtitles.rules import Cue, CueRules

ARTICLE = (
    "Đê điều Đại Lộc\n\nSáng nay, xã Đại Lộc tổ chức họp dân về đê điều. "
    "Người dân đồng tình với kế hoạch gia cố bờ sông trước mùa mưa lũ.\n"
)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[Path, dict]:
    tmp = tmp_path_factory.mktemp("deliv")
    src = tmp / "de-dieu.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    res = render(
        src,
        tmp / "out",
        RenderOptions(
            engine="espeak",
            subs=("srt", "vtt", "ttml", "avid"),
            start_tc="10:00:00:00",
            station="VTV8",
            cache_dir=tmp / "c",
        ),
    )
    return tmp / "out", json.loads(res.outputs["json"].read_text("utf-8"))


def ebur128(path: Path) -> dict[str, float]:
    """ffmpeg's integrated, LRA and true peak, and the largest momentary and short-term values
    of its 10 Hz frame log."""
    p = subprocess.run(
        [
            ffmpeg_exe(),
            "-hide_banner",
            "-nostats",
            "-v",
            "verbose",
            "-i",
            str(path),
            "-af",
            "ebur128=peak=true:framelog=verbose",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    summary = p.stderr[p.stderr.rindex("Summary:") :]
    num = r"\s*(-?[\d.]+|-inf)"
    frames = p.stderr[: p.stderr.rindex("Summary:")]
    return {
        "I": float(re.search(r"I:" + num + " LUFS", summary).group(1)),
        "LRA": float(re.search(r"LRA:" + num + " LU", summary).group(1)),
        "TP": float(re.search(r"Peak:" + num + " dBFS", summary).group(1)),
        "M": max(float(v) for v in re.findall(r"\bM:" + num, frames)),
        "S": max(float(v) for v in re.findall(r"\bS:" + num, frames)),
    }


def test_bext_loudness_equals_the_manifest_and_ffmpeg_agrees(rendered):
    out, manifest = rendered
    wav = out / "de-dieu.wav"
    bext = wavinfo.WavInfoReader(str(wav)).bext
    loud = manifest["loudness"]
    assert bext.version == 2
    assert bext.loudness_value == loud["integrated_lufs"]
    assert bext.loudness_range == loud["lra_lu"]
    assert bext.max_true_peak == loud["true_peak_dbtp"]
    assert bext.max_momentary_loudness == loud["max_momentary_lufs"]
    assert bext.max_shortterm_loudness == loud["max_short_term_lufs"]
    ff = ebur128(wav)
    assert abs(ff["I"] - bext.loudness_value) <= 0.1, ff
    assert abs(ff["M"] - bext.max_momentary_loudness) <= 0.1, ff
    assert abs(ff["S"] - bext.max_shortterm_loudness) <= 0.1, ff
    assert abs(ff["LRA"] - bext.loudness_range) <= 1.0, ff  # meters differ in LRA's percentiles
    assert ff["TP"] <= -1.0 and bext.max_true_peak <= -1.0


def test_bext_and_ixml_carry_story_origin_and_start_timecode(rendered):
    out, manifest = rendered
    info = wavinfo.WavInfoReader(str(out / "de-dieu.wav"))
    assert info.bext.originator == "VTV8" and info.bext.originator_ref == "de-dieu"
    assert (
        info.bext.description == "de-dieu: De dieu Dai Loc"
    )  # bext text is ASCII; iXML keeps the Vietnamese
    assert info.bext.time_reference == 36000 * 48000  # 10:00:00:00
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", info.bext.originator_date)
    assert info.bext.coding_history.startswith("A=PCM,F=48000,W=24,M=mono")
    assert info.ixml.project == "VTV8" and info.ixml.scene == "de-dieu"
    assert "<NOTE>Đê điều Đại Lộc</NOTE>" in info.ixml.source.decode("utf-8")
    assert info.fmt.sample_rate == 48000 and info.fmt.bits_per_sample == 24
    assert info.data.frame_count == manifest["samples"]
    assert manifest["settings"]["bwf"] is True and manifest["settings"]["start_tc"] == "10:00:00:00"


def test_every_subtitle_file_starts_at_the_timecode_and_readers_agree(rendered):
    out, manifest = rendered
    want = [(round(36000 + c["start"], 3), round(36000 + c["end"], 3)) for c in manifest["cues"]]
    for suffix in (".srt", ".vtt", ".ttml", ".avid.txt"):
        got = [
            (round(s.start.total_seconds(), 3), round(s.end.total_seconds(), 3))
            for s in read_file(out / f"de-dieu{suffix}")
        ]
        assert got == want, suffix
    for suffix in (".srt", ".vtt", ".ttml"):  # a reader we did not write
        subs = pysubs2.load(str(out / f"de-dieu{suffix}"))
        assert [(e.start / 1000, e.end / 1000) for e in subs] == want, suffix
    assert "Đại Lộc" in (out / "de-dieu.avid.txt").read_text("utf-8-sig")
    rep = check_file(out / "de-dieu.avid.txt", CueRules())
    assert rep.errors == 0 and rep.cues == len(want)


def _srt_clock(s: float) -> str:
    ms = round(s * 1000)
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def _ffmpeg_srt_times(path: Path) -> list[tuple[str, str]]:
    """ffmpeg demuxes the SRT and writes it again: its own reading of the cue times."""
    p = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(path), "-f", "srt", "-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return re.findall(r"(\d\d:\d\d:\d\d,\d{3}) --> (\d\d:\d\d:\d\d,\d{3})", p.stdout)


@pytest.mark.parametrize(
    ("fps", "tc", "first"),
    [
        (25.0, "10:00:00:00", "10:00:00,000"),
        (29.97, "10:00:00;00", "09:59:59,964"),  # drop-frame: 1 078 920 frames of 1001/30000 s
        (50.0, "10:00:00:00", "10:00:00,000"),
    ],
)
def test_start_tc_is_frame_exact_in_srt_ttml_and_avid(tmp_path, fps, tc, first):
    rules = CueRules(fps=fps)
    rate = rules.fps_exact
    cues = [
        Cue(0, 61, ["Sáng nay, xã Đại Lộc"], (0, 4), rate),
        Cue(1799, 1901, ["họp dân về đê điều."], (4, 8), rate),
    ]  # 29.97: across the first dropped labels
    opts = RenderOptions(start_tc=tc, cues=rules)
    from newsvoice.options import start_frames

    k = start_frames(opts)
    for name, suffix in (("srt", ".srt"), ("ttml", ".ttml"), ("avid", ".avid.txt")):
        (tmp_path / f"x{suffix}").write_bytes(encode(name, cues, start_frames=k))
    want = [float(Fraction(c.start_f + k) / rate) for c in cues]
    srt_times = _ffmpeg_srt_times(tmp_path / "x.srt")
    assert srt_times[0][0] == first
    assert [t[0] for t in srt_times] == [f"{_srt_clock(w)}" for w in want]
    assert [
        round(float(s.start.total_seconds()), 3) for s in read_file(tmp_path / "x.avid.txt", rate)
    ] == [round(w, 3) for w in want]
    ttml = pysubs2.load(str(tmp_path / "x.ttml"))
    assert [e.start for e in ttml] == [round(w * 1000) for w in want]
    text = (tmp_path / "x.avid.txt").read_text("utf-8-sig")
    pairs = re.findall(r"^(\d\d:\S+) (\d\d:\S+)\r?$", text, flags=re.M)
    assert [avid.parse(a, avid.FrameRate(rate)) for a, _ in pairs] == [c.start_f + k for c in cues]


def test_mp3_carries_id3_title_and_station(tmp_path):
    src = tmp_path / "tin.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    res = render(
        src,
        tmp_path / "o",
        RenderOptions(
            engine="espeak", audio_format="mp3", station="VOV1", cache_dir=tmp_path / "c"
        ),
    )
    tags = ID3(str(res.outputs["mp3"]))
    assert str(tags["TIT2"]) == "Đê điều Đại Lộc" and str(tags["TPUB"]) == "VOV1"


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "newsvoice", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def test_no_bwf_writes_a_plain_wav_and_a_bad_start_tc_is_a_usage_error(tmp_path):
    src = tmp_path / "tin.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    p = _cli(
        "-q",
        "render",
        str(src),
        "-o",
        "o",
        "--engine",
        "espeak",
        "--no-bwf",
        "--cache-dir",
        "c",
        cwd=tmp_path,
    )
    assert p.returncode == 0, p.stderr
    info = wavinfo.WavInfoReader(str(tmp_path / "o" / "tin.wav"))
    assert info.bext is None and info.ixml is None and info.fmt.sample_rate == 48000
    p = _cli(
        "render",
        str(src),
        "-o",
        "bad",
        "--engine",
        "espeak",
        "--fps",
        "29.97",
        "--start-tc",
        "10:01:00;01",
        cwd=tmp_path,
    )
    assert p.returncode == 2 and "Traceback" not in p.stderr and "dropped label" in p.stderr
    assert not (tmp_path / "bad").exists() or not any((tmp_path / "bad").iterdir())
