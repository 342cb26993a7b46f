"""Synthesis units through an engine and the unit cache: audio plus word onsets.

Every unit comes back trimmed to its speech, at 48 kHz, with the onset of each
of its spoken words: from the engine's own word events where it reports them,
else from forced alignment against espeak-ng (:mod:`newsvoice.speech.aligner`). Both
are cached together, so a warm render neither calls the engine nor aligns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from newsvoice.audio.track import RATE, resample, trim_bounds
from newsvoice.cache.phrases import Entry, PhraseCache, as_stored, phrase_key
from newsvoice.speech.aligner import align_text, starts_from_events
from newsvoice.speech.engines import Engine


@dataclass(frozen=True)
class UnitSpeech:
    """A unit's speech (int16 at RATE, trimmed) and its spoken words' onsets (s)."""

    samples: np.ndarray
    starts: np.ndarray
    confidence: float

    @property
    def duration_s(self) -> float:
        return len(self.samples) / RATE


@dataclass
class Synthesizer:
    """An engine behind the unit cache; counts the calls that reached the engine."""

    engine: Engine
    cache: PhraseCache | None
    calls: int = 0
    aligned: int = 0
    hit_keys: set[str] = field(default_factory=set)  # units this render found in the cache

    def __call__(self, text: str) -> UnitSpeech:
        n_words = len(text.split())
        if not n_words:
            return UnitSpeech(np.zeros(0, np.int16), np.zeros(0), 1.0)
        key = self.key(text)
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None and len(hit.starts) == n_words:
                self.hit_keys.add(key)
                return UnitSpeech(hit.samples, hit.starts, hit.confidence)
        self.calls += 1
        speech = self.engine.synthesize(text)
        a, b = trim_bounds(speech.samples, speech.rate)
        pcm = resample(speech.samples[a:b], speech.rate, RATE)
        dur = len(pcm) / RATE
        if speech.words:
            events = [(w.text_offset, w.start_s - a / speech.rate) for w in speech.words]
            starts, conf = starts_from_events(text, events, dur), 1.0
        else:
            self.aligned += 1
            al = align_text(text, pcm, RATE)
            starts, conf = al.starts, al.confidence
        if len(starts):
            starts[0] = 0.0  # the trimmed unit starts on its first word
        entry = as_stored(Entry(pcm, np.minimum(starts, dur), conf))
        if self.cache is not None:
            # the stored entry, ours or another worker's: every render of this unit agrees
            entry = self.cache.put(key, entry)
        return UnitSpeech(entry.samples, entry.starts, entry.confidence)

    def key(self, text: str) -> str:
        """The unit cache key of ``text`` spoken by this engine and voice."""
        return phrase_key(
            self.engine.name, self.engine.voice, text, getattr(self.engine, "revision", 0)
        )

    def credit(self, made: list[tuple[str, bool]]) -> None:
        """Count as engine calls (not cache hits) the units another process synthesised
        for this render (``made``: key, whether it was aligned) that this one then used."""
        used = [aligned for key, aligned in made if key in self.hit_keys]
        self.calls += len(used)
        self.aligned += sum(used)
        if self.cache is not None:
            self.cache.hits -= len(used)


@dataclass(frozen=True)
class UnitTiming:
    """A unit's length (samples at RATE) and its spoken words' onsets; its audio was
    written to a spool track (memory does not hold the programme)."""

    n_samples: int
    starts: np.ndarray
    confidence: float

    @property
    def duration_s(self) -> float:
        return self.n_samples / RATE


def synthesize_into(
    spoken: Sequence[str],
    synth: Synthesizer,
    sink: Callable[[int, np.ndarray], None],
    progress: Callable[[int, int], None] | None = None,
) -> list[UnitTiming]:
    """Every unit's speech handed to ``sink(index, samples)`` in order (the programme
    track, or a spool when the pace is solved afterwards); only timings are kept."""
    out: list[UnitTiming] = []
    for i, text in enumerate(spoken, 1):
        unit = synth(text)
        sink(i - 1, unit.samples)
        out.append(UnitTiming(len(unit.samples), unit.starts, unit.confidence))
        if progress:
            progress(i, len(spoken))
    return out


def synthesize_units(
    spoken: Sequence[str], synth: Synthesizer, progress: Callable[[int, int], None] | None = None
) -> list[UnitSpeech]:
    """Every unit's speech, in order, held in memory (short texts: tests, the aligner's bench)."""
    out: list[UnitSpeech] = []
    for i, text in enumerate(spoken, 1):
        out.append(synth(text))
        if progress:
            progress(i, len(spoken))
    return out
