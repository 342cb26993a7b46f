"""The gtts engine end to end against a local server posing as Google."""

from __future__ import annotations

import pytest

from newsvoice.errors import EngineError
from newsvoice.speech.engines import open_engine
from newsvoice.speech.engines.google import GoogleEngine
from newsvoice.speech.engines.online import OnlinePolicy


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


@pytest.mark.slow
def test_slow_loris_answer_is_bounded_by_the_timeout(fake_google):
    """The server trickles its answer a byte at a time: --timeout bounds the whole request."""
    import time

    from newsvoice.speech.engines.online import ServiceUnavailable

    fake_google.script = ["trickle"] * 3
    t0 = time.monotonic()
    with pytest.raises(ServiceUnavailable, match="no complete answer from Google within 1 s"):
        _engine(retries=1, timeout=1.0).synthesize("mười ba")
    assert time.monotonic() - t0 < 4


def test_huge_retry_after_fails_at_once_with_when_to_retry(fake_google):
    import time

    from newsvoice.speech.engines.online import ServiceUnavailable

    fake_google.script = [(429, 3600)]
    t0 = time.monotonic()
    with pytest.raises(
        ServiceUnavailable, match=r"asked to wait 3600 s.*try again after \d\d:\d\d UTC"
    ):
        _engine(retries=4).synthesize("mười bốn")
    assert time.monotonic() - t0 < 2 and fake_google.posts == 1


def test_retry_after_within_the_cap_is_waited_for(fake_google):
    import time

    fake_google.script = [(503, 1)]
    t0 = time.monotonic()
    _engine(retries=2, max_retry_after=5).synthesize("mười lăm")
    assert fake_google.posts == 2 and time.monotonic() - t0 >= 1.0


def test_undecodable_audio_says_so_in_one_line_details_only_in_debug(fake_google, caplog):
    fake_google.script = ["garbage"]
    with caplog.at_level("DEBUG", logger="newsvoice"), pytest.raises(EngineError) as err:
        _engine(retries=0).synthesize("mười sáu")
    msg = str(err.value)
    assert "Google returned audio that does not decode (" in msg and " bytes)" in msg
    assert "\n" not in msg and "ffmpeg" not in msg.lower() and "Error" not in msg
    assert "decode failed" in caplog.text  # ffmpeg's own words are kept for -v


@pytest.mark.parametrize("text", ["…", "!!! ???", " - ", "“”"])
def test_punctuation_only_text_is_silence_not_a_traceback(fake_google, text):
    speech = _engine().synthesize(text)
    assert len(speech.samples) == 0 and fake_google.posts == 0


def test_auto_falls_back_to_espeak_when_google_refuses(fake_google, tmp_path):
    """Reachable but refusing (429): auto renders with espeak and says why."""
    import json
    import time

    from newsvoice.pipeline.render import RenderOptions, render

    src = tmp_path / "tin.txt"
    src.write_text("Tin ngắn\n\nHôm nay trời mưa to ở Hà Nội.\n", encoding="utf-8")
    fake_google.script = [429] * 100
    t0 = time.monotonic()
    res = render(
        src,
        tmp_path / "out",
        RenderOptions(
            engine="auto", cache_dir=tmp_path / "c", retries=4, backoff=0.01, min_interval=0.0
        ),
    )
    assert res.engine == "espeak" and res.fallback["from"] == "gtts"
    assert "429" in res.fallback["reason"]
    manifest = json.loads((tmp_path / "out" / "tin.json").read_text("utf-8"))
    assert manifest["engine"] == "espeak" and manifest["fallback"]["to"] == "espeak"
    assert fake_google.posts == 2  # with a fallback at hand, two refusals in a row are enough
    assert time.monotonic() - t0 < 10


@pytest.mark.slow
def test_bad_answers_fail_the_phrase_but_a_timeout_opens_the_breaker(fake_google):
    from newsvoice.speech.engines.online import CircuitBreaker

    breaker = CircuitBreaker(limit=5)
    eng = GoogleEngine(
        "vi",
        policy=OnlinePolicy(retries=1, backoff=0.01, timeout=1.0, min_interval=0.0),
        breaker=breaker,
    )
    fake_google.script = ["truncated", "garbage"]
    with pytest.raises(EngineError, match="cut off|does not decode"):
        eng.synthesize("mười bốn")
    assert not breaker.open  # Google answered: the next phrase is still asked for
    assert eng.synthesize("mười lăm").duration_s > 0.3
    fake_google.script = ["hang", "hang"]
    with pytest.raises(EngineError, match="no complete answer"):
        eng.synthesize("mười sáu")
    assert breaker.open  # it stopped answering: the rest of the batch need not wait too


def test_only_a_good_answer_resets_the_refusal_count(fake_google):
    from newsvoice.speech.engines.online import CircuitBreaker

    breaker = CircuitBreaker(limit=3)
    eng = GoogleEngine(
        "vi",
        policy=OnlinePolicy(retries=4, backoff=0.01, timeout=1.0, min_interval=0.0),
        breaker=breaker,
    )
    fake_google.script = [429, "drop", 429, "garbage", 429]
    with pytest.raises(EngineError, match="429"):
        eng.synthesize("mười bảy")
    assert breaker.open  # the failures between the refusals did not reset the count
    with pytest.raises(EngineError, match="keeps refusing"):
        eng.synthesize("mười tám")
