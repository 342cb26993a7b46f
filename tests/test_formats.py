"""Subtitle formats: each writer beside its reader, and real clients (ffmpeg, libass) read them."""

from __future__ import annotations

import subprocess
import xml.etree.ElementTree as ET

import pytest
import srt
from hypothesis import given, settings
from hypothesis import strategies as st

from newsvoice.audio.track import ffmpeg_exe
from newsvoice.errors import InputError
from newsvoice.subtitles import formats
from newsvoice.subtitles.cutter import Cue


def _cues():
    return [
        Cue(7, 50, ["Dòng một,", "dòng hai."], (0, 3)),
        Cue(52, 100, ["Giá xăng <giảm> & dầu"], (3, 8)),
    ]


@pytest.mark.parametrize("name", formats.NAMES)
def test_every_format_reads_back_what_it_wrote(name, tmp_path):
    fmt = formats.get(name)
    path = tmp_path / f"x{fmt.suffix}"
    path.write_text(fmt.write(_cues()), encoding="utf-8")
    back = formats.read_file(path)  # chosen by content, not by suffix
    assert [s.content for s in back] == ["Dòng một,\ndòng hai.", "Giá xăng <giảm> & dầu"]
    assert [(s.start.total_seconds(), s.end.total_seconds()) for s in back] == [
        (0.28, 2.0),
        (2.08, 4.0),
    ]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 10_000),
            st.integers(1, 200),
            st.text(
                st.characters(
                    codec="utf-8", exclude_categories=["Cc", "Cs", "Zl", "Zp", "Co", "Cn"]
                ),
                min_size=1,
                max_size=30,
            )
            .map(str.strip)
            .filter(bool),
        ),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(formats.NAMES),
)
def test_round_trip_property(items, name):
    cues, t = [], 0
    for gap, dur, text in items:
        t += gap + 2
        cues.append(Cue(t, t + dur, [" ".join(text.split())], (0, 1)))
        t += dur
    fmt = formats.get(name)
    back = fmt.read(fmt.write(cues))
    assert [b.content for b in back] == [c.text for c in cues]
    assert [round(b.start.total_seconds(), 3) for b in back] == [round(c.start, 3) for c in cues]


def test_vtt_escapes_and_times():
    vtt = formats.get("vtt").write([Cue(25, 75, ["A & B <C>"], (0, 1))])
    assert vtt.startswith("WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.000\nA &amp; B &lt;C&gt;\n")


def test_ebutt_is_wellformed_ttml_with_one_p_per_cue():
    root = ET.fromstring(formats.get("ttml").write(_cues()).encode("utf-8"))
    ns = {"tt": "http://www.w3.org/ns/ttml"}
    assert root.get("{http://www.w3.org/ns/ttml#parameter}timeBase") == "media"
    ps = root.findall(".//tt:p", ns)
    assert [(p.get("begin"), p.get("end")) for p in ps] == [
        ("00:00:00.280", "00:00:02.000"),
        ("00:00:02.080", "00:00:04.000"),
    ]
    span = ps[0].find("tt:span", ns)
    assert span.text == "Dòng một," and span.find("tt:br", ns).tail == "dòng hai."


def test_unparseable_file_is_one_line_input_error(tmp_path):
    bad = tmp_path / "bad.ttml"
    bad.write_text('<tt xmlns="http://www.w3.org/ns/ttml"><body><p begin="x"', encoding="utf-8")
    with pytest.raises(InputError) as e:
        formats.read_file(bad)
    assert "\n" not in str(e.value) and "EBU-TT-D" in str(e.value)


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
def test_ffmpeg_reads_our_subtitles(tmp_path, fmt):
    cues = [
        Cue(k * 50, k * 50 + 45, [f"Phụ đề số {k}", "dòng thứ hai"], (k, k + 1)) for k in range(6)
    ]
    sub = tmp_path / f"s.{fmt}"
    sub.write_text(formats.get(fmt).write(cues), encoding="utf-8")
    mkv = tmp_path / "out.mkv"
    subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-f",
            "lavfi",
            "-t",
            "13",
            "-i",
            "anullsrc=r=48000:cl=mono",
            "-i",
            str(sub),
            "-map",
            "0:a",
            "-map",
            "1:s",
            "-c:a",
            "pcm_s16le",
            "-c:s",
            "srt",
            "-t",
            "13",
            "-y",
            str(mkv),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    p = subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-i",
            str(mkv),
            "-map",
            "0:s",
            "-c",
            "copy",
            "-f",
            "srt",
            "-",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    back = list(srt.parse(p.stdout.decode("utf-8")))
    assert len(back) == len(cues)
    assert back[3].content == "Phụ đề số 3\ndòng thứ hai"


def _frame_max(sub, t: float) -> int:
    """Brightest pixel of a black video frame at `t` with `sub` burnt in by libass."""
    p = subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-f",
            "lavfi",
            "-t",
            "4",
            "-i",
            "color=c=black:s=320x180:r=25",
            "-vf",
            f"subtitles={sub.name}",
            "-ss",
            str(t),
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "gray",
            "-",
        ],
        check=True,
        capture_output=True,
        timeout=60,
        cwd=sub.parent,
    )
    return max(p.stdout)


def test_ffmpeg_burns_our_srt_into_video(tmp_path):
    sub = tmp_path / "burn.srt"
    sub.write_text(
        formats.get("srt").write([Cue(25, 50, ["Phụ đề tiếng Việt"], (0, 1))]), encoding="utf-8"
    )
    assert _frame_max(sub, 1.5) > 100  # text drawn while the cue is on
    assert _frame_max(sub, 3.0) == 0  # and gone after it


def test_the_bom_the_user_asks_for_lands_only_in_the_format_that_takes_it():
    cues = [Cue(0, 50, ["Xin chào"], (0, 1), 25)]
    asked = {name: formats.encode(name, cues, bom=True) for name in formats.NAMES}
    plain = {name: formats.encode(name, cues) for name in formats.NAMES}
    bom = "\ufeff".encode()
    assert asked["srt"].startswith(bom) and not plain["srt"].startswith(bom)
    assert not asked["vtt"].startswith(bom) and not asked["ttml"].startswith(bom)
    assert asked["avid"].startswith(bom) and plain["avid"].startswith(bom)  # always
