"""Config files: a TOML file whose tables are command names and whose keys are option names.

    [render]
    fps = "29.97"
    max-chars = 37
    pause-paragraph = 1200

Values become Click defaults (``default_map``), so a config key is exactly an
option, command-line flags still win, and Click validates the values as it
does for flags. Unknown tables or keys are an error: a typo must not be ignored, nor
one option set twice under two spellings (``max-chars`` and ``max_chars``). A command
group's table (``[cache]``) sets its subcommands' options. The file may be UTF-8 (with
or without a BOM) or UTF-16, as articles and lexicons may.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import click

from newsvoice.errors import InputError, UsageError


def load_config(path: Path, group: click.Group) -> dict[str, dict[str, object]]:
    """Read ``path`` and check every table and key against ``group``'s commands."""
    from newsvoice.inputs.bounded import read_regular

    if not path.exists():
        raise InputError(f"config file not found: {path}")
    try:
        data = tomllib.loads(config_text(read_regular(path, 1 << 20, "config file"), path))
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{path}: not valid TOML: {e}") from e
    return default_map(data, group, str(path))


def config_text(raw: bytes, path: Path) -> str:
    """The file's text: UTF-8 with or without a BOM, UTF-16 with or without one (the
    article decoder's detection); an empty file is an empty config."""
    if not raw.strip(b"\x00 \t\r\n\xef\xbb\xbf\xff\xfe"):
        return ""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        from newsvoice.inputs.encoding import decode_bytes

        return decode_bytes(raw, source=f"config file {path}")[0].lstrip("\ufeff")


def option_keys(cmd: click.Command) -> dict[str, click.Option]:
    """Config keys of a command: each option's long names without dashes (``format``,
    ``out``, ``lexicon``) and, as before, its parameter name (``audio-format``)."""
    keys: dict[str, click.Option] = {}
    for p in cmd.params:
        if not isinstance(p, click.Option) or not p.name:
            continue
        for name in (
            p.name,
            p.name.replace("_", "-"),
            *(o.lstrip("-") for o in p.opts if o.startswith("--")),
        ):
            keys[name] = p
    return keys


def _value(key: str, value: object, param: click.Option, where: str) -> object:
    """A TOML value as the option's default: lists for repeatable options (a single
    value becomes a one-item list), a list for list types such as ``subs``, strings
    for choices."""
    if param.multiple:
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]
    if isinstance(value, list):
        if getattr(param.type, "name", "") == "list":
            return [str(v) for v in value]
        raise InputError(f"{where}: {key} takes one value, not a list")
    if isinstance(value, dict):
        raise InputError(f"{where}: {key} takes a value, not a table")
    return str(value) if isinstance(param.type, click.Choice) else value


def default_map(
    data: dict, group: click.Group, where: str = "config"
) -> dict[str, dict[str, object]]:
    """Turn ``{command: {option-name: value}}`` into Click's ``default_map``."""
    out: dict[str, dict[str, object]] = {}
    for name, table in data.items():
        cmd = group.commands.get(name)
        if cmd is None or not isinstance(table, dict):
            raise InputError(
                f"{where}: unknown table [{name}] (commands: {', '.join(sorted(group.commands))})"
            )
        if isinstance(cmd, click.Group):
            out[name] = _group_entry(name, table, cmd, where)
        else:
            out[name] = _entry(name, table, cmd, where)
    return out


def _entry(name: str, table: dict, cmd: click.Command, where: str) -> dict[str, object]:
    keys = option_keys(cmd)
    entry: dict[str, object] = {}
    spelled: dict[str, str] = {}
    for key, value in table.items():
        param = keys.get(key)
        if param is None:
            raise InputError(f"{where}: [{name}] has no option {key!r}")
        assert param.name is not None  # option_keys lists named options only
        if param.name in spelled:
            raise UsageError(
                f"{where}: [{name}] sets one option twice: {spelled[param.name]!r} and {key!r}"
            )
        spelled[param.name] = key
        entry[param.name] = _value(key, value, param, f"{where}: [{name}]")
    return entry


def _group_entry(name: str, table: dict, group: click.Group, where: str) -> dict[str, object]:
    """``[cache]``: each key goes to every subcommand that has the option (``cache-dir``
    to info and prune, ``max-size`` to prune); a key none has is an error."""
    entry: dict[str, object] = {}
    for key in table:
        if not any(key in option_keys(sub) for sub in group.commands.values()):
            raise InputError(f"{where}: [{name}] has no option {key!r}")
    for sub_name, sub in group.commands.items():
        keys = option_keys(sub)
        mine = {k: v for k, v in table.items() if k in keys}
        if mine:
            entry[sub_name] = _entry(f"{name}] [{sub_name}", mine, sub, where)
    return entry
