"""The edge engine end to end against a local websocket server speaking edge-tts's protocol."""

from __future__ import annotations

import time

import pytest

from newsvoice.errors import EngineError
from newsvoice.speech.engines.edge import EdgeEngine, word_timings
from newsvoice.speech.engines.online import CircuitBreaker, OnlinePolicy, ServiceUnavailable


def _engine(**kw) -> EdgeEngine:
    kw.setdefault("min_interval", 0.0)
    kw.setdefault("backoff", 0.01)
    kw.setdefault("timeout", 3.0)
    breaker = kw.pop("breaker", None)
    return EdgeEngine("vi-VN-NamMinhNeural", policy=OnlinePolicy(**kw), breaker=breaker)


def test_real_mp3_and_word_times_from_the_stream(fake_edge):
    text = "xin chào các bạn, hôm nay trời mưa"
    speech = _engine().synthesize(text)
    assert fake_edge.texts == [text]
    assert speech.rate == 24000
    assert 1.0 < speech.duration_s < 6
    assert abs(speech.samples.astype(int)).max() > 3000  # real speech, not silence
    words = speech.words
    assert [text[w.text_offset : w.text_offset + w.length] for w in words] == [
        "xin",
        "chào",
        "các",
        "bạn",
        "hôm",
        "nay",
        "trời",
        "mưa",
    ]
    starts = [w.start_s for w in words]
    assert (
        starts == sorted(starts) and starts[0] >= 0.09
    )  # the lead-in silence is kept in the times
    assert all(
        w.end_s is not None and w.start_s < w.end_s <= speech.duration_s + 0.1 for w in words
    )


def test_word_offsets_follow_repeats_and_skip_rewritten_words():
    text = "một hai một hai"
    got = word_timings(
        text, [("một", 0, 10), ("hai", 10, 10), ("ba", 20, 5), ("một", 30, 10), ("hai", 40, 10)]
    )
    assert [(w.text_offset, w.length) for w in got] == [(0, 3), (4, 3), (8, 3), (12, 3)]
    assert got[1].start_s == pytest.approx(1e-6) and got[1].end_s == pytest.approx(2e-6)


@pytest.mark.parametrize("failure", [503, "close", "garbage"])
def test_retries_then_succeeds(fake_edge, failure):
    fake_edge.script = [failure]
    speech = _engine(retries=2).synthesize("bốn năm sáu")
    assert fake_edge.connections == 2
    assert speech.duration_s > 0.3


def test_refusal_is_not_retried(fake_edge):
    fake_edge.script = [401]
    with pytest.raises(EngineError, match="refused"):
        _engine(retries=5).synthesize("mười")
    assert fake_edge.connections == 1


@pytest.mark.slow
def test_a_silent_server_is_bounded_by_the_timeout(fake_edge):
    fake_edge.script = ["hang"] * 5
    t0 = time.monotonic()
    with pytest.raises(ServiceUnavailable, match="gave up after 2 attempts"):
        _engine(retries=1, timeout=1.0).synthesize("mười một")
    assert time.monotonic() - t0 < 5


def test_breaker_opens_after_consecutive_429s(fake_edge):
    fake_edge.script = [429] * 50
    breaker = CircuitBreaker(limit=3)
    with pytest.raises(ServiceUnavailable):
        _engine(retries=5, breaker=breaker).synthesize("mười hai")
    assert breaker.open and fake_edge.connections == 3
    with pytest.raises(ServiceUnavailable, match="keeps refusing"):
        _engine(breaker=breaker).synthesize("mười ba")
    assert fake_edge.connections == 3  # the open breaker made no more calls


def test_retry_after_above_the_cap_fails_at_once_saying_when(fake_edge):
    fake_edge.script = [(429, 3600)]
    t0 = time.monotonic()
    with pytest.raises(
        ServiceUnavailable, match=r"3600 s.*--max-retry-after 60 s; try again after \d\d:\d\d UTC"
    ):
        _engine(retries=4).synthesize("mười bốn")
    assert time.monotonic() - t0 < 2 and fake_edge.connections == 1


def test_punctuation_only_text_is_silence_without_a_call(fake_edge):
    speech = _engine().synthesize("… — !!")
    assert len(speech.samples) == 0 and fake_edge.connections == 0


def test_unreachable_service_is_service_unavailable(no_edge):
    with pytest.raises(ServiceUnavailable, match="cannot reach Edge TTS"):
        _engine(retries=1).synthesize("mười lăm")
