"""Config files set option defaults per command; flags win; typos are errors."""

from __future__ import annotations

import json
from pathlib import Path

import srt
from cli import run

ARTICLE = (
    "Tin nhanh\n\nSáng 11/01, UBND huyện tổ chức hội nghị tổng kết công tác năm 2023 "
    "và triển khai nhiệm vụ năm 2024 với sự tham dự của lãnh đạo các xã, thị trấn.\n"
)


def test_config_sets_cue_rules_and_flags_override(tmp_path: Path):
    src = tmp_path / "tin.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    cfg = tmp_path / "nv.toml"
    cfg.write_text('[render]\nengine = "espeak"\nfps = 29.97\nmax-chars = 30\n', encoding="utf-8")
    p = run(
        "--config",
        str(cfg),
        "render",
        str(src),
        "-o",
        str(tmp_path / "a"),
        "--cache-dir",
        str(tmp_path / "c"),
    )
    assert p.returncode == 0, p.stderr.decode()
    man = json.loads((tmp_path / "a" / "tin.json").read_text(encoding="utf-8"))
    assert man["engine"] == "espeak"
    assert man["settings"]["cues"]["fps"] == 29.97 and man["settings"]["cues"]["max_chars"] == 30
    cues = list(srt.parse((tmp_path / "a" / "tin.srt").read_text(encoding="utf-8")))
    assert all(len(line) <= 30 for c in cues for line in c.content.splitlines())
    assert max(len(line) for c in cues for line in c.content.splitlines()) > 20

    p = run(
        "--config",
        str(cfg),
        "render",
        str(src),
        "-o",
        str(tmp_path / "b"),
        "--max-chars",
        "42",
        "--cache-dir",
        str(tmp_path / "c"),
    )
    assert p.returncode == 0, p.stderr.decode()
    man = json.loads((tmp_path / "b" / "tin.json").read_text(encoding="utf-8"))
    assert man["settings"]["cues"]["max_chars"] == 42


def test_config_typos_and_bad_toml_are_clear_errors(tmp_path: Path):
    cfg = tmp_path / "nv.toml"
    cfg.write_text("[render]\nmax-char = 30\n", encoding="utf-8")
    p = run("--config", str(cfg), "render", "x.txt")
    assert p.returncode == 1 and "no option 'max-char'" in p.stderr.decode()
    cfg.write_text("[rendre]\n", encoding="utf-8")
    p = run("--config", str(cfg), "render", "x.txt")
    assert p.returncode == 1 and "unknown table [rendre]" in p.stderr.decode()
    cfg.write_text("[render\n", encoding="utf-8")
    p = run("--config", str(cfg), "render", "x.txt")
    assert p.returncode == 1 and "not valid TOML" in p.stderr.decode()
    assert "Traceback" not in p.stderr.decode()


def test_batch_takes_the_same_cue_options_from_config(tmp_path: Path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "tin.txt").write_text(ARTICLE, encoding="utf-8")
    cfg = tmp_path / "nv.toml"
    cfg.write_text(
        '[batch]\nengine = "espeak"\nmax-chars = 30\npause-paragraph = 1500\n', encoding="utf-8"
    )
    p = run(
        "--config",
        str(cfg),
        "-q",
        "batch",
        str(src),
        "-o",
        str(tmp_path / "out"),
        "--cache-dir",
        str(tmp_path / "c"),
        "--jobs",
        "1",
    )
    assert p.returncode == 0, p.stderr.decode()
    man = json.loads(next((tmp_path / "out").glob("tin-*/tin.json")).read_text(encoding="utf-8"))
    assert man["settings"]["cues"]["max_chars"] == 30
    assert man["settings"]["pauses"]["paragraph"] == 1500
    cues = list(
        srt.parse(next((tmp_path / "out").glob("tin-*/tin.srt")).read_text(encoding="utf-8"))
    )
    assert all(len(line) <= 30 for c in cues for line in c.content.splitlines())
