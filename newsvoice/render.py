"""Render one article: the order of the stages, and nothing else.

read -> plan (prosodic units, written + spoken) -> synthesis (engine + cache,
word onsets) -> pace -> assembly -> word timeline -> cues -> loudness ->
files. Each stage is a module whose output the next one reads; none calls
back up. Files are written under temporary names and renamed only when every
output is complete.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from newsvoice.audio import RATE, assemble, encode_pcm, samples_of, to_float
from newsvoice.cache import PhraseCache, default_cache_dir
from newsvoice.cues import make_cues, speech_dips
from newsvoice.engines import (
    Engine,
    EngineSettings,
    ServiceUnavailable,
    check_choice,
    fallback_for,
    open_engine,
    open_fallback,
    primary_of,
)
from newsvoice.errors import InputError
from newsvoice.formats import get as get_format
from newsvoice.loudness import measure, normalize
from newsvoice.manifest import build_manifest
from newsvoice.normalize import Normalizer
from newsvoice.options import (  # noqa: F401  (re-exported for callers of the library)
    AUDIO_FORMATS,
    FIT_RANGE,
    SPEED_RANGE,
    SUB_FORMATS,
    Progress,
    RenderOptions,
    RenderResult,
    loudness_target,
    validate,
)
from newsvoice.output import check_output_dir, write_outputs
from newsvoice.pace import parse_slot, timed_audio  # noqa: F401
from newsvoice.plan import build_plan
from newsvoice.sources import read_source_article, source_name, source_stem
from newsvoice.synth import Synthesizer, synthesize_units
from newsvoice.timeline import build_timeline

log = logging.getLogger("newsvoice")


def render(src: Path, out_dir: Path, opts: RenderOptions | None = None, *,
           engine: Engine | None = None,
           progress: Progress | None = None) -> RenderResult:
    """Render ``src`` into ``out_dir/<stem>.{wav|mp3,srt,vtt,ttml,json}``. When the online
    service gives out mid-way (refusing, unreachable, timing out) and there is a
    fallback engine, the whole article is rendered again with it: one voice per file."""
    opts = opts or RenderOptions()
    if engine is None:
        check_choice(opts.engine, opts.voice)  # a bad --engine/--voice is a usage error, before any work
    try:
        return _render(src, out_dir, opts, engine=engine, progress=progress)
    except ServiceUnavailable as e:
        fb = fallback_for(opts.engine, opts.fallback)
        if fb is None or (engine is not None and engine.name == fb):
            raise
        used = open_fallback(fb, engine.name if engine else primary_of(opts.engine, opts.voice), str(e),
                             EngineSettings.from_options(opts), opts.voice)
        return _render(src, out_dir, opts, engine=used, progress=progress)


def _render(src: Path, out_dir: Path, opts: RenderOptions, *, engine: Engine | None,
            progress: Progress | None) -> RenderResult:
    t0 = time.perf_counter()

    def stage(name: str, done: int = 0, total: int | None = None) -> None:
        if progress:
            progress(name, done, total)

    target = validate(opts)
    article = read_source_article(str(src), keep_all=opts.keep_all)
    stem = source_stem(str(src))
    check_output_dir(out_dir, inputs=(src, *opts.lexicons), stem=stem)
    # engines speak at their natural pace; tempo is applied afterwards, pitch kept
    engine = engine or open_engine(opts.engine, opts.voice, EngineSettings.from_options(opts),
                                   fallback=opts.fallback)
    normalizer = Normalizer(list(opts.lexicons))
    plan = build_plan(article, normalizer, pauses=opts.pauses, narrate_headline=opts.narrate_headline,
                      max_spoken=getattr(engine, "max_chars", None))
    if not plan.units:
        raise InputError(f"{src}: no sentences to narrate")
    cache = PhraseCache(opts.cache_dir or default_cache_dir()) if opts.use_cache else None
    synth = Synthesizer(engine, cache)
    speech = synthesize_units([u.spoken for u in plan.units], synth,
                              lambda i, n: stage("synthesising", i, n))

    stage("pacing" if opts.fit_s or opts.speed != 1.0 else "assembling")
    raw = [s.samples for s in speech]
    audio, pauses_ms, speed = timed_audio(raw, [u.pause_after_ms for u in plan.units], speed=opts.speed,
                                          fit_s=opts.fit_s, head_ms=opts.pauses.head,
                                          tail_ms=opts.pauses.tail)
    pauses_ms[-1] = opts.pauses.tail
    track = assemble(audio, pauses_ms, head_ms=opts.pauses.head)
    spans_s = [(a / RATE, b / RATE) for a, b in track.spans]
    scales = [len(b) / len(a) if len(a) else 1.0 for a, b in zip(raw, audio, strict=True)]
    words = build_timeline(plan.units, [s.starts for s in speech], [s.duration_s for s in speech],
                           spans_s, scales, [s.confidence for s in speech])
    stage("cutting subtitles")
    pcm16 = samples_of(track.audio)
    dips = speech_dips(pcm16, RATE, [w.start for w in words])
    cues = make_cues(words, track.duration_s, opts.cues, dips)
    warnings = plan.warnings + cues.warnings

    stage("loudness")
    pcm = to_float(track)
    if target is not None:
        pcm, loud = normalize(pcm, target, channels=opts.channels)
    else:
        loud = measure(pcm, channels=opts.channels)
    stage("encoding")
    audio_path = out_dir / f"{stem}.{opts.audio_format}"
    files: dict[Path, bytes] = {audio_path: encode_pcm(
        pcm, opts.audio_format, bit_depth=opts.bit_depth, channels=opts.channels, bitrate=opts.bitrate)}
    outputs = {"audio": audio_path.name}
    for name in opts.subs:
        fmt = get_format(name)
        bom = "\ufeff" if name == "srt" and opts.srt_bom else ""
        outputs[name] = f"{stem}{fmt.suffix}"
        files[out_dir / outputs[name]] = (bom + fmt.write(cues.cues)).encode("utf-8")
    manifest = build_manifest(
        source_name(str(src)), plan, spans_s, words, cues, engine=engine.name, voice=engine.voice, engine_calls=synth.calls,
        cache_hits=cache.hits if cache else 0, aligned_units=synth.aligned, opts=opts, warnings=warnings,
        speed=speed, duration_s=track.duration_s, samples=track.n_samples, rate=RATE, target=target,
        loud=loud, outputs=outputs, fallback=getattr(engine, "fallback", None))
    files[out_dir / f"{stem}.json"] = json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8")
    stage("writing")
    write_outputs(files, inputs=(src, *opts.lexicons))
    return RenderResult(
        outputs={p.suffix[1:]: p for p in files}, duration_s=track.duration_s, cues=len(cues.cues),
        units=len(plan.units), words=len(words), engine=engine.name, voice=engine.voice,
        engine_calls=synth.calls, cache_hits=cache.hits if cache else 0, warnings=warnings,
        seconds=time.perf_counter() - t0, loudness=loud, fallback=getattr(engine, "fallback", None))
