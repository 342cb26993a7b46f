"""Config files: a TOML file whose tables are command names and whose keys are option names.

    [render]
    fps = "29.97"
    max-chars = 37
    pause-paragraph = 1200

Values become Click defaults (``default_map``), so a config key is exactly an
option, command-line flags still win, and Click validates the values as it
does for flags. Unknown tables or keys are an error: a typo must not be ignored.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import click

from newsvoice.errors import InputError


def load_config(path: Path, group: click.Group) -> dict[str, dict[str, object]]:
    """Read ``path`` and check every table and key against ``group``'s commands."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise InputError(f"config file not found: {path}") from e
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read config file {path}: {e}") from e
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{path}: not valid TOML: {e}") from e
    return default_map(data, group, str(path))


def default_map(data: dict, group: click.Group, where: str = "config") -> dict[str, dict[str, object]]:
    """Turn ``{command: {option-name: value}}`` into Click's ``default_map``."""
    out: dict[str, dict[str, object]] = {}
    for name, table in data.items():
        cmd = group.commands.get(name)
        if cmd is None or not isinstance(table, dict):
            raise InputError(f"{where}: unknown table [{name}] (commands: {', '.join(sorted(group.commands))})")
        params = {p.name: p for p in cmd.params if isinstance(p, click.Option) and p.name}
        entry: dict[str, object] = {}
        for key, value in table.items():
            pname = key.replace("-", "_")
            if pname not in params:
                raise InputError(f"{where}: [{name}] has no option {key!r}")
            entry[pname] = str(value) if isinstance(params[pname].type, click.Choice) else value
        out[name] = entry
    return out
