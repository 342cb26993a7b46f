"""The phrase cache: checked on read, safe with threads, info and LRU prune."""

from __future__ import annotations

import os
import shutil
import threading
import time

import numpy as np
import pytest
from click.testing import CliRunner

from newsvoice.cache.phrases import Entry, PhraseCache, phrase_key
from newsvoice.cache.prune import info, parse_size, prune
from newsvoice.cli.app import cli
from newsvoice.pipeline.render import RenderOptions, render


def _pcm(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(-3000, 3000, n).astype(np.int16)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("500MB", 500 * 10**6),
        ("2GB", 2 * 10**9),
        ("100k", 100_000),
        ("1.5 GiB", int(1.5 * 2**30)),
        ("0", 0),
        ("42B", 42),
    ],
)
def test_parse_size(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "MB", "5 parsecs", "-1GB", "10", "2.5"])
def test_parse_size_rejects_nonsense(text):
    with pytest.raises(ValueError):
        parse_size(text)


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty"])
def test_corrupt_entry_is_a_miss_and_removed(tmp_path, damage):
    cache = PhraseCache(tmp_path)
    key = phrase_key("espeak", "vi", "xin chào")
    cache.put(key, Entry(_pcm(4800), np.array([0.0, 0.05])))
    path = next(tmp_path.glob("??/*.pcm"))
    raw = bytearray(path.read_bytes())
    if damage == "flip":
        raw[100] ^= 0xFF
    elif damage == "truncate":
        raw = raw[: len(raw) // 2]
    else:
        raw = bytearray()
    path.write_bytes(bytes(raw))
    assert cache.get(key) is None
    assert not path.exists()


def test_corrupted_cache_is_synthesised_again_with_the_same_result(tmp_path):
    src = tmp_path / "tin.txt"
    src.write_text(
        "Tin vắn\n\nSáng nay, xã Đại Lộc tổ chức họp dân về đê điều.\n", encoding="utf-8"
    )
    opts = RenderOptions(engine="espeak", cache_dir=tmp_path / "c")
    first = render(src, tmp_path / "a", opts)
    assert first.engine_calls > 0
    for entry in (tmp_path / "c").glob("??/*.pcm"):
        data = bytearray(entry.read_bytes())
        data[-1] ^= 0x55
        entry.write_bytes(bytes(data))
    shutil.rmtree(tmp_path / "c" / "renders")  # the render memo would restore the whole render
    again = render(src, tmp_path / "b", opts)
    assert again.cache_hits == 0 and again.engine_calls == first.engine_calls
    shutil.rmtree(tmp_path / "c" / "renders")
    third = render(src, tmp_path / "d", opts)
    assert third.engine_calls == 0  # the re-synthesised entries were stored again, intact
    assert (tmp_path / "b" / "tin.srt").read_bytes() == (tmp_path / "d" / "tin.srt").read_bytes()
    assert (tmp_path / "b" / "tin.wav").read_bytes() == (tmp_path / "d" / "tin.wav").read_bytes()


def test_threads_storing_the_same_phrase_leave_one_good_entry(tmp_path):
    cache = PhraseCache(tmp_path)
    key = phrase_key("gtts", "vi", "một hai ba")
    pcm = _pcm(48000)
    errors: list[BaseException] = []

    def hammer() -> None:
        try:
            for _ in range(20):
                PhraseCache(tmp_path).put(key, Entry(pcm, np.zeros(3)))
                got = PhraseCache(tmp_path).get(key)
                assert got is None or np.array_equal(got.samples, pcm)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=hammer) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert np.array_equal(cache.get(key).samples, pcm)
    assert list(tmp_path.glob("??/.*.tmp")) == []


def test_info_and_prune_least_recently_used_first(tmp_path):
    cache = PhraseCache(tmp_path)
    keys = [phrase_key("espeak", "vi", f"câu {i}") for i in range(10)]
    now = time.time()
    for i, key in enumerate(keys):
        cache.put(key, Entry(_pcm(5000, i), np.zeros(0)))  # 10,044 bytes each
        path = cache._path(key)
        os.utime(path, (now - 1000 + i, now - 1000 + i))  # key 0 oldest
    assert cache.get(keys[0]) is not None  # using it makes it the most recent
    stale = tmp_path / keys[0][:2] / ".leftover.pcm.1-2.tmp"
    stale.write_bytes(b"x")
    os.utime(stale, (now - 7200, now - 7200))

    got = info(cache)
    assert (got.entries, got.size) == (10, 10 * 10_044)
    pruned = prune(cache, 50_000)
    assert (pruned.removed, pruned.entries, pruned.size) == (6, 4, 4 * 10_044)
    kept = {k for k in keys if cache._path(k).exists()}
    assert kept == {keys[0], keys[7], keys[8], keys[9]}
    assert not stale.exists()


def test_cache_commands(tmp_path):
    cache = PhraseCache(tmp_path / "c")
    for i in range(4):
        cache.put(phrase_key("espeak", "vi", str(i)), Entry(_pcm(500, i), np.zeros(0)))
    runner = CliRunner()
    r = runner.invoke(cli, ["cache", "info", "--cache-dir", str(tmp_path / "c")])
    assert r.exit_code == 0, r.output
    assert (
        f"dir\t{tmp_path / 'c'}" in r.output
        and "entries\t4" in r.output
        and "size\t4176" in r.output
    )
    r = runner.invoke(
        cli, ["cache", "prune", "--cache-dir", str(tmp_path / "c"), "--max-size", "2.1k"]
    )
    assert r.exit_code == 0, r.output
    assert "removed\t2" in r.output and "entries\t2" in r.output
    r = runner.invoke(
        cli, ["cache", "prune", "--cache-dir", str(tmp_path / "c"), "--max-size", "lots"]
    )
    assert r.exit_code == 2


def test_a_synthesised_unit_equals_the_same_unit_read_back(tmp_path):
    """A render that synthesises a unit and one that finds it cached must time its words
    the same to the bit (the cache keeps onsets as float32): otherwise a cold and a warm
    render's manifests differ in the last digit of some word times."""
    from newsvoice.speech.engines.espeak import EspeakEngine
    from newsvoice.speech.synth import Synthesizer

    text = "thành phố Hồ Chí Minh mở rộng tuyến đường ven sông"
    made = Synthesizer(EspeakEngine("vi"), PhraseCache(tmp_path / "c"))(text)
    read = Synthesizer(EspeakEngine("vi"), PhraseCache(tmp_path / "c"))(text)
    assert len(made.starts) == len(text.split())
    assert made.starts.tobytes() == read.starts.tobytes() and made.confidence == read.confidence
    assert np.array_equal(made.samples, read.samples)
