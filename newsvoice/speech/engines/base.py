"""The one small interface every speech engine implements.

Spoken text in, mono PCM plus optional word timings out. Engines know nothing
about articles, caching or files; the renderer composes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from newsvoice.errors import NewsvoiceError

if TYPE_CHECKING:  # numpy loads with the engine that makes samples, not with the registry
    import numpy as np


@dataclass(frozen=True)
class WordTiming:
    """A word of the spoken text (offset and length into the exact text passed to
    ``synthesize``) and where it starts, and ends if the engine says so, in its audio."""

    text_offset: int
    length: int
    start_s: float
    end_s: float | None = None


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
    """A speech engine: synthesise one phrase of normalised Vietnamese text at its
    natural pace (tempo is applied afterwards, by us). What an engine is (voices,
    online, word times, how to parallelise it) is declared in the registry."""

    name: str
    voice: str

    def synthesize(self, text: str) -> Speech: ...


class VoiceError(NewsvoiceError):
    """An --engine or --voice value that cannot be used: a usage error (exit 2)."""

    exit_code = 2
