"""Article reading: bytes on disk -> clean, NFC paragraphs a newsreader would read.

CONTRACT (owned by the text front-end; the renderer and CLI rely on it):

    read_article(path: Path, *, keep_all: bool = False) -> Article
    parse_article(data: bytes, *, keep_all: bool = False) -> Article

raise newsvoice.errors.InputError with a one-line message for empty, binary,
undecodable, too-large input or an article with nothing to narrate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class DroppedLine:
    """A line of the source that a newsreader would not read, and why."""

    text: str
    reason: str


@dataclass(frozen=True)
class Article:
    """The narratable content of one article: headline plus body paragraphs (NFC)."""

    headline: str | None
    paragraphs: list[str]
    dropped: list[DroppedLine] = field(default_factory=list)


def parse_article(data: bytes, *, keep_all: bool = False) -> Article:
    raise NotImplementedError


def read_article(path: Path, *, keep_all: bool = False) -> Article:
    raise NotImplementedError


def read_bytes(path: Path) -> bytes:
    raise NotImplementedError


def decode_text(data: bytes) -> str:
    """Decode article bytes to NFC text (encoding detection), or raise InputError."""
    raise NotImplementedError
