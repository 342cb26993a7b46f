"""Each option is declared once (newsvoice.options.SPECS): render, batch and config files
take exactly render's output options with the same types and ranges; a changed reading
re-renders a batch; a render validates its options once."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

import newsvoice
from newsvoice import options
from newsvoice.cli.app import cli
from newsvoice.cli.config import default_map, option_keys
from newsvoice.errors import UsageError
from newsvoice.options import RenderOptions, from_values, specs_for, validate


def _params(command: str) -> dict[str, click.Option]:
    return {
        p.name: p for p in cli.commands[command].params if isinstance(p, click.Option) and p.name
    }


def _shape(p: click.Option) -> tuple:
    t = p.type
    desc = repr(t) if type(t).__module__.startswith("newsvoice") else t.to_info_dict()
    return (
        type(t).__name__,
        desc,
        getattr(t, "choices", None) if not callable(getattr(t, "choices", None)) else None,
        p.default,
        p.multiple,
        p.is_flag,
        tuple(p.opts),
        tuple(p.secondary_opts),
    )


def test_render_and_batch_take_the_same_output_options_with_the_same_ranges():
    render, batch = _params("render"), _params("batch")
    for spec in specs_for(options.RENDER):
        assert spec.param in render and spec.param in batch, spec.flag
        assert _shape(render[spec.param]) == _shape(batch[spec.param]), spec.flag
    # the ones the README once listed as missing from batch
    for name in ("fit", "lufs", "true_peak", "bitrate", "channels", "srt_bom"):
        assert name in batch


def test_check_and_align_take_the_cue_rules_with_renders_ranges():
    render = _params("render")
    for command in ("check", "align"):
        theirs = _params(command)
        for spec in specs_for(options.CHECK):
            assert _shape(theirs[spec.param]) == _shape(render[spec.param]), (command, spec.flag)


def test_config_keys_are_the_options_of_each_command():
    for command in ("render", "batch"):
        keys = option_keys(cli.commands[command])
        for spec in specs_for(options.RENDER):
            assert spec.name in keys, (command, spec.name)
    dm = default_map({"render": {"max-lines": 3}, "batch": {"max-lines": 3, "fit": "1:30"}}, cli)
    assert dm["batch"]["fit"] == "1:30"
    with pytest.raises(Exception, match="no option"):
        default_map({"batch": {"no-such-option": 1}}, cli)


@pytest.mark.parametrize(
    "values, flag",
    [
        ({"min-dur": 5.0, "max-dur": 2.0}, "--min-dur"),
        ({"fit": 30.0, "speed": 1.2}, "--fit"),
        ({"loudness": "none", "lufs": -20.0}, "--loudness"),
        ({"format": "mp3", "bit-depth": "16"}, "--bit-depth"),
        ({"voice": ""}, "--voice"),
        ({"speed": 2.0}, "--speed"),
        ({"max-lines": 9}, "--max-lines"),
    ],
)
def test_library_callers_get_the_same_checks(values, flag):
    with pytest.raises(UsageError, match=flag):
        validate(from_values(values))


def test_unknown_option_names_are_named():
    with pytest.raises(UsageError, match="warp-speed"):
        from_values({"warp-speed": 9})
    assert from_values({"max_chars": 37, "no-cache": True}) == RenderOptions(
        cues=RenderOptions().cues.__class__(max_chars=37), use_cache=False
    )


@pytest.mark.parametrize(
    "bad",
    [
        ["--min-dur", "5", "--max-dur", "2"],
        ["--fit", "1:99"],
        ["--fit", "1:-30"],
        ["--fit", "30", "--speed", "1.1"],
        ["--format", "mp3", "--bit-depth", "16"],
        ["--loudness", "none", "--lufs", "-20"],
        ["--voice", ""],
    ],
)
def test_contradictions_are_usage_errors_before_work(cli_run, tmp_path, bad):
    art = tmp_path / "tin.txt"
    art.write_text("Tin\n\nHà Nội mưa to.\n", encoding="utf-8")
    p = cli_run("render", str(art), "-o", str(tmp_path / "o"), "--engine", "espeak", *bad)
    assert p.returncode == 2, p.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_config_fps_as_a_number_and_a_string(cli_run, tmp_path):
    art = tmp_path / "tin.txt"
    art.write_text("Tin\n\nHà Nội mưa to.\n", encoding="utf-8")
    for value in ("25.0", "25", '"25"', "29.97"):
        cfg = tmp_path / "c.toml"
        cfg.write_text(f"[check]\nfps = {value}\n", encoding="utf-8")
        srt = tmp_path / "a.srt"
        srt.write_text("1\n00:00:00,000 --> 00:00:02,000\nXin chào\n", encoding="utf-8")
        p = cli_run("--config", str(cfg), "check", str(srt))
        assert p.returncode == 0, (value, p.stderr)


def test_a_render_validates_its_options_once(tmp_path):
    """Counted with a profile hook on the real function: the CLI's check, the memo look-up,
    prepare and the render share one validation."""
    art = tmp_path / "tin.txt"
    art.write_text("Tin vắn\n\nSáng nay, Hà Nội mưa to.\n", encoding="utf-8")
    code = (
        "import sys\n"
        "from newsvoice import options\n"
        "calls = []\n"
        "target = options.validate.__code__\n"
        "sys.setprofile(lambda f, e, a: calls.append(1) if e == 'call' and f.f_code is target else None)\n"
        "from newsvoice.cli.app import main\n"
        f"sys.argv = ['newsvoice', '-q', 'render', {str(art)!r}, '-o', {str(tmp_path / 'o')!r},"
        f" '--engine', 'espeak', '--no-cache', '-j', '1']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.setprofile(None)\n"
        "print('validate', len(calls))\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "validate 1" in p.stdout, p.stdout + p.stderr
    assert (tmp_path / "o" / "tin.wav").is_file()


@pytest.mark.slow
def test_a_changed_reading_in_the_packages_lexicon_renders_the_batch_again(tmp_path):
    """The stale-batch repro: batch, change a reading in assets/lexicon.tsv, batch again:
    the article is rendered again with the new reading (the stamp holds the output key,
    which covers the package's code and data), not reported skipped."""
    pkg = Path(newsvoice.__file__).parent
    copy = tmp_path / "pkg"
    shutil.copytree(pkg, copy / "newsvoice", ignore=shutil.ignore_patterns("__pycache__"))
    import newsvoice.assets as assets

    shutil.copytree(
        Path(assets.__file__).parent,
        copy / "newsvoice" / "assets",
        ignore=shutil.ignore_patterns("__pycache__"),
        dirs_exist_ok=True,
    )
    src = tmp_path / "in"
    src.mkdir()
    (src / "tin.txt").write_text("Tin vắn\n\nĐoàn khảo sát đến Ba Na sáng nay.\n", encoding="utf-8")
    lexicon = copy / "newsvoice" / "assets" / "lexicon.tsv"
    lexicon.write_text(lexicon.read_text("utf-8") + "Ba Na\tBà Nà\n", encoding="utf-8")

    def batch() -> tuple[str, str]:
        code = (
            "import sys; sys.path.insert(0, sys.argv[1]); from newsvoice.cli.app import main; "
            "sys.argv = ['newsvoice', *sys.argv[2:]]; main()"
        )
        p = subprocess.run(
            [
                sys.executable,
                "-c",
                code,
                str(copy),
                "-q",
                "batch",
                str(src),
                "-o",
                str(tmp_path / "out"),
                "--engine",
                "espeak",
                "--cache-dir",
                str(tmp_path / "c"),
                "-j",
                "1",
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert p.returncode == 0, p.stderr
        import json

        report = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))
        [manifest_path] = (tmp_path / "out").glob(
            "tin*/tin.json"
        )  # the folder: <slug>-<source hash>
        manifest = json.loads(manifest_path.read_text("utf-8"))
        return report["articles"][0]["status"], " ".join(u["spoken"] for u in manifest["units"])

    status, spoken = batch()
    assert status == "ok" and "bà nà" in spoken.lower()
    lexicon.write_text(
        lexicon.read_text("utf-8").replace("Ba Na\tBà Nà\n", "Ba Na\tBa Na núi\n"), encoding="utf-8"
    )
    status, spoken = batch()
    assert status == "ok", "a changed reading must render again, not be skipped"
    assert "ba na núi" in spoken.lower()
    status, _ = batch()
    assert status == "skipped"  # unchanged: up to date
