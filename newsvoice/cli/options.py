"""Click options generated from the one option table (:data:`newsvoice.options.SPECS`).

A command says which table it reads (``@table_options("render")``); the flags, types,
ranges, defaults and help come from the table, so render, batch, align, check and
config files (whose keys are the options) cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from newsvoice.cli.params import Bitrate, FiniteFloat, FormatList, StrictInt
from newsvoice.options import SUB_FORMATS, Spec, parse_duration, specs_for


class EngineChoice(click.Choice):
    """``--engine``: auto or any engine in the registry, plugins included (read when used)."""

    def __init__(self, auto: bool = True) -> None:
        self.auto = auto
        super().__init__([])

    @property
    def choices(self):  # type: ignore[override]
        from newsvoice.speech.engines import AUTO, engine_names

        return ([AUTO] if self.auto else []) + engine_names()

    @choices.setter
    def choices(self, _value) -> None:
        pass

    def convert(self, value, param, ctx):
        from newsvoice.speech.engines import AUTO, builtin_names

        if value in builtin_names() or (self.auto and value == AUTO):
            return value  # no need to look for plugins (and load importlib.metadata) for these
        return super().convert(value, param, ctx)


class FrameRate(click.ParamType):
    """A broadcast frame rate from the table's list; ``25``, ``25.0`` and ``"25"`` alike
    (a TOML number or a string), returned as the list's spelling."""

    name = "fps"

    def __init__(self, choices: tuple[str, ...]) -> None:
        self.choices = choices

    def convert(self, value, param, ctx) -> str:
        try:
            x = float(value)
        except (TypeError, ValueError):
            x = float("nan")
        for c in self.choices:
            if abs(float(c) - x) < 1e-6:
                return c
        self.fail(f"{value!r} is not one of {', '.join(self.choices)}", param, ctx)

    def __repr__(self) -> str:
        return f"FrameRate{self.choices}"

    def get_metavar(self, param, *args: Any) -> str:  # click 8.1 and 8.2 signatures
        return "[" + "|".join(self.choices) + "]"


class Duration(click.ParamType):
    """Seconds or [H:]M:SS within the spec's range (``1:99`` and ``1:-30`` are refused)."""

    name = "duration"

    def __init__(self, lo: float | None, hi: float | None) -> None:
        self.lo, self.hi = lo, hi

    def convert(self, value, param, ctx) -> float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        try:
            secs = parse_duration(str(value))
        except ValueError as e:
            self.fail(str(e), param, ctx)
        if (self.lo is not None and secs < self.lo) or (self.hi is not None and secs > self.hi):
            self.fail(f"{value!r} is outside {self.lo:g}-{self.hi:g} s", param, ctx)
        return secs

    def __repr__(self) -> str:
        return f"Duration[{self.lo}, {self.hi}]"


def _type(spec: Spec) -> Any:
    lo, hi = spec.lo, spec.hi
    match spec.kind:
        case "int":
            return StrictInt(
                int(lo if lo is not None else -(2**31)), int(hi if hi is not None else 2**31)
            )
        case "float":
            return FiniteFloat(
                lo if lo is not None else float("-inf"), hi if hi is not None else float("inf")
            )
        case "choice":
            return click.Choice(list(spec.choice_list()))
        case "fps":
            return FrameRate(spec.choice_list())
        case "duration":
            return Duration(lo, hi)
        case "formats":
            return FormatList(lambda: SUB_FORMATS)
        case "paths":
            return click.Path(path_type=Path)
        case "folder":
            return click.Path(file_okay=False, path_type=Path)
        case "engine":
            return EngineChoice(auto=spec.name == "engine")
        case "bitrate":
            return Bitrate()
        case "text" | "texts":
            return str
    raise ValueError(f"{spec.flag}: no Click type for kind {spec.kind!r}")


def click_option(spec: Spec) -> Callable[[Callable], Callable]:
    """The Click option of one table row."""
    kw: dict[str, Any] = {"help": spec.help}
    if spec.metavar:
        kw["metavar"] = spec.metavar
    if spec.kind == "flag":
        return click.option(spec.flag, spec.param, is_flag=True, default=bool(spec.default), **kw)
    if spec.kind == "switch":
        return click.option(
            f"{spec.flag}/--no-{spec.name}",
            spec.param,
            default=bool(spec.default),
            show_default=True,
            **kw,
        )
    if spec.kind in ("paths", "texts"):
        return click.option(spec.flag, spec.param, multiple=True, type=_type(spec), **kw)
    show = spec.show_default if spec.default is not None else False
    default = ",".join(spec.default) if spec.kind == "formats" else spec.default
    return click.option(
        spec.flag, spec.param, type=_type(spec), default=default, show_default=show, **kw
    )


def table_options(command: str) -> Callable[[Callable], Callable]:
    """Every option of ``command`` from the table, in the table's order."""
    options = [click_option(s) for s in specs_for(command)]

    def apply(f: Callable) -> Callable:
        for opt in reversed(options):
            f = opt(f)
        return f

    return apply


def table_values(command: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """Pop the table's options out of a command's keyword arguments, by option name."""
    return {s.name: kwargs.pop(s.param) for s in specs_for(command) if s.param in kwargs}
