"""Render one article: the order of the stages, and nothing else.

read -> plan (prosodic units, written + spoken) -> synthesis (engine + cache,
word onsets) -> pace -> assembly -> word timeline -> cues -> loudness ->
files. Each stage is a module whose output the next one reads; none calls
back up. Files are written under temporary names and renamed only when every
output is complete.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from newsvoice.audio.bwf import write_bwf
from newsvoice.audio.levels import frame_db
from newsvoice.audio.loudness import Source, join_scans, measure_source, plan_gain, scan_forward
from newsvoice.audio.pace import gaps, lay, paced_track, parse_slot, start_track  # noqa: F401
from newsvoice.audio.targets import LoudnessTarget
from newsvoice.audio.track import RATE, Track, write_audio
from newsvoice.cache.phrases import PhraseCache, default_cache_dir
from newsvoice.cache.renders import Lookup, look_up, remember
from newsvoice.errors import InputError
from newsvoice.inputs.sources import source_name, source_stem
from newsvoice.options import (  # noqa: F401  (re-exported for callers of the library)
    AUDIO_FORMATS,
    FIT_RANGE,
    SPEED_RANGE,
    SUB_FORMATS,
    Progress,
    RenderOptions,
    RenderResult,
    loudness_target,
    start_frames,
    validate,
)
from newsvoice.outputs.broadcast import broadcast_wav, mp3_tags
from newsvoice.outputs.files import write_outputs
from newsvoice.outputs.manifest import Programme, Speaker, build_manifest
from newsvoice.pipeline.prepare import Prepared, check, prepare
from newsvoice.pipeline.sidecar import Job, Sidecar, start_for, track_path_for_sidecar
from newsvoice.speech.engines import (
    Engine,
    EngineSettings,
    ServiceUnavailable,
    fallback_for,
    open_engine,
    open_fallback,
    primary_of,
)
from newsvoice.speech.synth import Synthesizer, UnitTiming, synthesize_into
from newsvoice.speech.timeline import build_timeline
from newsvoice.subtitles.check import check_render, render_findings
from newsvoice.subtitles.cutter import dips_from_db, make_cues
from newsvoice.subtitles.formats import encode as encode_subs
from newsvoice.subtitles.formats import get as get_format
from newsvoice.text.article import Article, read_source_article
from newsvoice.text.normalize import Normalizer
from newsvoice.text.plan import MAX_PROGRAMME_S, Plan, build_plan, length_problem
from newsvoice.text.wordseg import inside_words
from newsvoice.text.wordseg_child import BackgroundSegmenter

log = logging.getLogger("newsvoice")

_CHUNK = RATE * 10  # samples read at a time after assembly: memory is flat in programme length


def render(
    src: Path,
    out_dir: Path,
    opts: RenderOptions | None = None,
    *,
    engine: Engine | None = None,
    progress: Progress | None = None,
    prepared: Prepared | None = None,
    looked: Lookup | None = None,
    sidecar: Sidecar | None = None,
    segmenter: BackgroundSegmenter | None = None,
) -> RenderResult:
    """Render ``src`` into ``out_dir/<stem>.{wav|mp3,srt,vtt,ttml,json}``. When the online
    service gives out mid-way (refusing, unreachable, timing out) and there is a
    fallback engine, the whole article is rendered again with it: one voice per file.
    ``prepared``: the caller's checked request (prepare.check + prepare.prepare), so
    nothing is validated or read twice; without it the request is checked here, once.
    An identical earlier render is restored from the render memo (cache.renders) instead;
    ``looked``: the caller's memo look-up (it missed), so it is not done twice.
    ``sidecar``: a helper process the caller started early (it stays the caller's to
    close); without one, a render that can use a second core starts its own.
    ``segmenter``: the word segmenter a one-shot caller started in a child process early
    (text.wordseg), asked once when the cues are cut; without one it runs in-process."""
    if prepared is not None:
        checked = prepared.checked
    else:
        checked = check(src, out_dir, opts or RenderOptions(), engine_given=engine is not None)
    opts = checked.opts
    looked = looked or look_up(src, out_dir, opts, engine=engine)
    if looked.result is not None:
        return looked.result
    prepared = prepared or prepare(checked)
    try:
        result = _render(
            prepared, engine=engine, progress=progress, sidecar=sidecar, segmenter=segmenter
        )
    except ServiceUnavailable as e:
        fb = fallback_for(opts.engine, opts.fallback)
        if fb is None or (engine is not None and engine.name == fb):
            raise
        used = open_fallback(
            fb,
            engine.name if engine else primary_of(opts.engine, opts.voice),
            str(e),
            EngineSettings.from_options(opts),
            opts.voice,
        )
        result = _render(prepared, engine=used, progress=progress)
    remember(looked, result)
    return result


def _render(
    prepared: Prepared,
    *,
    engine: Engine | None,
    progress: Progress | None,
    sidecar: Sidecar | None = None,
    segmenter: BackgroundSegmenter | None = None,
) -> RenderResult:
    t0 = time.perf_counter()
    checked = prepared.checked
    src, out_dir, opts = checked.src, checked.out_dir, checked.opts

    def stage(name: str, done: int = 0, total: int | None = None) -> None:
        if progress:
            progress(name, done, total)

    # a URL is read here, once (prepare does not fetch it)
    article = prepared.article or read_source_article(
        str(src), keep_all=opts.keep_all, keep=frozenset(opts.keep_lines)
    )
    # engines speak at their natural pace; tempo is applied afterwards, pitch kept
    engine = engine or open_engine(
        opts.engine, opts.voice, EngineSettings.from_options(opts), fallback=opts.fallback
    )
    max_spoken = getattr(engine, "max_chars", None)
    if prepared.plan is not None and max_spoken is None:
        plan = prepared.plan
    else:
        plan = build_plan(
            article,
            Normalizer(list(opts.lexicons)),
            pauses=opts.pauses,
            narrate_headline=opts.narrate_headline,
            max_spoken=max_spoken,
        )
    if not plan.units:
        raise InputError(f"{src}: no sentences to narrate")
    too_long = length_problem(plan, head_ms=opts.pauses.head, tail_ms=opts.pauses.tail)
    if too_long:  # before any synthesis (a URL's plan is first made here)
        raise InputError(f"{src}: {too_long}")
    cache = PhraseCache(opts.cache_dir or default_cache_dir()) if opts.use_cache else None
    synth = Synthesizer(engine, cache)
    side, own = _sidecar_for(engine, opts, sidecar, article)
    with contextlib.ExitStack() as stack:
        if side is not None:
            if own:
                stack.callback(side.close)
            stack.enter_context(_one_blas_thread())
        paced = _speak(plan, synth, opts, stage, side)
        with paced.track:
            if paced.track.duration_s > MAX_PROGRAMME_S:  # slower than estimated: still refused
                raise InputError(
                    f"{src}: {paced.track.duration_s / 3600:.1f} h of audio is over the "
                    f"{MAX_PROGRAMME_S // 3600} h limit; split the article"
                )
            return _deliver(
                src, out_dir, opts, checked.target, plan, synth, paced, stage, t0, side, segmenter
            )


def _one_blas_thread() -> contextlib.AbstractContextManager:
    """While the sidecar holds the other core, a BLAS thread of ours would spin on it
    (the CLI already sets one thread; library callers may not have)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


def _sidecar_for(
    engine: Engine, opts: RenderOptions, given: Sidecar | None, article: Article
) -> tuple[Sidecar | None, bool]:
    """The sidecar this render uses (None: it works alone), and whether it started it.
    A caller's sidecar serves only the engine and voice it was started for."""
    if given is not None:
        ok = given.engine == engine.name and given.voice == engine.voice and opts.use_cache
        return (given if ok else None), False
    side = start_for(engine.name, engine.voice, opts, article)
    return side, side is not None


@dataclass(frozen=True)
class Paced:
    """The programme at its final pace, and what the word timeline needs of each unit."""

    track: Track
    timing: list[UnitTiming]
    speed: float
    scales: list[float]  # each unit's delivered length / its engine-paced length
    side_units: int = 0  # units the sidecar synthesised


def _speak(
    plan: Plan,
    synth: Synthesizer,
    opts: RenderOptions,
    stage: Callable[..., None],
    side: Sidecar | None = None,
) -> Paced:
    """Synthesise every unit into the programme track at its pace (the sidecar, if any,
    filling the cache from the end meanwhile)."""
    pauses = [u.pause_after_ms for u in plan.units]
    spoken = [u.spoken for u in plan.units]
    ahead = None
    if side is not None and synth.cache is not None:
        side.at(0)
        ahead = _try(side.prefetch, synth.cache.root, spoken)

    def synthesising(i: int, n: int) -> None:
        if side is not None:
            side.at(i)
        stage("synthesising", i, n)

    if opts.fit_s is None:  # each unit goes straight into the programme at its pace
        track, speed, silences = (
            start_track(opts.pauses.head),
            opts.speed,
            gaps(pauses, opts.pauses.tail),
        )
        try:
            timing = synthesize_into(
                spoken, synth, lambda i, x: lay(track, x, speed, silences[i]), synthesising
            )
        except BaseException:
            track.close()
            raise
        stage("pacing" if speed != 1.0 else "assembling")
    else:  # the pace that fits the slot is known once every unit is
        with Track() as spool:
            timing = synthesize_into(spoken, synth, lambda i, x: spool.add_unit(x), synthesising)
            stage("pacing")
            track, _, speed = paced_track(
                spool,
                pauses,
                speed=opts.speed,
                fit_s=opts.fit_s,
                head_ms=opts.pauses.head,
                tail_ms=opts.pauses.tail,
            )
    made = 0
    if ahead is not None:
        if side is not None and not side.started():
            side.close()  # still starting after the render's own part: it can only delay it
        made_keys = _result(ahead) or []
        synth.credit(made_keys)
        made = len(made_keys)
    scales = [
        (b - a) / t.n_samples if t.n_samples else 1.0
        for (a, b), t in zip(track.spans, timing, strict=True)
    ]
    return Paced(track, timing, speed, scales, made)


def _try(submit: Callable[..., Job], *args: object) -> Job | None:
    """Hand work to the sidecar; None if it is gone (the render then does the work)."""
    try:
        return submit(*args)
    except Exception as e:  # a dead sidecar's pool refuses work
        log.debug("sidecar unavailable: %s", e)
        return None


def _result(job: Job | None) -> Any:
    """The sidecar's answer, or None when it failed (the render then does the work)."""
    if job is None:
        return None
    try:
        return job.result()
    except Exception as e:
        log.debug("sidecar failed: %s", e)
        return None


def _deliver(
    src: Path,
    out_dir: Path,
    opts: RenderOptions,
    target: LoudnessTarget | None,
    plan: Plan,
    synth: Synthesizer,
    paced: Paced,
    stage: Callable[..., None],
    t0: float,
    side: Sidecar | None = None,
    segmenter: BackgroundSegmenter | None = None,
) -> RenderResult:
    """Word timeline, cues, loudness and files of a paced programme (the sidecar, if
    any, measuring loudness while the cues are cut)."""
    track, timing, engine, cache = paced.track, paced.timing, synth.engine, synth.cache
    path = track_path_for_sidecar(track.fileno()) if side is not None else None
    tail = (
        _try(side.scan_tail, path, track.n_samples)
        if side is not None and path is not None
        else None
    )
    spans_s = [(a / RATE, b / RATE) for a, b in track.spans]
    words = build_timeline(
        plan.units,
        [t.starts for t in timing],
        [t.duration_s for t in timing],
        spans_s,
        paced.scales,
        [t.confidence for t in timing],
    )
    stage("cutting subtitles")
    levels = np.concatenate(
        [np.zeros(0, np.float32)]
        + [frame_db(track.read(a, a + _CHUNK), RATE) for a in range(0, track.n_samples, _CHUNK)]
    )
    cues = make_cues(
        words,
        track.duration_s,
        opts.cues,
        dips_from_db(levels, [w.start for w in words]),
        segmenter.inside_words if segmenter is not None else inside_words,
    )
    notes = plan.notices + cues.findings
    if opts.subs:  # what `check --audio` would say of these outputs, said now (issue 28 #20)
        notes += render_findings(check_render(cues.cues, levels, track.duration_s, opts.cues))
    findings = notes + plan.findings
    warnings = [str(f) for f in notes]

    stage("loudness")
    source = Source(track.n_samples, track.read_float)
    scanned, side_chunks = None, 0
    if side is not None and tail is not None:  # the sidecar scanned from the end meanwhile: meet it
        head = scan_forward(source, lambda k: not side.claim(k))
        theirs = _result(tail) or {}
        side_chunks = len(set(theirs) - set(head))
        scanned = join_scans(source, head, theirs)
    if target is not None:
        gains = plan_gain(source, target, channels=opts.channels, scanned=scanned)
        loud, chunks = gains.measurement, gains.chunks
    else:
        loud = measure_source(source, channels=opts.channels, scanned=scanned)
        chunks = partial(_plain_chunks, track)
    stage("encoding")
    stem = source_stem(str(src))
    audio_path = out_dir / f"{stem}.{opts.audio_format}"

    def write_audio_file(f: BinaryIO) -> None:
        if opts.audio_format == "wav" and opts.bwf:  # Broadcast WAV (issue 26)
            bext, ixml = broadcast_wav(
                opts, story=stem, headline=plan.headline, loud=loud, rate=RATE
            )
            write_bwf(
                f,
                chunks(source),
                track.n_samples,
                bext,
                ixml,
                bit_depth=opts.bit_depth,
                channels=opts.channels,
            )
            return
        write_audio(
            f,
            chunks(source),
            track.n_samples,
            opts.audio_format,
            bit_depth=opts.bit_depth,
            channels=opts.channels,
            bitrate=opts.bitrate,
            tags=mp3_tags(opts, headline=plan.headline),
        )

    files: dict[Path, bytes | Callable[[BinaryIO], None]] = {audio_path: write_audio_file}
    outputs = {"audio": audio_path.name}
    for name in opts.subs:
        outputs[name] = f"{stem}{get_format(name).suffix}"
        files[out_dir / outputs[name]] = encode_subs(
            name, cues.cues, start_frames=start_frames(opts), bom=name == "srt" and opts.srt_bom
        )
    speaker = Speaker(
        engine.name,
        engine.voice,
        synth.calls,
        cache.hits if cache else 0,
        synth.aligned,
        getattr(engine, "fallback", None),
    )
    programme = Programme(
        source_name(str(src)),
        plan,
        spans_s,
        words,
        cues,
        findings,
        speaker,
        paced.speed,
        track.duration_s,
        track.n_samples,
        RATE,
        loud,
        target,
    )
    manifest = build_manifest(programme, opts, outputs)
    files[out_dir / f"{stem}.json"] = json.dumps(manifest, ensure_ascii=False, indent=1).encode(
        "utf-8"
    )
    stage("writing")
    write_outputs(files, inputs=(src, *opts.lexicons), replace_set=True)
    return RenderResult(
        outputs={p.suffix[1:]: p for p in files},
        duration_s=track.duration_s,
        cues=len(cues.cues),
        units=len(plan.units),
        words=len(words),
        engine=engine.name,
        voice=engine.voice,
        engine_calls=synth.calls,
        cache_hits=cache.hits if cache else 0,
        warnings=warnings,
        seconds=time.perf_counter() - t0,
        loudness=loud,
        fallback=getattr(engine, "fallback", None),
        sidecar={"units": paced.side_units, "chunks": side_chunks} if side is not None else None,
        checks=len(plan.findings),
    )


def _plain_chunks(track: Track, src: Source, size: int = _CHUNK) -> Iterator[np.ndarray]:
    """The programme as it is (``--loudness none``), a chunk at a time."""
    for a in range(0, track.n_samples, size):
        yield track.read_float(a, a + size)
