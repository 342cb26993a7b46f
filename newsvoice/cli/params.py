"""Click parameter types and argv handling for the CLI: every bad value is a usage
error (exit 2, one line) found before any work starts.

Click's own FloatRange lets ``nan`` through (every comparison with NaN is false)
and IntRange turns a config value of ``1e400`` into an OverflowError traceback,
so the ranges here check finiteness and integrality themselves.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

import click


class FiniteFloat(click.ParamType):
    """A finite float within [lo, hi] (bounds may be open)."""

    name = "float"

    def __init__(
        self, lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False
    ) -> None:
        self.lo, self.hi, self.lo_open, self.hi_open = lo, hi, lo_open, hi_open

    def _range(self) -> str:
        return (
            f"{'(' if self.lo_open else '['}{self.lo:g}, {self.hi:g}{')' if self.hi_open else ']'}"
        )

    def convert(self, value, param, ctx) -> float:
        if isinstance(value, bool):
            self.fail(f"{value!r} is not a number", param, ctx)
        try:
            x = float(value)
        except (TypeError, ValueError, OverflowError):
            self.fail(f"{value!r} is not a number", param, ctx)
        too_low = x <= self.lo if self.lo_open else x < self.lo
        too_high = x >= self.hi if self.hi_open else x > self.hi
        if not math.isfinite(x) or too_low or too_high:
            self.fail(f"{value!r} is not a finite number in {self._range()}", param, ctx)
        return x

    def __repr__(self) -> str:
        return f"FiniteFloat{self._range()}"


class StrictInt(click.ParamType):
    """An integer within [lo, hi]; a float is accepted only when it is a whole number
    (config files), never rounded, and huge values are a usage error, not a traceback."""

    name = "integer"

    def __init__(self, lo: int, hi: int) -> None:
        self.lo, self.hi = lo, hi

    def convert(self, value, param, ctx) -> int:
        if isinstance(value, bool):
            self.fail(f"{value!r} is not an integer", param, ctx)
        try:
            if isinstance(value, float):
                if not value.is_integer():
                    raise ValueError
                n = int(value)
            else:
                n = int(str(value).strip(), 10)
        except (TypeError, ValueError, OverflowError):
            self.fail(f"{value!r} is not an integer", param, ctx)
        if not self.lo <= n <= self.hi:
            self.fail(f"{value!r} is not in the range {self.lo}-{self.hi}", param, ctx)
        return n

    def __repr__(self) -> str:
        return f"StrictInt[{self.lo}, {self.hi}]"


class Bitrate(click.ParamType):
    """MP3 CBR bit rate: '192k' or '192000' within 8-320 kbit/s -> '192k'."""

    name = "bitrate"
    KBPS = (8, 320)  # what libmp3lame encodes

    def convert(self, value, param, ctx) -> str:
        m = re.fullmatch(r"\s*(\d{1,7})\s*(k?)\s*", str(value), re.IGNORECASE)
        kbps = None
        if m:
            kbps = int(m.group(1)) if m.group(2) else int(m.group(1)) / 1000
        lo, hi = self.KBPS
        if kbps is None or not lo <= kbps <= hi or kbps != int(kbps):
            self.fail(f"{value!r} is not a bit rate from {lo}k to {hi}k (e.g. 192k)", param, ctx)
        return f"{int(kbps)}k"

    def __repr__(self) -> str:
        return f"Bitrate{self.KBPS}"


class FormatList(click.ParamType):
    """Comma-separated names from ``choices`` (a TOML list works too), at least one.
    ``choices`` may be a function, so the module that owns the names loads only when
    the option is used."""

    name = "list"

    def __init__(self, choices: Sequence[str] | Callable[[], Sequence[str]]) -> None:
        self._choices = choices

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(self._choices() if callable(self._choices) else self._choices)

    def convert(self, value, param, ctx) -> tuple[str, ...]:
        if isinstance(value, tuple):
            return value
        items = value if isinstance(value, list) else str(value).split(",")
        names = tuple(str(s).strip().lower() for s in items if str(s).strip())
        if not names:
            self.fail(f"give at least one of {', '.join(self.choices)}", param, ctx)
        bad = [s for s in names if s not in self.choices]
        if bad:
            self.fail(
                f"unknown format {bad[0]!r} (choose from {', '.join(self.choices)})", param, ctx
            )
        return tuple(dict.fromkeys(names))

    def __repr__(self) -> str:
        return "FormatList"


def hoist_global_options(args: list[str], flags: Sequence[str], valued: Sequence[str]) -> list[str]:
    """Move global options written after the command (``render x.txt -q``) to the front,
    where Click's group parses them. ``flags`` take no value, ``valued`` take one
    (``--config F`` or ``--config=F``). Stops at ``--``."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            rest += args[i:]
            break
        if a in flags:
            front.append(a)
        elif a in valued and i + 1 < len(args):
            front += [a, args[i + 1]]
            i += 1
        elif any(a.startswith(v + "=") for v in valued if v.startswith("--")):
            front.append(a)
        else:
            rest.append(a)
        i += 1
    return front + rest
