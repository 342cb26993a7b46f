"""Cue timing from audio spans: frame grid, gaps, durations, and the file formats."""

from __future__ import annotations

import subprocess
from fractions import Fraction

import pytest
import srt
from hypothesis import given, settings
from hypothesis import strategies as st
from newsvoice.subtitles import Cue, CueRules, compose_srt, compose_vtt, make_cues

from newsvoice.audio import ffmpeg_exe
from newsvoice.segment import tokenize


def _words(n: int):
    return [tokenize(f"câu thứ {k} có vài chữ") for k in range(n)]


def test_cue_times_on_the_frame_grid_with_two_frame_gaps():
    spans = [(0.3, 2.1), (2.35, 4.0), (5.0, 6.2)]
    res = make_cues(_words(3), spans, [0, 0, 1], 7.0, CueRules())
    cs = res.cues
    assert [c.start for c in cs] == [0.28, 2.32, 5.0]  # floor to 40 ms frames
    assert cs[0].end == pytest.approx(2.32 - 0.08)        # chained: next start minus 2 frames
    for a, b in zip(cs, cs[1:], strict=False):
        assert b.start_f - a.end_f >= 2


def test_short_phrase_padded_into_following_pause_not_over_next_cue():
    spans = [(0.0, 0.4), (2.0, 3.5)]
    c0, c1 = make_cues(_words(2), spans, [0, 1], 4.0, CueRules()).cues
    assert c0.end - c0.start >= 5 / 6 - 1e-9
    assert c0.end_f <= c1.start_f - 2


def test_short_phrase_merged_when_no_room():
    spans = [(0.0, 0.3), (0.5, 2.5)]
    res = make_cues(_words(2), spans, [0, 0], 3.0, CueRules())
    assert len(res.cues) == 1 and res.cues[0].phrases == (0, 1)


def test_ntsc_grid():
    rules = CueRules(fps=29.97)
    assert rules.fps_exact == Fraction(30000, 1001)
    c = make_cues(_words(1), [(1.0, 2.0)], [0], 3.0, rules).cues[0]
    assert c.start_f == 29 and c.fps == Fraction(30000, 1001)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(0.2, 6.5), st.floats(0.2, 2.0)), min_size=1, max_size=30),
       st.sampled_from([25.0, 29.97, 30.0, 50.0]))
def test_cues_never_overlap_and_keep_gaps(parts, fps):
    spans, t = [], 0.3
    for dur, pause in parts:
        spans.append((t, t + dur))
        t += dur + pause
    rules = CueRules(fps=fps)
    res = make_cues(_words(len(spans)), spans, list(range(len(spans))), t, rules)
    covered = sorted(i for c in res.cues for i in c.phrases)
    assert covered == list(range(len(spans)))
    for a, b in zip(res.cues, res.cues[1:], strict=False):
        assert b.start_f - a.end_f >= 2
    for c in res.cues:
        first, last = spans[c.phrases[0]], spans[c.phrases[-1]]
        assert c.start <= first[0] + 1e-9 and c.end >= last[1] - 1 / fps  # shows all its speech


def test_srt_round_trips_through_srt_package():
    cues = [Cue(7, 50, ["Dòng một,", "dòng hai."], (0,)), Cue(52, 100, ["Câu “trích dẫn”."], (1,))]
    subs = list(srt.parse(compose_srt(cues)))
    assert [s.content for s in subs] == ["Dòng một,\ndòng hai.", "Câu “trích dẫn”."]
    assert subs[0].start.total_seconds() == 0.28 and subs[1].end.total_seconds() == 4.0


def test_vtt_escapes_and_times():
    vtt = compose_vtt([Cue(25, 75, ["A & B <C>"], (0,))])
    assert vtt.startswith("WEBVTT\n\n1\n00:00:01.000 --> 00:00:03.000\nA &amp; B &lt;C&gt;\n")


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
def test_ffmpeg_reads_our_subtitles(tmp_path, fmt):
    cues = [Cue(k * 50, k * 50 + 45, [f"Phụ đề số {k}", "dòng thứ hai"], (k,)) for k in range(6)]
    sub = tmp_path / f"s.{fmt}"
    sub.write_text(compose_srt(cues) if fmt == "srt" else compose_vtt(cues), encoding="utf-8")
    mkv = tmp_path / "out.mkv"
    subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-t", "13",
                    "-i", "anullsrc=r=48000:cl=mono", "-i", str(sub), "-map", "0:a", "-map", "1:s",
                    "-c:a", "pcm_s16le", "-c:s", "srt", "-t", "13", "-y", str(mkv)],
                   check=True, capture_output=True, timeout=60)
    p = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(mkv), "-map", "0:s", "-c", "copy", "-f", "srt", "-"],
                       check=True, capture_output=True, timeout=60)
    back = list(srt.parse(p.stdout.decode("utf-8")))
    assert len(back) == len(cues)
    assert back[3].content == "Phụ đề số 3\ndòng thứ hai"


def _frame_max(sub, t: float) -> int:
    """Brightest pixel of a black video frame at `t` with `sub` burnt in by libass."""
    p = subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-t", "4",
                        "-i", "color=c=black:s=320x180:r=25", "-vf", f"subtitles={sub.name}",
                        "-ss", str(t), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
                       check=True, capture_output=True, timeout=60, cwd=sub.parent)
    return max(p.stdout)


def test_ffmpeg_burns_our_srt_into_video(tmp_path):
    sub = tmp_path / "burn.srt"
    sub.write_text(compose_srt([Cue(25, 50, ["Phụ đề tiếng Việt"], (0,))]), encoding="utf-8")
    assert _frame_max(sub, 1.5) > 100   # text drawn while the cue is on
    assert _frame_max(sub, 3.0) == 0    # and gone after it


def test_ebutt_is_wellformed_ttml_with_one_p_per_cue():
    import xml.etree.ElementTree as ET

    from newsvoice.subtitles import compose_ebutt

    cues = [Cue(25, 100, ["Giá xăng <giảm> & dầu", "tăng nhẹ"], (0,)), Cue(102, 150, ["Hết"], (1,))]
    root = ET.fromstring(compose_ebutt(cues).encode("utf-8"))
    ns = {"tt": "http://www.w3.org/ns/ttml"}
    assert root.get("{http://www.w3.org/ns/ttml#parameter}timeBase") == "media"
    ps = root.findall(".//tt:p", ns)
    assert [(p.get("begin"), p.get("end")) for p in ps] == [("00:00:01.000", "00:00:04.000"),
                                                           ("00:00:04.080", "00:00:06.000")]
    span = ps[0].find("tt:span", ns)
    assert span.text == "Giá xăng <giảm> & dầu" and span.find("tt:br", ns).tail == "tăng nhẹ"
