"""The gtts engine end to end against a local server posing as Google."""

from __future__ import annotations

import pytest

from newsvoice.engines import open_engine
from newsvoice.engines.google import GoogleEngine
from newsvoice.engines.online import OnlinePolicy
from newsvoice.errors import EngineError


def _engine(**kw) -> GoogleEngine:
    kw.setdefault("min_interval", 0.0)
    kw.setdefault("backoff", 0.01)
    kw.setdefault("timeout", 1.0)
    return GoogleEngine("vi", policy=OnlinePolicy(**kw))


def test_synthesizes_real_mp3_from_google(fake_google):
    speech = _engine().synthesize("xin chào các bạn")
    assert fake_google.texts == ["xin chào các bạn"]
    assert speech.rate == 24000
    assert 0.5 < speech.duration_s < 5
    assert abs(speech.samples.astype(int)).max() > 3000  # real speech, not silence


def test_retries_429_then_succeeds(fake_google):
    fake_google.script = [429, 429]
    speech = _engine(retries=3).synthesize("một hai ba")
    assert fake_google.posts == 3
    assert speech.duration_s > 0.3


@pytest.mark.parametrize("failure", [500, 503, "drop", "hang"])
def test_retries_server_errors_and_connection_trouble(fake_google, failure):
    fake_google.script = [failure]
    speech = _engine(retries=2).synthesize("bốn năm sáu")
    assert fake_google.posts == 2
    assert speech.duration_s > 0.3


def test_permanent_failure_gives_one_clear_error(fake_google):
    fake_google.script = [503] * 10
    with pytest.raises(EngineError, match=r"503.*gave up after 3 attempts"):
        _engine(retries=2).synthesize("bảy tám chín")
    assert fake_google.posts == 3


def test_refusal_is_not_retried(fake_google):
    fake_google.script = [403]
    with pytest.raises(EngineError, match="refused"):
        _engine(retries=5).synthesize("mười")
    assert fake_google.posts == 1


def test_garbage_body_is_an_engine_error(fake_google):
    fake_google.script = ["garbage"]
    with pytest.raises(EngineError):
        _engine(retries=0).synthesize("mười một")


def test_unreachable_google_is_an_engine_error(no_google):
    with pytest.raises(EngineError, match="cannot reach Google"):
        _engine(retries=1).synthesize("mười hai")


def test_rate_limit_spaces_requests(fake_google):
    import time

    eng = _engine(min_interval=0.2)
    t0 = time.monotonic()
    eng.synthesize("một")
    eng.synthesize("hai")
    eng.synthesize("ba")
    assert time.monotonic() - t0 >= 0.4


def test_auto_prefers_google_when_reachable(fake_google):
    assert open_engine("auto").name == "gtts"


def test_auto_falls_back_to_espeak_with_notice(no_google, caplog):
    with caplog.at_level("WARNING", logger="newsvoice"):
        eng = open_engine("auto", probe_timeout=1.0)
    assert eng.name == "espeak"
    assert "unreachable" in caplog.text
