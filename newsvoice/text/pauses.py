"""Pause lengths: a plain value, kept apart from :mod:`newsvoice.text.plan` (which loads the
text front-end) so that options and the CLI can name them cheaply. plan re-exports it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pauses:
    """Silence in milliseconds after each kind of boundary (and around the programme)."""

    phrase: int = 200  # after a closing parenthesis or quote, or a dash
    comma: int = 300  # after , ; :
    sentence: int = 600
    paragraph: int = 1000
    head: int = 300  # pre-roll
    tail: int = 700  # post-roll
