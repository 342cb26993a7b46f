"""The word timeline: every written word lasts at least one frame, in order, inside its unit."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from newsvoice.pipeline.render import RenderOptions, render
from newsvoice.speech.timeline import MIN_WORD_S, build_timeline
from newsvoice.text.article import parse_article
from newsvoice.text.normalize import Normalizer
from newsvoice.text.plan import build_plan

# words whose spoken part is empty or folded into a neighbour, next to plain ones
_VOCAB = [
    "Bộ",
    "Công Thương",
    "-",
    "Tài chính",
    "tăng",
    "+5%",
    "giá",
    "10 - 12",
    "km",
    "–",
    "(",
    ")",
    "“Hoàn thành”",
    "1.250.000 đồng/kg;",
    "TP.HCM",
    "người dân",
    "…",
    "/",
    "&",
    "xăng",
]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(_VOCAB), min_size=1, max_size=30), min_size=1, max_size=5),
    st.floats(0.05, 0.4),
    st.floats(0.7, 1.4),
    st.integers(0, 2**31 - 1),
)
def test_every_written_word_lasts_at_least_a_frame(sentences, per_word, scale, seed):
    text = "Bản tin\n\n" + " ".join(" ".join(s).rstrip(".,;") + "." for s in sentences) + "\n"
    plan = build_plan(parse_article(text.encode()), Normalizer())
    rng = np.random.default_rng(seed)
    starts, durs, spans, scales, t = [], [], [], [], 0.3
    for u in plan.units:
        n = len(u.spoken.split())
        # engine-like onsets, some of them coinciding (an engine that gives two words one onset)
        steps = rng.choice([0.0, per_word, per_word * 2], size=n, p=[0.2, 0.6, 0.2])
        s = np.concatenate([[0.0], np.cumsum(steps)[:-1]]) if n else np.zeros(0)
        d = float(s[-1] + per_word) if n else per_word
        starts.append(s)
        durs.append(d)
        spans.append((t, t + d * scale))
        scales.append(scale)
        t += d * scale + 0.4
    words = build_timeline(plan.units, starts, durs, spans, scales, [1.0] * len(plan.units))
    assert len(words) == sum(len(u.tokens) for u in plan.units)
    for w in words:
        assert w.end - w.start >= MIN_WORD_S - 1e-9, (w.text, w.spoken, w.start, w.end)
    for a, b in zip(words, words[1:], strict=False):
        assert b.start >= a.end - 1e-9  # in order, never overlapping
    for k, (a, b) in enumerate(spans):
        mine = [w for w in words if w.unit == k]
        # inside the unit's speech whenever it has room for a frame per word
        if b - a >= MIN_WORD_S * len(mine):
            assert mine[0].start >= a - 1e-9 and mine[-1].end <= b + 1e-9


def test_a_render_has_no_zero_length_word(tmp_path):
    """Signs folded into a word, a lone dash, a compound after a dash: all get time of their own."""
    src = tmp_path / "tin.txt"
    src.write_text(
        "Bản tin\n\nLiên Bộ Công Thương - Tài chính cho biết giá xăng tăng +5% từ 10 - 12 giờ.\n"
        "Mức tăng “Hoàn thành” – TP.HCM & Hà Nội.\n",
        encoding="utf-8",
    )
    res = render(
        src, tmp_path / "out", RenderOptions(engine="espeak", cache_dir=tmp_path / "cache")
    )
    words = json.loads(res.outputs["json"].read_text(encoding="utf-8"))["words"]
    assert words and all(w["end"] - w["start"] >= MIN_WORD_S - 0.001 for w in words), words
