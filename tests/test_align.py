"""The aligner: DTW paths, engine events to word onsets, and real speech aligned to its text."""

from __future__ import annotations

import numpy as np
import pytest

from newsvoice.audio.track import RATE, resample, tempo
from newsvoice.speech.aligner import (
    align_text,
    dtw_path,
    mfcc,
    starts_from_events,
    to_feat_rate,
    word_char_offsets,
)
from newsvoice.speech.engines.espeak import EspeakEngine


def test_dtw_of_a_sequence_with_itself_is_the_diagonal():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(120, 8)).astype(np.float32)
    path, cost = dtw_path(a, a)
    assert np.array_equal(path, np.arange(120)) and cost == pytest.approx(0, abs=1e-4)


def test_dtw_follows_a_stretch_and_stays_monotone():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(100, 8)).astype(np.float32)
    b = np.repeat(a, 2, axis=0)  # b is a played at half speed
    path, _ = dtw_path(a, b, band=30)
    assert np.all(np.diff(path) >= 0)
    assert np.abs(path - 2 * np.arange(100)).max() <= 1


def test_events_give_every_word_an_onset_and_fill_gaps():
    text = "ủy ban nhân dân tỉnh"
    offs = word_char_offsets(text)
    assert offs == [0, 3, 7, 12, 16]
    starts = starts_from_events(text, [(0, 0.0), (7, 0.5), (16, 1.2)], 1.5)
    assert starts[0] == 0 and starts[2] == 0.5 and starts[4] == 1.2
    assert 0 < starts[1] < 0.5 and 0.5 < starts[3] < 1.2  # interpolated by position


def test_features_are_normalised_frames_every_5_ms():
    x = np.sin(np.arange(16000) / 10).astype(np.float32)
    f = mfcc(to_feat_rate(x, 16000))
    assert f.shape[1] == 26 and abs(len(f) - 200) <= 5
    assert np.allclose(f.mean(0), 0, atol=1e-3)


def test_aligns_another_voice_at_another_pace_within_tens_of_ms():
    text = (
        "ủy ban nhân dân thành phố hồ chí minh tổ chức hội nghị tổng kết công tác "
        "năm hai nghìn không trăm hai mươi ba"
    )
    sp = EspeakEngine("vi-VN-x-south").synthesize(text)
    truth = starts_from_events(text, [(w.text_offset, w.start_s) for w in sp.words], sp.duration_s)
    x = resample(sp.samples, sp.rate, RATE)
    y = tempo(x, 1.15)
    truth = truth * len(y) / len(x)
    al = align_text(text, y, RATE)
    err = np.abs(al.starts - truth)
    assert len(al.starts) == len(text.split())
    assert err.mean() < 0.03 and np.percentile(err, 90) < 0.06, np.round(err * 1000)
    assert np.all(np.diff(al.starts) >= 0) and 0 < al.confidence <= 1


def test_confidence_drops_for_the_wrong_text():
    said = "hôm nay trời nắng đẹp bà con ra đồng gặt lúa"
    sp = EspeakEngine("vi").synthesize(said)
    right = align_text(said, sp.samples, sp.rate)
    wrong = align_text("giá xăng dầu tăng mạnh trong tuần qua theo thông báo", sp.samples, sp.rate)
    assert right.confidence > wrong.confidence
