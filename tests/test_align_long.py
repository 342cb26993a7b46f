"""The long-form aligner's pieces on synthetic features: no speech engine needed."""

from __future__ import annotations

import numpy as np

from newsvoice.speech.aligner import Recording, runs, subseq_dtw, uncovered_speech, unit_rows


def _feats(n: int, seed: int) -> np.ndarray:
    return unit_rows(np.random.default_rng(seed).normal(size=(n, 26)).astype(np.float32))


def test_subsequence_found_at_any_pace_within_half_to_double():
    b = _feats(900, 1)
    for factor in (0.6, 1.0, 1.8):  # the reference is said slower or faster than the target
        rows = np.clip(np.round(np.arange(int(300 * factor)) / factor).astype(int) + 400, 0, 899)
        a = unit_rows(b[rows] + 0.05 * _feats(len(rows), 2))
        m = subseq_dtw(a, b)
        assert m is not None
        assert abs(m.start - 400) <= 2 and abs(m.end - 700) <= 3, (factor, m.start, m.end)
        assert np.all(np.diff(m.path) >= 0)
        assert m.cost < (0.2 if factor >= 1 else 0.5)  # a skipped target frame (iid here) costs ~1
        assert np.mean(np.abs(m.path - rows)) < 1.5


def test_band_limits_the_path_and_unrelated_costs_more():
    b = _feats(600, 3)
    a = unit_rows(b[100:400] + 0.05 * _feats(300, 4))
    centre = np.arange(300) + 100
    m = subseq_dtw(a, b, centre - 10, centre + 11)
    assert m is not None and np.all(np.abs(m.path - centre) <= 10)
    other = subseq_dtw(_feats(300, 5), b)
    assert other is not None and other.cost > 3 * m.cost
    assert subseq_dtw(_feats(300, 6), b[:100]) is None  # cannot be said in a third of the time


def test_uncovered_speech_is_what_no_span_covers():
    speech = np.zeros(1000, bool)  # 10 s at 10 ms
    speech[100:300] = True  # 1-3 s: a matched sentence
    speech[400:560] = True  # 4-5.6 s: an ad-lib
    speech[700:760] = True  # 7-7.6 s: a cough, too short to report
    rec = Recording(np.zeros((0, 26), np.float32), np.zeros(0, int), speech, 10.0)
    assert runs(speech) == [(100, 300), (400, 560), (700, 760)]
    extra = uncovered_speech(rec, [(1.0, 3.0)])
    assert len(extra) == 1 and abs(extra[0][0] - 4.0) < 0.02 and abs(extra[0][1] - 5.6) < 0.02
