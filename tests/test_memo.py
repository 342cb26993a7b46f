"""The render memo: an unchanged render is restored byte for byte, anything that
changes an output renders again, and a damaged or half-written entry is never used.

Real renders with espeak-ng into a temporary cache; no part of newsvoice is mocked.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsvoice.cache import renders as memo
from newsvoice.cli.app import cli
from newsvoice.options import KEYED_APART, RenderOptions, output_key
from newsvoice.pipeline.batch import run_batch
from newsvoice.pipeline.render import render
from newsvoice.subtitles.rules import CueRules
from newsvoice.text.pauses import Pauses

ARTICLE = (
    "Đê sông Thu Bồn được gia cố\n\n"
    "Sáng 11/01, UBND xã Đại Lộc họp dân về việc gia cố 1,5 km đê, kinh phí 2,4 tỷ đồng.\n"
)
OUTPUTS = ("wav", "srt", "json")


@pytest.fixture
def article(tmp_path: Path) -> Path:
    src = tmp_path / "tin.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    return src


def _opts(tmp_path: Path, **kw) -> RenderOptions:
    return RenderOptions(engine="espeak", cache_dir=tmp_path / "c", **kw)


def _entries(tmp_path: Path) -> list[Path]:
    return [e for e, _, _ in memo.entries(tmp_path / "c")]


def _bytes(folder: Path, stem: str = "tin", kinds=OUTPUTS) -> dict[str, bytes]:
    return {k: (folder / f"{stem}.{k}").read_bytes() for k in kinds}


def test_second_identical_render_is_restored_byte_for_byte(tmp_path, article):
    runner = CliRunner(mix_stderr=False)
    args = ["render", str(article), "--engine", "espeak", "--cache-dir", str(tmp_path / "c")]
    first = runner.invoke(cli, [*args, "-o", str(tmp_path / "a")])
    assert first.exit_code == 0, first.stderr
    assert "restored from the render cache" not in first.stderr and "engine calls" in first.stderr
    second = runner.invoke(cli, [*args, "-o", str(tmp_path / "b")])
    assert second.exit_code == 0, second.stderr
    assert "restored from the render cache" in second.stderr
    assert second.stdout.split() == [str(tmp_path / "b" / f"tin.{k}") for k in OUTPUTS]
    assert _bytes(tmp_path / "b") == _bytes(tmp_path / "a")
    assert len(_entries(tmp_path)) == 1


def test_library_render_reports_the_restore(tmp_path, article):
    first = render(article, tmp_path / "a", _opts(tmp_path))
    assert not first.restored and first.engine_calls > 0
    again = render(article, tmp_path / "b", _opts(tmp_path))
    assert again.restored and again.engine_calls == 0 and again.cache_hits == 0
    assert (
        again.duration_s,
        again.cues,
        again.units,
        again.words,
        again.engine,
        again.voice,
        again.warnings,
        again.loudness,
    ) == (
        first.duration_s,
        first.cues,
        first.units,
        first.words,
        first.engine,
        first.voice,
        first.warnings,
        first.loudness,
    )
    assert list(again.outputs) == list(first.outputs)
    assert again.outputs["wav"] == tmp_path / "b" / "tin.wav"
    assert _bytes(tmp_path / "b") == _bytes(tmp_path / "a")


def test_every_change_that_shapes_an_output_renders_again(tmp_path, article):
    lexicon = tmp_path / "lex.tsv"
    lexicon.write_text("Thu Bồn\tsông Thu Bồn\n", encoding="utf-8")
    base = {"lexicons": (lexicon,)}
    assert not render(article, tmp_path / "base", _opts(tmp_path, **base)).restored
    assert render(article, tmp_path / "base", _opts(tmp_path, **base)).restored

    def rendered_again(**kw) -> bool:
        return not render(article, tmp_path / "o", _opts(tmp_path, **{**base, **kw})).restored

    assert rendered_again(speed=1.1)
    assert rendered_again(subs=("srt", "vtt"))
    assert rendered_again(loudness="web")
    assert rendered_again(audio_format="mp3")
    lexicon.write_text("Thu Bồn\tThu Bồn ạ\n", encoding="utf-8")  # same path, new content
    assert rendered_again()
    lexicon.write_text("Thu Bồn\tsông Thu Bồn\n", encoding="utf-8")
    article.write_bytes(article.read_bytes().replace(b"1,5 km", b"1,6 km"))  # one byte
    assert rendered_again()
    article.write_text(ARTICLE, encoding="utf-8")
    assert render(article, tmp_path / "o", _opts(tmp_path, **base)).restored  # back to the first
    assert len(_entries(tmp_path)) == 7


def _key(data=b"x", opts=None, engine="espeak", voice="vi", lexicons=(b"a\tb\n",), name="tin.txt"):
    return output_key(
        data,
        opts or RenderOptions(),
        engine=engine,
        voice=voice,
        lexicons=list(lexicons),
        name=name,
        stem="tin",
    )


def test_the_key_covers_every_field_that_can_change_an_output(tmp_path):
    """Derived from the dataclass: a new RenderOptions field is keyed unless it says it is a
    run setting (``run`` metadata) or is keyed apart (engine, voice, lexicons)."""
    opts = RenderOptions()
    key = _key(opts=opts)
    changed = {
        "speed": 1.1,
        "fit_s": 30.0,
        "audio_format": "mp3",
        "bit_depth": 16,
        "channels": 2,
        "bitrate": "128k",
        "loudness": "web",
        "lufs": -20.0,
        "true_peak": -2.0,
        "subs": ("vtt",),
        "srt_bom": True,
        "narrate_headline": False,
        "keep_all": True,
        "keep_lines": ("Ảnh: TTXVN",),  # issue 24
        "pauses": Pauses(comma=301),
        "cues": CueRules(max_chars=37),
        "bwf": False,
        "start_tc": "10:00:00:00",
        "station": "VTV1",
    }  # issue 26
    run = {f.name for f in dataclasses.fields(RenderOptions) if f.metadata.get("run")}
    names = {f.name for f in dataclasses.fields(RenderOptions)}
    assert names == set(changed) | run | KEYED_APART  # nothing left unconsidered
    for name, value in changed.items():
        assert _key(opts=dataclasses.replace(opts, **{name: value})) != key, name
    for name, value in {
        "cache_dir": tmp_path,
        "use_cache": False,
        "retries": 0,
        "timeout": 1.0,
        "max_retry_after": 1.0,
        "min_interval": 2.0,
        "backoff": 3.0,
        "fallback": "espeak",
        "jobs": 1,
        "engine": "auto",
        "voice": "vi",
        "lexicons": (tmp_path / "x.tsv",),
    }.items():
        assert _key(opts=dataclasses.replace(opts, **{name: value})) == key, name
    for other in (
        _key(data=b"y"),
        _key(name="tin.md"),
        _key(voice="vi-VN-x-south"),
        _key(engine="gtts"),
        _key(lexicons=(b"a\tc\n",)),
        _key(lexicons=()),
    ):
        assert other != key


def test_a_flipped_byte_in_the_memo_is_found_and_rendered_again(tmp_path, article):
    first = render(article, tmp_path / "a", _opts(tmp_path))
    [entry] = _entries(tmp_path)
    for name in ("o.wav", "o.srt"):
        data = bytearray((entry / name).read_bytes())
        data[len(data) // 2] ^= 0x01
        (entry / name).write_bytes(bytes(data))
        again = render(article, tmp_path / "b", _opts(tmp_path))
        assert not again.restored  # detected: rendered (its units from the phrase cache)
        assert _bytes(tmp_path / "b", kinds=("wav", "srt")) == _bytes(
            tmp_path / "a", kinds=("wav", "srt")
        )
        assert again.duration_s == first.duration_s
    assert render(article, tmp_path / "d", _opts(tmp_path)).restored  # stored again, intact
    assert _bytes(tmp_path / "d") == _bytes(tmp_path / "b")


def test_a_missing_memo_file_is_found_and_rendered_again(tmp_path, article):
    render(article, tmp_path / "a", _opts(tmp_path))
    [entry] = _entries(tmp_path)
    (entry / "o.srt").unlink()
    assert not render(article, tmp_path / "b", _opts(tmp_path)).restored
    assert (tmp_path / "b" / "tin.srt").read_bytes() == (tmp_path / "a" / "tin.srt").read_bytes()


def test_an_entry_without_meta_json_is_not_an_entry(tmp_path, article):
    render(article, tmp_path / "a", _opts(tmp_path))
    [entry] = _entries(tmp_path)
    (entry / "meta.json").unlink()
    assert _entries(tmp_path) == []
    assert not render(article, tmp_path / "b", _opts(tmp_path)).restored
    assert _entries(tmp_path) == [entry]  # the half entry was replaced by a finished one
    assert render(article, tmp_path / "c2", _opts(tmp_path)).restored
    meta = json.loads((entry / "meta.json").read_text())
    del meta["result"]["cues"]  # damaged meta.json: the entry is removed, nothing is written
    (entry / "meta.json").write_text(json.dumps(meta))
    assert not render(article, tmp_path / "c3", _opts(tmp_path)).restored
    (entry / "meta.json").write_bytes(b'{"format": 1, "fi')  # truncated
    assert not render(article, tmp_path / "c4", _opts(tmp_path)).restored
    assert render(article, tmp_path / "c5", _opts(tmp_path)).restored  # stored again each time


def test_no_cache_neither_stores_nor_uses_the_memo(tmp_path, article):
    runner = CliRunner(mix_stderr=False)
    args = ["render", str(article), "--engine", "espeak", "--cache-dir", str(tmp_path / "c")]
    for out in ("a", "b"):
        r = runner.invoke(cli, [*args, "-o", str(tmp_path / out), "--no-cache"])
        assert r.exit_code == 0, r.stderr
        assert "restored" not in r.stderr
    assert not (tmp_path / "c" / "renders").exists()
    assert runner.invoke(cli, [*args, "-o", str(tmp_path / "d")]).exit_code == 0  # stores
    r = runner.invoke(cli, [*args, "-o", str(tmp_path / "e"), "--no-cache"])
    assert r.exit_code == 0 and "restored" not in r.stderr, r.stderr


def test_strict_still_fails_on_a_restored_render_with_warnings(tmp_path, article):
    cmd = [
        sys.executable,
        "-m",
        "newsvoice",
        "render",
        str(article),
        "--engine",
        "espeak",
        "--cache-dir",
        str(tmp_path / "c"),
        "--max-cps",
        "5",
        "--strict",
    ]
    errs = []
    for out in ("a", "b"):
        p = subprocess.run([*cmd, "-o", str(tmp_path / out)], capture_output=True, timeout=120)
        err = p.stderr.decode()
        assert p.returncode == 1, err
        assert "--strict (outputs written)" in err and "warning: cue 1: reading speed" in err
        assert all((tmp_path / out / f"tin.{k}").is_file() for k in OUTPUTS)
        errs.append(err)
    assert "restored from the render cache" in errs[1]
    warned = [[line for line in e.splitlines() if "warning" in line] for e in errs]
    assert warned[0] == warned[1]  # the warnings are replayed exactly


RUNNER = """
import atexit, json, sys
out = sys.argv[1]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
sys.argv = ["newsvoice", *sys.argv[2:]]
from newsvoice.cli.app import main
main()
"""


def test_a_hit_loads_no_audio_stack(tmp_path, article):
    record = tmp_path / "modules.json"
    for out in ("a", "b"):
        p = subprocess.run(
            [
                sys.executable,
                "-c",
                RUNNER,
                str(record),
                "render",
                str(article),
                "-o",
                str(tmp_path / out),
                "--engine",
                "espeak",
                "--cache-dir",
                str(tmp_path / "c"),
            ],
            capture_output=True,
            timeout=120,
        )
        assert p.returncode == 0, p.stderr.decode()
    assert "restored from the render cache" in p.stderr.decode()
    mods = set(json.loads(record.read_text()))
    assert (
        not {"numpy", "scipy", "pydub", "newsvoice.pipeline.render", "newsvoice.text.plan"} & mods
    )
    assert _bytes(tmp_path / "b") == _bytes(tmp_path / "a")


def test_fallback_renders_are_not_stored(tmp_path, article, no_google):
    opts = RenderOptions(engine="gtts", fallback="espeak", cache_dir=tmp_path / "c")
    first = render(article, tmp_path / "a", opts)
    assert first.fallback and first.engine == "espeak"
    assert _entries(tmp_path) == []
    assert not render(article, tmp_path / "b", opts).restored


def test_batch_renders_are_restored_from_the_memo(tmp_path, article):
    opts = RenderOptions(engine="espeak", cache_dir=tmp_path / "c")
    render(article, tmp_path / "a", opts)
    [entry] = _entries(tmp_path)
    os.utime(entry / "meta.json", (time.time() - 1000, time.time() - 1000))
    [row] = run_batch(
        [article], tmp_path / "out", opts
    )  # its worker asks with the engine it opened
    assert row.status == "ok" and row.warnings == render(article, tmp_path / "x", opts).warnings
    assert time.time() - (entry / "meta.json").stat().st_mtime < 100  # used (LRU touch)
    assert _bytes(tmp_path / "out" / row.slug) == _bytes(tmp_path / "a")


def test_cache_info_and_prune_count_and_remove_memo_entries(tmp_path, article):
    other = tmp_path / "khac.txt"
    other.write_text(ARTICLE.replace("11/01", "12/01"), encoding="utf-8")
    render(article, tmp_path / "a", _opts(tmp_path))
    render(other, tmp_path / "a", _opts(tmp_path))
    old, new = sorted(_entries(tmp_path), key=lambda e: (e / "meta.json").read_text().count("khac"))
    os.utime(old / "meta.json", (time.time() - 1000, time.time() - 1000))  # least recently used
    half = tmp_path / "c" / "renders" / "ab" / ("ab" + "0" * 62)
    half.mkdir(parents=True)
    (half / "o.wav").write_bytes(b"x")  # a killed writer's folder without meta.json, long ago
    temp = half.parent / f".{half.name}.x1y2.tmp"  # a killed writer's temp folder
    temp.mkdir()
    for folder in (half, temp):
        os.utime(folder, (time.time() - 7200, time.time() - 7200))
    runner = CliRunner(mix_stderr=False)
    info = runner.invoke(cli, ["cache", "info", "--cache-dir", str(tmp_path / "c")])
    assert info.exit_code == 0 and "renders\t2\t" in info.stdout, info.stdout
    size_one = sum(p.stat().st_size for p in new.iterdir())
    phrases = sum(p.stat().st_size for p in (tmp_path / "c").glob("??/*.pcm"))
    r = runner.invoke(
        cli,
        [
            "cache",
            "prune",
            "--cache-dir",
            str(tmp_path / "c"),
            "--yes",
            "--max-size",
            f"{size_one + phrases}B",
        ],
    )
    assert r.exit_code == 0, r.stderr
    assert "renders\t1\t" in r.stdout
    assert (
        not old.exists()
        and (new / "meta.json").exists()
        and not half.exists()
        and not temp.exists()
    )
    r = runner.invoke(
        cli, ["cache", "prune", "--cache-dir", str(tmp_path / "c"), "--yes", "--max-size", "0"]
    )
    assert r.exit_code == 0 and "renders\t0\t" in r.stdout
    assert _entries(tmp_path) == [] and not any((tmp_path / "c" / "renders").glob("??/*"))


def test_writers_storing_one_render_at_once_leave_one_finished_entry(tmp_path, article):
    import threading

    result = render(article, tmp_path / "a", _opts(tmp_path))
    [entry] = _entries(tmp_path)
    memo.remove_entry(entry)
    looked = memo.look_up(article, tmp_path / "b", _opts(tmp_path))
    assert looked.result is None and looked.entry == entry
    threads = [threading.Thread(target=memo.remember, args=(looked, result)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _entries(tmp_path) == [entry]
    assert sorted(p.name for p in entry.parent.iterdir()) == [entry.name]  # no temp folder left
    assert render(article, tmp_path / "b", _opts(tmp_path)).restored
    assert _bytes(tmp_path / "b") == _bytes(tmp_path / "a")


def test_an_article_edited_while_it_renders_is_not_stored(tmp_path, article):
    looked = memo.look_up(article, tmp_path / "a", _opts(tmp_path))
    assert looked.result is None and looked.entry is not None
    article.write_text(
        ARTICLE.replace("11/01", "12/01"), encoding="utf-8"
    )  # saved after the look-up
    assert not render(article, tmp_path / "a", _opts(tmp_path), looked=looked).restored
    assert _entries(tmp_path) == []  # its outputs are of the new text, its key of the old
    article.write_text(ARTICLE, encoding="utf-8")
    assert not render(article, tmp_path / "b", _opts(tmp_path)).restored


def test_a_memo_that_cannot_be_written_only_costs_speed(tmp_path, article):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "renders").write_bytes(b"not a folder")  # every store fails
    for out in ("a", "b"):
        result = render(article, tmp_path / out, _opts(tmp_path))
        assert not result.restored and (tmp_path / out / "tin.wav").stat().st_size > 48000
    assert _bytes(tmp_path / "b", kinds=("wav", "srt")) == _bytes(
        tmp_path / "a", kinds=("wav", "srt")
    )
