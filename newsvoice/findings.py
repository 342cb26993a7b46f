"""Findings: one typed record for everything a render, a reading or a lint wants a person
to look at (plan warnings, cue warnings, readings to check, ``check`` results).

A base-level value (stdlib only), so every stage can produce findings and the manifest,
``check`` and the review page read them the same way, without parsing message strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

ERROR = "error"  # breaks a hard rule (a broadcast preset, an input limit)
WARNING = "warning"  # advice: the output is usable, but a rule is bent
CHECK = "check"  # a reading or decision the normaliser is unsure of: a producer should listen
SEVERITIES = (ERROR, WARNING, CHECK)


@dataclass(frozen=True)
class Finding:
    """Where, how bad, which rule, what to say; plus optional locators for tools."""

    where: str  # human-readable place: "cue 3", "sentence 12", "line 4", "file"
    severity: str  # one of SEVERITIES
    rule: str  # a stable id, e.g. "max-dur", "reading-speed", "unknown-acronym"
    message: str
    cue: int | None = None  # 1-based cue number, when about a cue
    sentence: int | None = None  # 1-based narrated sentence, when about a reading
    token: str | None = None  # the written text concerned (a reading's token)
    reading: str | None = None  # what it will be said as

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity {self.severity!r} not one of {SEVERITIES}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, without empty locators."""
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name)) is not None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """The inverse of :meth:`to_dict`; unknown keys are ignored (newer manifests)."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message
