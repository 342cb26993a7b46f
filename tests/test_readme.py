"""The README's install and test commands are the ones CI runs."""

from __future__ import annotations

import re

from conftest import REPO


def _ci_command(name: str) -> str:
    m = re.search(
        rf"^{name}='(.*)'$", (REPO / ".ci" / "run").read_text(encoding="utf-8"), re.MULTILINE
    )
    assert m, f".ci/run defines no {name}"
    return m.group(1)


def test_ci_runs_exactly_the_readme_commands():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(
        r"^    (\S.*)$", readme.split("## Install and test")[1].split("\n## ")[0], re.MULTILINE
    )
    assert blocks == [_ci_command("INSTALL"), _ci_command("TEST")]


def test_declared_python_versions_are_the_tested_ones():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    project = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    tested = set(re.findall(r"python(3\.\d+)", ci))
    declared = set(re.findall(r"Python :: (3\.\d+)", project))
    assert tested == declared == {"3.11", "3.13"}
    assert "audioop-lts" in project  # pydub needs audioop, gone from 3.13
