"""`newsvoice bulletin` (issue 26): running orders (TOML, MOS) with 5 stories, a sting and a
bed into one programme; cues offset, chapters read back by ffmpeg and mutagen, durations
reported, a failing story, an edit that re-renders one story, the shared checker clean."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
import wavinfo
from conftest import SHARED
from mutagen.id3 import ID3

from newsvoice.audio.track import ffmpeg_exe
from newsvoice.subtitles.formats import read_file

TEXTS = [
    "Sáng nay, xã Đại Lộc tổ chức họp dân về đê điều.",
    "Bão số 9 đang tiến vào biển Đông, gió mạnh cấp 12.",
    "Giá xăng giảm nhẹ từ 15 giờ chiều nay.",
    "Hà Nội khai trương tuyến xe buýt điện mới.",
    "Đội tuyển Việt Nam thắng 2-0 trong trận giao hữu.",
]
SLUGS = ["de-dieu", "bao-so-9", "gia-xang", "xe-buyt", "bong-da"]


def _tone(path: Path, secs: float, freq: float) -> None:
    t = np.arange(int(48000 * secs)) / 48000
    x = 0.3 * np.sin(2 * np.pi * freq * t) * np.minimum(1, np.minimum(t, secs - t) / 0.05)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes((x * 32767).astype("<i2").tobytes())


def _toml(folder: Path, extra: str = "") -> Path:
    items = ['[[item]]\nsting = "sting.wav"']
    for i, slug in enumerate(SLUGS, 1):
        items.append(
            f'[[item]]\nstory = "s{i}.txt"\nslug = "{slug}"' + ("\nslot = 5" if i == 1 else "")
        )
        if i == 2:
            items.append("[[item]]\npause = 0.5")
        if i == 3:
            items.append('[[item]]\nbed = "bed.wav"')
    path = folder / "ro.toml"
    path.write_text(
        'title = "Thời sự 19h"\nslot = "0:40"\n' + "\n".join(items) + "\n" + extra, encoding="utf-8"
    )
    return path


@pytest.fixture(scope="module")
def material(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("bulletin")
    for i, t in enumerate(TEXTS, 1):
        (d / f"s{i}.txt").write_text(f"Tin {i}\n\n{t}\n", encoding="utf-8")
    _tone(d / "sting.wav", 1.5, 660)
    _tone(d / "bed.wav", 2.0, 220)
    return d


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "newsvoice", "-q", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


@pytest.fixture(scope="module")
def toml_run(material) -> tuple[Path, subprocess.CompletedProcess]:
    _toml(material)
    p = _cli(
        "bulletin",
        "ro.toml",
        "-o",
        "out",
        "--engine",
        "espeak",
        "--format",
        "mp3",
        "--subs",
        "srt,vtt,ttml",
        "--cache-dir",
        "c",
        cwd=material,
    )
    assert p.returncode == 0, p.stderr
    return material / "out", p


def test_toml_bulletin_is_one_track_with_offset_cues_and_chapters(toml_run):
    out, p = toml_run
    report = json.loads((out / "bulletin.json").read_text("utf-8"))
    stories = [i for i in report["items"] if i["kind"] == "story"]
    assert [s["slug"] for s in stories] == SLUGS and all(s["status"] == "rendered" for s in stories)
    assert [i["kind"] for i in report["items"]].count("sting") == 1 and report["duration_s"] > 20
    assert abs(stories[0]["actual_s"] - 5.0) < 0.05  # fitted to its slot
    assert report["slot_s"] == 40 and report["over_s"] == round(report["duration_s"] - 40, 3)
    assert "de-dieu\trendered\tplanned 5.0 s" in p.stdout
    # each story's cues sit where the story sits in the programme
    cues = read_file(out / "programme.srt")
    for s in stories:
        own = json.loads(next((out / "stories" / s["slug"]).glob("*.json")).read_text("utf-8"))[
            "cues"
        ][0]
        assert any(
            abs(c.start.total_seconds() - (s["start"] + own["start"])) < 0.021
            and c.content == own["text"]
            for c in cues
        ), s["slug"]
    assert (
        sum(c.content == "[Nhạc hiệu]" for c in cues) == 1
        and sum(c.content == "[Nhạc nền]" for c in cues) == 1
    )
    # chapters: manifest = ffmpeg's reading = the ID3 CHAP frames = chapters.vtt
    want = [
        (c["title"], round(c["start"] * 1000), round(c["end"] * 1000)) for c in report["chapters"]
    ]
    meta = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(out / "programme.mp3"), "-f", "ffmetadata", "-"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    got = re.findall(r"\[CHAPTER\]\nTIMEBASE=1/1000\nSTART=(\d+)\nEND=(\d+)\ntitle=(.*)", meta)
    assert [(t, int(a), int(b)) for a, b, t in got] == want
    tags = ID3(str(out / "programme.mp3"))
    assert [
        (str(f.sub_frames["TIT2"]), f.start_time, f.end_time) for f in tags.getall("CHAP")
    ] == want
    assert str(tags["TIT2"]) == "Thời sự 19h"
    vtt = read_file(out / "chapters.vtt")
    assert [c.content for c in vtt] == SLUGS


def test_shared_checker_finds_the_bulletin_clean(toml_run):
    out, _ = toml_run
    # ../shared beside the checkout, or two levels up for a worktree under wt/
    checker = next(
        (
            d / "eval" / "check_subs.py"
            for d in (SHARED, SHARED.parent.parent / "shared")
            if (d / "eval" / "check_subs.py").exists()
        ),
        None,
    )
    if checker is None:
        pytest.skip("shared checker not present")
    p = subprocess.run(
        [
            sys.executable,
            str(checker),
            str(out / "programme.srt"),
            "--audio",
            str(out / "programme.mp3"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "FFMPEG": ffmpeg_exe()},
    )
    summary = p.stdout.strip().splitlines()[-1]
    assert "hard=0" in summary and "speech_in_gaps=0" in summary, p.stdout


def test_an_edit_re_renders_one_story_and_a_failing_story_leaves_its_slot(toml_run, material):
    out, _ = toml_run
    (material / "s3.txt").write_text(
        "Tin 3\n\nGiá xăng giảm mạnh từ 15 giờ chiều nay.\n", encoding="utf-8"
    )
    _toml(material, '[[item]]\nstory = "missing.txt"\nslug = "hong"\nslot = 3\n')
    p = _cli(
        "bulletin", "ro.toml", "-o", "out2", "--engine", "espeak", "--cache-dir", "c", cwd=material
    )
    assert p.returncode == 0, p.stderr
    report = json.loads((material / "out2" / "bulletin.json").read_text("utf-8"))
    status = {i["slug"]: i["status"] for i in report["items"] if i["kind"] == "story"}
    assert status == {
        "de-dieu": "restored",
        "bao-so-9": "restored",
        "gia-xang": "rendered",
        "xe-buyt": "restored",
        "bong-da": "restored",
        "hong": "failed",
    }
    gap = next(i for i in report["items"] if i["slug"] == "hong")
    assert abs(gap["actual_s"] - 3.0) < 0.001 and "missing.txt" in gap["error"]
    assert "story hong failed, 3.0 s gap left" in p.stderr and "Traceback" not in p.stderr
    assert (
        wavinfo.WavInfoReader(str(material / "out2" / "programme.wav")).bext.loudness_value
        == report["loudness"]["integrated_lufs"]
    )
    p = _cli(
        "bulletin",
        "ro.toml",
        "-o",
        "out3",
        "--engine",
        "espeak",
        "--cache-dir",
        "c",
        "--strict",
        cwd=material,
    )
    assert p.returncode == 1 and "hong" in p.stderr and "Traceback" not in p.stderr
    assert not (material / "out3" / "programme.wav").exists()


def test_mos_running_order_renders_and_writes_durations_back(tmp_path):
    meta = (
        "<mosExternalMetadata><mosScope>PLAYLIST</mosScope><mosSchema>urn:x</mosSchema>"
        "<mosPayload><StoryDuration>6</StoryDuration></mosPayload></mosExternalMetadata>"
    )
    stories = "".join(
        f"<story><storyID>S{i}</storyID><storySlug>{s}</storySlug><storyNum>{i}</storyNum>{meta}</story>"
        for i, s in enumerate(SLUGS, 1)
    )
    head = '<?xml version="1.0" encoding="UTF-8"?>\n<mos><mosID>nv</mosID><ncsID>ncs</ncsID>'
    (tmp_path / "roCreate.xml").write_text(
        f"{head}<messageID>1</messageID><roCreate><roID>RO-19H</roID>"
        f"<roSlug>Thoi su 19h</roSlug>{stories}</roCreate></mos>\n",
        encoding="utf-8",
    )
    for i, (s, t) in enumerate(zip(SLUGS, TEXTS, strict=True), 1):
        (tmp_path / f"roStorySend-{i}.xml").write_text(
            f"{head}<messageID>{i + 1}</messageID><roStorySend><roID>RO-19H</roID><storyID>S{i}</storyID>"
            f"<storySlug>{s}</storySlug><storyNum>{i}</storyNum><storyBody><p>Tin {i}</p><p>{t}</p></storyBody>"
            "</roStorySend></mos>\n",
            encoding="utf-8",
        )
    p = _cli(
        "bulletin",
        "roCreate.xml",
        "-o",
        "out",
        "--engine",
        "espeak",
        "--cache-dir",
        "c",
        "--start-tc",
        "10:00:00:00",
        cwd=tmp_path,
    )
    assert p.returncode == 0, p.stderr
    out = tmp_path / "out"
    report = json.loads((out / "bulletin.json").read_text("utf-8"))
    back = re.findall(
        r"<storyID>(S\d)</storyID>\s*<storySlug>([^<]+)</storySlug>\s*"
        r"<storyDuration>([\d.]+)</storyDuration>",
        (out / "durations.mos.xml").read_text("utf-8"),
    )
    stories_r = [i for i in report["items"] if i["kind"] == "story"]
    assert [(sid, slug, float(d)) for sid, slug, d in back] == [
        (f"S{k}", s["slug"], s["actual_s"]) for k, s in enumerate(stories_r, 1)
    ]
    assert all(abs(s["actual_s"] - 6.0) < 0.05 and s["planned_s"] == 6.0 for s in stories_r)
    assert read_file(out / "programme.srt")[0].start.total_seconds() >= 36000  # --start-tc
    bext = wavinfo.WavInfoReader(str(out / "programme.wav")).bext
    assert bext.time_reference == 36000 * 48000 and bext.originator_ref == "RO-19H"


def test_csv_running_order_and_bad_lines(tmp_path):
    from newsvoice.errors import InputError
    from newsvoice.pipeline.bulletin import read_rundown

    (tmp_path / "ro.csv").write_text(
        "kind,source,slug,slot,voice\nsting,sting.wav,,,\nstory,s1.txt,de-dieu,0:45,\n"
        "pause,1.5,,,\nstory,https://example.vn/tin,,,\n",
        encoding="utf-8",
    )
    ro = read_rundown(tmp_path / "ro.csv")
    assert [(i.kind, i.slug, i.slot_s) for i in ro.items] == [
        ("sting", "sting", None),
        ("story", "de-dieu", 45.0),
        ("pause", "", 1.5),
        ("story", "tin", None),
    ]
    assert (
        ro.items[1].source == str(tmp_path / "s1.txt")
        and ro.items[3].source == "https://example.vn/tin"
    )
    (tmp_path / "bad.csv").write_text("kind,source\nsong,x.wav\n", encoding="utf-8")
    with pytest.raises(InputError, match="bad.csv:2"):
        read_rundown(tmp_path / "bad.csv")
    (tmp_path / "none.toml").write_text("[[item]]\npause = 1\n", encoding="utf-8")
    with pytest.raises(InputError, match="no story"):
        read_rundown(tmp_path / "none.toml")
