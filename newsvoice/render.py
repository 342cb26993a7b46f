"""Render one article: read -> plan -> synthesise (cached) -> assemble -> cues -> files.

This is the only module that touches all stages; each stage is a plain
function of the previous one's output. Files are written under temporary
names and renamed only when every output is complete.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from newsvoice import __version__
from newsvoice.audio import (
    RATE,
    Track,
    assemble,
    encode_pcm,
    resample,
    tempo,
    to_float,
    trim_silence,
)
from newsvoice.cache import PhraseCache, default_cache_dir, phrase_key
from newsvoice.engines import Engine, make_engine
from newsvoice.errors import InputError, OutputError
from newsvoice.loudness import LoudnessTarget, Measurement, measure, normalize, presets
from newsvoice.normalize import Normalizer
from newsvoice.plan import Pauses, Phrase, Plan, build_plan, resplit
from newsvoice.segment import PieceLimits
from newsvoice.sources import read_source_article
from newsvoice.subtitles import (
    CueResult,
    CueRules,
    compose_ebutt,
    compose_srt,
    compose_vtt,
    make_cues,
)

log = logging.getLogger("newsvoice")

AUDIO_FORMATS = ("wav", "mp3")
SPEED_RANGE = (0.8, 1.3)   # --speed: pitch-preserving tempo
FIT_RANGE = (0.85, 1.15)   # --fit may change the pace only this much
SUB_FORMATS = ("srt", "vtt", "ttml")  # ttml: EBU-TT-D


@dataclass(frozen=True)
class RenderOptions:
    """Everything that shapes a render (also recorded in the manifest)."""

    engine: str = "auto"
    voice: str | None = None
    speed: float = 1.0
    fit_s: float | None = None          # narrate into this many seconds (overrides speed)
    audio_format: str = "wav"
    bit_depth: int = 24                  # WAV only
    channels: int = 1                    # 2 = dual mono
    bitrate: str = "192k"                # MP3 only, CBR
    loudness: str = "ebu-r128"           # preset name (assets/loudness.toml) or "none"
    lufs: float | None = None            # explicit target overrides the preset
    true_peak: float | None = None
    subs: tuple[str, ...] = ("srt",)
    srt_bom: bool = False
    narrate_headline: bool = True
    keep_all: bool = False
    pauses: Pauses = field(default_factory=Pauses)
    cues: CueRules = field(default_factory=CueRules)
    cache_dir: Path | None = None
    use_cache: bool = True
    lexicons: tuple[Path, ...] = ()
    retries: int = 4
    timeout: float = 10.0
    min_interval: float = 0.3


@dataclass
class RenderResult:
    outputs: dict[str, Path]
    duration_s: float
    cues: int
    phrases: int
    engine: str
    voice: str
    engine_calls: int
    cache_hits: int
    warnings: list[str]
    seconds: float


@dataclass
class Synthesizer:
    """An engine behind the phrase cache; counts the calls that reached the engine."""

    engine: Engine
    cache: PhraseCache | None
    calls: int = 0

    def __call__(self, text: str) -> np.ndarray:
        if not text.strip():
            return np.zeros(0, np.int16)
        key = phrase_key(self.engine.name, self.engine.voice, self.engine.speed, text)
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                return hit
        self.calls += 1
        speech = self.engine.synthesize(text)
        pcm = resample(trim_silence(speech.samples, speech.rate), speech.rate, RATE)
        if self.cache is not None:
            self.cache.put(key, pcm)
        return pcm


def synthesize_plan(plan: Plan, synth: Synthesizer, normalizer: Normalizer, rules: CueRules,
                    pauses: Pauses, progress: Callable[[int, int], None] | None = None,
                    slowest: float = 1.0) -> tuple[list[Phrase], list[np.ndarray]]:
    """Synthesise every phrase; a phrase whose speech is longer than a cue may be is
    cut again at its best boundary and its parts synthesised instead. ``slowest`` is
    the slowest tempo the speech may later be played at, so cues stay short enough."""
    phrases = list(plan.phrases)
    audio: list[np.ndarray] = []
    limit = rules.max_dur - 0.15
    i = 0
    while i < len(phrases):
        ph = phrases[i]
        pcm = synth(ph.spoken)
        dur = len(pcm) / RATE / min(1.0, slowest)
        if dur > limit and len(ph.words) > 1:
            budget = max(8.0, len(ph.spoken) * 0.9 * limit / dur)
            parts = resplit(ph, normalizer, PieceLimits(max_chars=rules.max_chars, max_lines=rules.max_lines,
                                                        max_spoken=budget, min_chars=8), pauses)
            if len(parts) > 1:
                phrases[i: i + 1] = parts
                continue
        audio.append(pcm)
        i += 1
        if progress:
            progress(i, len(phrases))
    return phrases, audio


def _manifest(src: Path, plan: Plan, phrases: list[Phrase], track: Track, cues: CueResult,
              synth: Synthesizer, opts: RenderOptions, warnings: list[str], *, speed: float,
              target: LoudnessTarget | None, loud: Measurement) -> dict:
    units = []
    for ph, (s, e) in zip(phrases, track.spans, strict=True):
        units.append({
            "written": ph.written, "spoken": ph.spoken,
            "start": round(s / RATE, 6), "end": round(e / RATE, 6),
            "start_sample": s, "end_sample": e,
            "paragraph": ph.paragraph, "sentence": ph.sentence, "pause_after_ms": ph.pause_after_ms,
            "engine": synth.engine.name, "voice": synth.engine.voice,
        })
    return {
        "newsvoice": __version__,
        "source": str(src),
        "engine": synth.engine.name,
        "voice": synth.engine.voice,
        "speed": round(speed, 4),
        "fit_s": opts.fit_s,
        "sample_rate": RATE,
        "bit_depth": opts.bit_depth if opts.audio_format == "wav" else None,
        "channels": opts.channels,
        "bitrate": opts.bitrate if opts.audio_format == "mp3" else None,
        "loudness": {"preset": "custom" if opts.lufs is not None else opts.loudness,
                     "target_lufs": target.lufs if target else None,
                     "target_true_peak_dbtp": target.true_peak if target else None,
                     **loud.as_dict()},
        "duration_s": round(track.duration_s, 6),
        "samples": track.n_samples,
        "headline": plan.headline,
        "units": units,
        "cues": [{"start": round(c.start, 3), "end": round(c.end, 3), "text": c.text,
                  "phrases": list(c.phrases)} for c in cues.cues],
        "totals": {"phrases": len(phrases), "cues": len(cues.cues),
                   "sentences": len({p.sentence for p in phrases}),
                   "engine_calls": synth.calls,
                   "cache_hits": synth.cache.hits if synth.cache else 0},
        "dropped": [asdict(d) for d in plan.dropped],
        "warnings": warnings,
        "settings": {"pauses": asdict(opts.pauses), "cues": asdict(opts.cues),
                     "audio_format": opts.audio_format, "subs": list(opts.subs)},
    }


def parse_slot(text: str) -> float:
    """``90``, ``90.5``, ``1:30`` or ``0:01:30`` -> seconds (ValueError otherwise)."""
    parts = text.strip().split(":")
    if not 1 <= len(parts) <= 3 or any(not p.strip() for p in parts):
        raise ValueError(f"not a duration: {text!r}")
    secs = 0.0
    for p in parts:
        secs = secs * 60 + float(p)
    if secs <= 0:
        raise ValueError(f"not a positive duration: {text!r}")
    return secs


def loudness_target(opts: RenderOptions) -> LoudnessTarget | None:
    """The target from --lufs/--true-peak, else from the named preset (None: leave levels)."""
    if opts.lufs is not None:
        return LoudnessTarget(opts.lufs, opts.true_peak if opts.true_peak is not None else -1.0)
    table = presets()
    if opts.loudness not in table:
        raise InputError(f"unknown loudness preset {opts.loudness!r} (choose from {', '.join(table)})")
    target = table[opts.loudness]
    if target is not None and opts.true_peak is not None:
        target = replace(target, true_peak=opts.true_peak)
    return target


def fit_speed(scaled_s: float, fixed_s: float, slot_s: float) -> float:
    """Tempo that makes the speech and the pauses between phrases (``scaled_s``, both
    scaled by it) plus the fixed head and tail fill ``slot_s``; raises InputError
    when outside FIT_RANGE."""
    room = slot_s - fixed_s
    need = scaled_s / room if room > 0 else float("inf")
    lo, hi = FIT_RANGE
    if not lo <= need <= hi:
        raise InputError(f"cannot fit the narration ({scaled_s + fixed_s:.1f} s at normal pace) into {slot_s:g} s: "
                         f"that would need speed {need:.2f}, outside the allowed {lo}–{hi}")
    return need


def apply_tempo(raw: list[np.ndarray], phrases: list[Phrase], speed: float,
                scale_pauses: bool) -> tuple[list[np.ndarray], list[Phrase]]:
    """Play each phrase at ``speed`` (pitch kept); optionally shrink/stretch pauses alike."""
    audio = [tempo(a, speed) for a in raw]
    if scale_pauses:
        phrases = [replace(p, pause_after_ms=round(p.pause_after_ms / speed)) for p in phrases]
    return audio, phrases


def _scaled_s(audio: list[np.ndarray], phrases: list[Phrase]) -> float:
    """Seconds that tempo scales: the speech and the pauses between phrases."""
    return sum(len(a) for a in audio) / RATE + sum(p.pause_after_ms for p in phrases[:-1]) / 1000


def timed_audio(raw: list[np.ndarray], phrases: list[Phrase], opts: RenderOptions,
                ) -> tuple[list[np.ndarray], list[Phrase], float]:
    """Phrase audio at the final pace, before any timing is taken (so cues stay exact).

    With ``fit_s`` the pace is solved from the 1.0 synthesis, then corrected (at most
    twice) from the measured result because atempo's output length is not exactly proportional."""
    if opts.fit_s is None:
        return *apply_tempo(raw, phrases, opts.speed, scale_pauses=False), opts.speed
    fixed = (opts.pauses.head + opts.pauses.tail) / 1000
    speed = fit_speed(_scaled_s(raw, phrases), fixed, opts.fit_s)
    audio, timed = apply_tempo(raw, phrases, speed, scale_pauses=True)
    for _ in range(2):
        got = _scaled_s(audio, timed) + fixed
        if abs(got - opts.fit_s) <= 0.25:
            break
        speed *= (got - fixed) / (opts.fit_s - fixed)
        audio, timed = apply_tempo(raw, phrases, speed, scale_pauses=True)
    return audio, timed, speed


def check_output_dir(out_dir: Path) -> None:
    """Create the folder and prove it is writable before any work is done."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / f".newsvoice-write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise OutputError(f"cannot write to output folder {out_dir}: {e.strerror or e}") from e


def write_outputs(files: dict[Path, bytes]) -> None:
    """All-or-nothing: every file goes to a temp name first, then all are renamed.
    The manifest (last in ``files``) is renamed last, so it marks a complete render."""
    temps: list[tuple[Path, Path]] = []
    try:
        for path, data in files.items():
            tmp = path.with_name(f".{path.name}.part-{os.getpid()}")
            temps.append((tmp, path))
            with open(tmp, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        for tmp, path in temps:
            os.replace(tmp, path)
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}") from e
    finally:
        for tmp, _ in temps:
            if tmp.exists():
                tmp.unlink()


def render(src: Path, out_dir: Path, opts: RenderOptions | None = None, *,
           engine: Engine | None = None,
           progress: Callable[[int, int], None] | None = None) -> RenderResult:
    """Render ``src`` into ``out_dir/<stem>.{wav|mp3,srt,vtt,json}``."""
    t0 = time.perf_counter()
    opts = opts or RenderOptions()
    if opts.audio_format not in AUDIO_FORMATS:
        raise InputError(f"unknown audio format {opts.audio_format!r}")
    if not SPEED_RANGE[0] <= opts.speed <= SPEED_RANGE[1]:
        raise InputError(f"speed {opts.speed} outside {SPEED_RANGE[0]}–{SPEED_RANGE[1]}")
    if opts.fit_s is not None and opts.fit_s <= 0:
        raise InputError(f"--fit must be a positive duration, got {opts.fit_s:g} s")
    target = loudness_target(opts)
    article = read_source_article(str(src), keep_all=opts.keep_all)
    check_output_dir(out_dir)
    normalizer = Normalizer(list(opts.lexicons))
    limits = PieceLimits(max_chars=opts.cues.max_chars, max_lines=opts.cues.max_lines)
    plan = build_plan(article, normalizer, limits=limits, pauses=opts.pauses,
                      narrate_headline=opts.narrate_headline)
    if not plan.phrases:
        raise InputError(f"{src}: no sentences to narrate")
    # engines always speak at 1.0 (cached as such); pace is applied afterwards, pitch kept.
    # An engine handed in at another rate is reset, or the pace would be applied twice.
    if engine is not None and engine.speed != 1.0:
        engine.speed = 1.0
    engine = engine or make_engine(opts.engine, opts.voice, 1.0, retries=opts.retries,
                                   timeout=opts.timeout, min_interval=opts.min_interval)
    cache = PhraseCache(opts.cache_dir or default_cache_dir()) if opts.use_cache else None
    synth = Synthesizer(engine, cache)
    slowest = FIT_RANGE[0] if opts.fit_s is not None else opts.speed
    phrases, raw = synthesize_plan(plan, synth, normalizer, opts.cues, opts.pauses, progress, slowest)
    audio, phrases, speed = timed_audio(raw, phrases, opts)
    pauses_ms = [p.pause_after_ms for p in phrases]
    pauses_ms[-1] = opts.pauses.tail
    track = assemble(audio, pauses_ms, head_ms=opts.pauses.head)
    spans_s = [(s / RATE, e / RATE) for s, e in track.spans]
    cues = make_cues([p.words for p in phrases], spans_s, [p.sentence for p in phrases],
                     track.duration_s, opts.cues)
    warnings = plan.warnings + cues.warnings
    pcm = to_float(track)
    if target is not None:
        pcm, loud = normalize(pcm, target, channels=opts.channels)
    else:
        loud = measure(pcm, channels=opts.channels)
    stem = src.stem
    files: dict[Path, bytes] = {out_dir / f"{stem}.{opts.audio_format}": encode_pcm(
        pcm, opts.audio_format, bit_depth=opts.bit_depth, channels=opts.channels, bitrate=opts.bitrate)}
    if "srt" in opts.subs:
        text = compose_srt(cues.cues)
        files[out_dir / f"{stem}.srt"] = ("\ufeff" if opts.srt_bom else "").encode() + text.encode("utf-8")
    if "vtt" in opts.subs:
        files[out_dir / f"{stem}.vtt"] = compose_vtt(cues.cues).encode("utf-8")
    if "ttml" in opts.subs:
        files[out_dir / f"{stem}.ttml"] = compose_ebutt(cues.cues).encode("utf-8")
    manifest = _manifest(src, plan, phrases, track, cues, synth, opts, warnings, speed=speed,
                         target=target, loud=loud)
    files[out_dir / f"{stem}.json"] = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
    write_outputs(files)
    return RenderResult(
        outputs={p.suffix[1:]: p for p in files}, duration_s=track.duration_s, cues=len(cues.cues),
        phrases=len(phrases), engine=engine.name, voice=engine.voice, engine_calls=synth.calls,
        cache_hits=cache.hits if cache else 0, warnings=warnings, seconds=time.perf_counter() - t0)
