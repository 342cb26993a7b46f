"""The word timeline of a render: every written word with its start and end (s).

Unit speech carries each spoken word's onset; the plan says which spoken words
say each written token. A token starts at its first spoken word and ends where
the next token starts (or where its unit's speech ends). Times are seconds in
the delivered programme, after tempo and ``--fit``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from newsvoice.text.plan import Unit
from newsvoice.text.words import Word

#: a word lasts at least one frame at 25 fps, so a highlight or a search never flashes past it
MIN_WORD_S = 0.04


@dataclass(frozen=True)
class TimedWord:
    """A written word of the narration, when it is said, and what is said for it."""

    word: Word
    spoken: str
    start: float
    end: float
    sentence: int
    unit: int
    confidence: float

    @property
    def text(self) -> str:
        return self.word.written

    def as_dict(self) -> dict:
        return {
            "text": self.text,
            "start": round(self.start, 3),
            "end": round(self.end, 3),
            "spoken": self.spoken,
            "confidence": round(self.confidence, 2),
        }


def sentence_spans(words: Sequence[TimedWord]) -> list[tuple[int, int]]:
    """[a, b) index ranges of each sentence's words, in order (cues never cross them)."""
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(words):
        j = i + 1
        while j < len(words) and words[j].sentence == words[i].sentence:
            j += 1
        spans.append((i, j))
        i = j
    return spans


def unit_words(
    unit: Unit,
    index: int,
    starts: np.ndarray,
    duration: float,
    offset: float,
    scale: float,
    confidence: float,
) -> list[TimedWord]:
    """The timed written words of one unit: ``starts`` are its spoken words' onsets in
    the unit's engine-paced audio, ``scale`` the tempo stretch, ``offset`` where the unit
    sits in the programme."""
    out: list[TimedWord] = []
    n = len(starts)
    k = 0
    bounds: list[tuple[float, float]] = []
    for tok in unit.tokens:
        i0, i1 = k, k + len(tok.spoken)
        k = i1
        a = starts[i0] if i0 < n else duration
        b = starts[i1] if i1 < n else duration
        bounds.append((a, b))
    points = [offset + a * scale for a, _ in bounds] + [
        offset + (bounds[-1][1] if bounds else 0.0) * scale
    ]
    points = give_every_word_a_frame(points)
    for k, tok in enumerate(unit.tokens):
        out.append(
            TimedWord(
                tok.word,
                " ".join(tok.spoken),
                points[k],
                points[k + 1],
                unit.sentence,
                index,
                confidence,
            )
        )
    return out


def give_every_word_a_frame(points: Sequence[float], min_len: float = MIN_WORD_S) -> list[float]:
    """Word boundaries ``points`` (word k spans points[k]..points[k+1]) made non-decreasing with
    every word at least ``min_len`` long. A word with no time of its own (a sign folded into its
    neighbour's reading, punctuation, two words an engine gave one onset) shares the time of the
    neighbours that say it: the shortest pool of adjacent words that holds a frame each is split
    evenly. Only a unit too short for a frame a word ends past its speech."""
    t = [float(x) for x in np.maximum.accumulate(np.asarray(points, float))] if len(points) else []
    m = len(t) - 1
    eps = 1e-9
    j = 0
    while j < m:
        if t[j + 1] - t[j] >= min_len - eps:
            j += 1
            continue
        a, b = j, j + 1
        while t[b] - t[a] < min_len * (b - a) - eps:
            left = t[a] - t[a - 1] if a > 0 else -1.0
            right = t[b + 1] - t[b] if b < m else -1.0
            if left < 0 and right < 0:
                t[m] = t[a] + min_len * (b - a)  # no room anywhere: the unit's end moves
                break
            if left >= right:
                a -= 1
            else:
                b += 1
        step = (t[b] - t[a]) / (b - a)
        for k in range(a + 1, b):
            t[k] = t[a] + step * (k - a)
        j = b
    return t


def build_timeline(
    units: Sequence[Unit],
    starts: Sequence[np.ndarray],
    durations: Sequence[float],
    spans_s: Sequence[tuple[float, float]],
    scales: Sequence[float],
    confidences: Sequence[float],
) -> list[TimedWord]:
    """Every written word of the narration in reading order, timed in the programme."""
    out: list[TimedWord] = []
    for i, unit in enumerate(units):
        out += unit_words(
            unit, i, starts[i], durations[i], spans_s[i][0], scales[i], confidences[i]
        )
    return out
