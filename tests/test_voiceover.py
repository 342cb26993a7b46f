"""`newsvoice align`: subtitles for a reading of the article by another voice.

Recordings are espeak-ng in another voice and pace (not the aligner's
reference), laid out sentence by sentence in numpy, then edited: a sentence
dropped, one added, long silences inserted, put in a video. Truth is espeak's
own word events; the checks are our `newsvoice check --audio` and the shared
checker.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_path

from newsvoice.audio.track import RATE, ffmpeg_exe, tempo
from newsvoice.speech.engines.espeak import EspeakEngine
from newsvoice.speech.synth import Synthesizer, synthesize_units
from newsvoice.text.article import parse_article
from newsvoice.text.normalize import Normalizer
from newsvoice.text.plan import build_plan

ARTICLE = """Mưa lớn ở miền Trung

Từ đêm qua, các tỉnh miền Trung có mưa rất to, nhiều nơi ngập sâu.
Sở Nông nghiệp tỉnh Quảng Ngãi cho biết hơn 1.200 hộ dân phải sơ tán.
Tuyến quốc lộ 1A qua huyện Mộ Đức bị chia cắt trong nhiều giờ.
Lực lượng cứu hộ đã đưa người già và trẻ em đến nơi an toàn.
Trung tâm dự báo khuyến cáo người dân không đi qua vùng nước chảy xiết.
"""

OTHER = """Giá lúa gạo xuất khẩu tăng mạnh trong tháng mười một nhờ nhu cầu từ thị trường châu Phi.
Các doanh nghiệp thương mại cho biết đơn hàng đã kín đến hết quý sau."""


@dataclass
class Reading:
    """Each sentence of the article as another voice says it (int16 at RATE) and the
    onsets of its written words inside that audio."""

    sentences: list[np.ndarray]
    onsets: list[list[float]]
    written: list[str]


def _say(text: str, voice: str = "vi-VN-x-south", speed: float = 1.1) -> Reading:
    """Every sentence of ``text`` in ``voice``, paced ``speed`` times faster (atempo, pitch kept)."""
    plan = build_plan(parse_article(text.encode()), Normalizer())
    speech = synthesize_units(
        [u.spoken for u in plan.units], Synthesizer(EspeakEngine(voice), None)
    )
    sents: dict[int, list[tuple]] = {}
    for u, s in zip(plan.units, speech, strict=True):
        sents.setdefault(u.sentence, []).append((u, s))
    out = Reading([], [], [])
    for parts in sents.values():
        pcm, onsets, pos = [], [], 0
        for u, s in parts:
            k = 0
            for tok in u.tokens:
                onsets.append(pos / RATE + (s.starts[k] if k < len(s.starts) else s.duration_s))
                k += len(tok.spoken)
            pcm.append(s.samples)
            gap = np.zeros(int(0.25 * RATE), np.int16)
            pcm.append(gap)
            pos += len(s.samples) + len(gap)
        x = np.concatenate(pcm[:-1])
        y = tempo(x, speed)
        out.sentences.append(y)
        out.onsets.append([t * len(y) / len(x) for t in onsets])
        out.written.append(" ".join(u.written for u, _ in parts))
    return out


@pytest.fixture(scope="module")
def reading() -> Reading:
    return _say(ARTICLE)


def lay_out(pieces: list[np.ndarray], gaps_s: list[float]) -> tuple[np.ndarray, list[float]]:
    """Pieces with the given silence before each; returns audio and each piece's start."""
    parts, starts, pos = [], [], 0
    for p, g in zip(pieces, gaps_s, strict=True):
        gap = np.zeros(int(g * RATE), np.int16)
        parts += [gap, p]
        starts.append((pos + len(gap)) / RATE)
        pos += len(gap) + len(p)
    parts.append(np.zeros(int(0.6 * RATE), np.int16))
    return np.concatenate(parts), starts


def write_wav(path: Path, x: np.ndarray, rate: int = RATE) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(x.astype(np.int16).tobytes())
    return path


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "newsvoice", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_PROXY": "*"},
    )


def align_cli(
    tmp_path: Path, rec: Path, *extra: str, article: str = ARTICLE
) -> tuple[subprocess.CompletedProcess, Path]:
    src = tmp_path / "tin.txt"
    src.write_text(article, encoding="utf-8")
    out = tmp_path / "out"
    p = run(
        "align",
        str(src),
        str(rec),
        "-o",
        str(out),
        "--cache-dir",
        str(tmp_path.parent / "ref-cache"),
        *extra,
    )
    return p, out


def manifest(out: Path, stem: str) -> dict:
    return json.loads((out / f"{stem}.json").read_text(encoding="utf-8"))


def word_errors(man: dict, reading: Reading, starts: dict[int, float]) -> np.ndarray:
    """|onset error| (s) of every word of the sentences in ``starts`` (sentence -> its start)."""
    truth = [
        (w, s0 + t)
        for k, s0 in sorted(starts.items())
        for w, t in zip(reading.written[k].split(), reading.onsets[k], strict=True)
    ]
    got = [(w["text"], w["start"]) for w in man["words"]]
    assert [w for w, _ in got] == [w for w, _ in truth]
    return np.abs(np.array([t for _, t in got]) - np.array([t for _, t in truth]))


def checks_pass(srt: Path, wav: Path, src: Path | None = None) -> None:
    """Our `check --audio` and the shared checker both find nothing hard."""
    p = run("check", str(srt), "--audio", str(wav))
    assert p.returncode == 0, p.stdout + p.stderr
    shared = shared_path("eval/check_subs.py")
    p = subprocess.run(
        [sys.executable, str(shared), str(srt), "--audio", str(wav)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "FFMPEG": ffmpeg_exe()},
    )
    stats = dict(re.findall(r"(\w+)=(\S+)", p.stdout.strip().splitlines()[-1]))
    assert stats["hard"] == "0", p.stdout
    assert stats["speech_in_gaps"] == "0", p.stdout


@pytest.mark.slow
def test_clean_reading_words_on_time(tmp_path, reading):
    x, starts = lay_out(reading.sentences, [0.8] + [0.7] * (len(reading.sentences) - 1))
    rec = write_wav(tmp_path / "doc-vo.wav", x)
    p, out = align_cli(tmp_path, rec)
    assert p.returncode == 0, p.stderr
    assert sorted(f.name for f in out.iterdir()) == ["doc-vo.json", "doc-vo.srt"]
    man = manifest(out, "doc-vo")
    assert man["unmatched"] == [] and man["extra"] == []
    err = word_errors(man, reading, dict(enumerate(starts)))
    assert err.mean() < 0.03 and np.percentile(err, 95) < 0.08, err
    assert all(0 <= c["confidence"] <= 1 for c in man["cues"])
    assert set(man["words"][0]) >= {"text", "start", "end", "spoken", "confidence"}
    checks_pass(out / "doc-vo.srt", rec)


@pytest.mark.slow
def test_dropped_sentence_is_unmatched_and_later_cues_stay_on_speech(tmp_path, reading):
    keep = [0, 1, 2, 4, 5]  # the reader skips sentence 3 (index 3: "Tuyến quốc lộ 1A ...")
    x, starts = lay_out([reading.sentences[k] for k in keep], [0.5, 0.6, 0.9, 0.6, 0.7])
    rec = write_wav(tmp_path / "skip.wav", x)
    p, out = align_cli(tmp_path, rec)
    assert p.returncode == 0, p.stderr
    man = manifest(out, "skip")
    assert man["unmatched"] == [reading.written[3]]
    assert "not found" in p.stderr
    err = word_errors(man, reading, dict(zip(keep, starts, strict=True)))
    after = err[-len(reading.onsets[4]) - len(reading.onsets[5]) :]
    assert after.mean() < 0.03 and after.max() < 0.15, after  # no drift after the skip
    checks_pass(out / "skip.srt", rec)


@pytest.mark.slow
def test_added_sentence_is_extra(tmp_path, reading):
    adlib = _say(OTHER, voice="vi", speed=1.0).sentences[0]
    pieces = reading.sentences[:3] + [adlib] + reading.sentences[3:]
    x, starts = lay_out(pieces, [0.5] + [0.7] * (len(pieces) - 1))
    rec = write_wav(tmp_path / "adlib.wav", x)
    p, out = align_cli(tmp_path, rec)
    assert p.returncode == 0, p.stderr
    man = manifest(out, "adlib")
    assert man["unmatched"] == []
    assert len(man["extra"]) == 1, man["extra"]
    ex = man["extra"][0]
    a, b = starts[3], starts[3] + len(adlib) / RATE
    assert abs(ex["start"] - a) < 0.4 and abs(ex["end"] - b) < 0.4, (ex, a, b)
    err = word_errors(
        man, reading, {k: starts[k if k < 3 else k + 1] for k in range(len(reading.sentences))}
    )
    assert err.mean() < 0.03, err


@pytest.mark.slow
def test_long_silences_map_to_nothing(tmp_path, reading):
    # 6 s before the first word, 5 s between two sentences and 3 s inside one (after its comma)
    s0 = reading.sentences[1]
    comma = int((reading.onsets[1][3] - 0.05) * RATE)  # "Từ đêm qua, | các tỉnh ..."
    split = [s0[:comma], np.zeros(3 * RATE, np.int16), s0[comma:]]
    sents = [reading.sentences[0], np.concatenate(split)] + reading.sentences[2:]
    x, starts = lay_out(sents, [6.0, 0.7, 5.0, 0.6, 0.7, 0.6])
    rec = write_wav(tmp_path / "pauses.wav", x)
    p, out = align_cli(tmp_path, rec)
    assert p.returncode == 0, p.stderr
    man = manifest(out, "pauses")
    assert man["unmatched"] == [] and man["extra"] == []
    err = word_errors(man, reading, dict(enumerate(starts)))
    n0, n1 = len(reading.onsets[0]), len(reading.onsets[1])
    err[n0 + 3 : n0 + n1] = np.abs(err[n0 + 3 : n0 + n1] - 3.0)  # words after the inserted 3 s
    assert err.mean() < 0.03 and err.max() < 0.2, err
    checks_pass(out / "pauses.srt", rec)


@pytest.mark.slow
def test_video_file_and_offset(tmp_path, reading):
    x, starts = lay_out(reading.sentences[:3], [0.5, 0.7, 0.7])
    wav = write_wav(tmp_path / "a.wav", x)
    mp4 = tmp_path / "package.mp4"
    subprocess.run(
        [
            ffmpeg_exe(),
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "color=c=blue:s=160x90:r=25",
            "-i",
            str(wav),
            "-shortest",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "aac",
            "-b:a",
            "96k",
            str(mp4),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    article = "\n".join(ARTICLE.splitlines()[:4]) + "\n"
    conf = tmp_path / "newsroom.toml"
    conf.write_text('[align]\nmax-chars = 30\nsubs = "srt,vtt"\n', encoding="utf-8")
    src = tmp_path / "tin.txt"
    src.write_text(article, encoding="utf-8")
    out = tmp_path / "out"
    p = run(
        "--config",
        str(conf),
        "align",
        str(src),
        str(mp4),
        "-o",
        str(out),
        "--offset",
        "10",
        "--cache-dir",
        str(tmp_path.parent / "ref-cache"),
    )
    assert p.returncode == 0, p.stderr
    assert sorted(f.name for f in out.iterdir()) == ["package.json", "package.srt", "package.vtt"]
    man = manifest(out, "package")
    first = man["words"][0]["start"]
    assert abs(first - (10 + starts[0])) < 0.06, first
    assert man["cues"][0]["start"] >= 10
    assert man["settings"]["cues"]["max_chars"] == 30
    assert all(len(line) <= 30 for c in man["cues"] for line in c["text"].split("\n"))


@pytest.mark.slow
def test_bad_recordings_exit_1_without_files(tmp_path, reading):
    cases = {
        "silent.wav": (lambda p: write_wav(p, np.zeros(5 * RATE, np.int16)), "silent"),
        "broken.wav": (
            lambda p: p.write_bytes(b"RIFF\x00\x00garbage" * 100),
            "cannot read recording",
        ),
        "other.wav": (
            lambda p: write_wav(p, lay_out(_say(OTHER, "vi", 1.0).sentences, [0.5, 0.5])[0]),
            "shares almost no speech",
        ),
        "missing.wav": (lambda p: None, "not found"),
    }
    for name, (make, needle) in cases.items():
        d = tmp_path / name.split(".")[0]
        d.mkdir()
        rec = d / name
        make(rec)
        p, out = align_cli(d, rec)
        assert p.returncode == 1, (name, p.stderr)
        assert needle in p.stderr, (name, p.stderr)
        assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1, p.stderr
        assert not out.exists() or list(out.iterdir()) == [], name


def test_usage_errors_exit_2(tmp_path):
    src = tmp_path / "tin.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    assert run("align", str(src)).returncode == 2
    assert run("align", str(src), str(src), "--subs", "docx").returncode == 2
    assert run("align", str(src), str(src), "--offset", "soon").returncode == 2


def test_folder_pairs_by_stem_with_report_and_resume(tmp_path, reading):
    src = tmp_path / "in"
    src.mkdir()
    (src / "mua-lon.txt").write_text(ARTICLE, encoding="utf-8")
    write_wav(src / "mua-lon.wav", lay_out(reading.sentences, [0.5] + [0.7] * 5)[0])
    (src / "ngap.txt").write_text("\n".join(ARTICLE.splitlines()[:4]) + "\n", encoding="utf-8")
    write_wav(src / "ngap.wav", lay_out(reading.sentences[:3], [0.4, 0.6, 0.6])[0], rate=RATE)
    (src / "khong-co.txt").write_text(ARTICLE, encoding="utf-8")  # no recording of that name
    out = tmp_path / "out"
    args = (
        "align",
        str(src),
        "-o",
        str(out),
        "--cache-dir",
        str(tmp_path.parent / "ref-cache"),
        "-j",
        "1",
    )
    p = run(*args)
    assert p.returncode == 3, p.stderr
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    status = {Path(r["file"]).name: r["status"] for r in rep["articles"]}
    assert status == {"khong-co.txt": "failed", "mua-lon.txt": "ok", "ngap.txt": "ok"}
    assert (
        len(list(out.glob("mua-lon-*/mua-lon.srt"))) == 1
        and len(list(out.glob("ngap-*/ngap.json"))) == 1
    )
    err = {Path(r["file"]).name: r["error"] for r in rep["articles"]}["khong-co.txt"]
    assert "no recording" in err
    p = run(*args)
    rep = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert [r["status"] for r in rep["articles"]].count("skipped") == 2


def test_restarted_phrase_times_the_full_reading(tmp_path, reading):
    # the reader stumbles: the first clause of sentence 2, a breath, then the whole sentence
    s2 = reading.sentences[2]
    stumble = s2[: int((reading.onsets[2][4] - 0.02) * RATE)]  # "Sở Nông nghiệp tỉnh"
    pieces = reading.sentences[:2] + [stumble] + reading.sentences[2:]
    x, starts = lay_out(pieces, [0.5, 0.7, 0.8, 0.4, 0.7, 0.6, 0.7])
    rec = write_wav(tmp_path / "stumble.wav", x)
    p, out = align_cli(tmp_path, rec)
    assert p.returncode == 0, p.stderr
    man = manifest(out, "stumble")
    assert man["unmatched"] == []
    err = word_errors(
        man, reading, {k: starts[k if k < 2 else k + 1] for k in range(len(reading.sentences))}
    )
    assert np.median(err) < 0.02 and err.mean() < 0.05, err
