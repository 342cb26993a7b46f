"""The one small interface every speech engine implements.

Spoken text in, mono PCM plus optional word timings out. Engines know nothing
about articles, caching or files; the renderer composes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class WordTiming:
    """A word of the spoken text and where it starts in the engine's audio."""

    text_offset: int
    length: int
    start_s: float


@dataclass(frozen=True)
class Voice:
    engine: str
    name: str
    description: str


@dataclass
class Speech:
    """Engine output: int16 mono samples at ``rate`` Hz, with word timings if known."""

    samples: np.ndarray
    rate: int
    words: list[WordTiming] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.rate


class Engine(Protocol):
    """A speech engine: synthesise one phrase of normalised Vietnamese text."""

    name: str
    voice: str
    speed: float

    def synthesize(self, text: str) -> Speech: ...

    def voices(self) -> list[Voice]: ...
