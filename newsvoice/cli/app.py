"""The ``newsvoice`` command line: thin Click wrappers over the library.

Exit codes: 0 ok, 1 input error, 2 usage error, 3 engine/network failure.
Data goes to stdout; logs, notices and progress go to stderr.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import sys
from pathlib import Path

import click

from newsvoice.cli.options import out_folder, table_options, table_values
from newsvoice.cli.params import FiniteFloat, StrictInt, hoist_global_options
from newsvoice.errors import InputError, NewsvoiceError
from newsvoice.options import (  # plain values: no numerics
    ALIGN,
    BATCH,
    CHECK,
    RENDER,
    RenderOptions,
)

log = logging.getLogger("newsvoice")


def _setup_logging(quiet: bool, verbose: bool) -> None:
    """Our messages at the level asked for; other libraries' only from WARNING up (a
    websockets or HTTP client's INFO lines are not the user's business)."""
    level = logging.ERROR if quiet else logging.DEBUG if verbose else logging.INFO
    logging.basicConfig(
        level=max(level, logging.WARNING),
        format="newsvoice: %(message)s",
        stream=sys.stderr,
        force=True,
    )
    log.setLevel(level)


def _read_input(file: str | None):
    """FILE (.txt/.md/.html/.htm/.docx), an http(s) URL, or stdin ('-'/none) as a Source.
    Stdin is read up to the article size limit plus one byte, so /dev/zero or a runaway
    pipe fails at once."""
    from newsvoice.inputs.files import read_stream
    from newsvoice.inputs.sources import bytes_source, read_source

    if file in (None, "-"):
        if sys.stdin.isatty():
            log.info("reading the article from stdin; end it with Ctrl-D (or name a FILE)")
        return bytes_source(read_stream(sys.stdin.buffer, "stdin"))
    return read_source(file)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsvoice")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging on stderr.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="NEWSVOICE_CONFIG",
    help="TOML file of option defaults, one table per command ([render], [check], ...). "
    "Also read from $NEWSVOICE_CONFIG.",
)
@click.pass_context
def cli(ctx: click.Context, quiet: bool, verbose: bool, config_file: Path | None) -> None:
    """Turn Vietnamese news articles into narration audio and broadcast subtitles.

    \b
    Examples:
      newsvoice render examples/bao-lu-mien-trung.txt -o out/
      newsvoice sentences article.txt --show-dropped
      echo "Ngày 11/01, UBND TP.HCM họp." | newsvoice normalize
      newsvoice voices

    -q, -v and --config may also follow the command (render x.txt -q).

    Exit codes: 0 ok, 1 input error, 2 usage error, 3 engine/network failure,
    130 interrupted.
    """
    _setup_logging(quiet, verbose)
    if config_file is not None:
        from newsvoice.cli.config import load_config

        ctx.default_map = load_config(config_file, cli)


@cli.command()
@click.argument("file", required=False)
@click.option(
    "--show-dropped",
    is_flag=True,
    help="Also list dropped lines and why (stderr-free: on stdout, prefixed '# dropped').",
)
@click.option("--keep-all", is_flag=True, help="Keep every line, drop nothing.")
@click.option("--no-headline", is_flag=True, help="Leave out the headline (first line).")
@click.option(
    "--explain",
    is_flag=True,
    help="After each sentence, '#   check' lines: the readings to check and why.",
)
def sentences(
    file: str | None, show_dropped: bool, keep_all: bool, no_headline: bool, explain: bool = False
) -> None:
    """Print the narrated sentences of FILE (or stdin), one per line.

    FILE is .txt/.md, a saved page (.html/.htm), a Word file (.docx) or an
    http(s) URL. A blank line separates paragraphs. Uses exactly the renderer's
    reading and splitting code.

    \b
    Examples:
      newsvoice sentences ../shared/samples/dai-loc-party-building.txt
      newsvoice sentences https://example.vn/tin/bai-viet.html --show-dropped
    """
    from newsvoice.text.article import source_article
    from newsvoice.text.sentences import split_sentences

    art = source_article(_read_input(file), keep_all=keep_all)
    paras = list(art.paragraphs)
    if art.headline and not no_headline:
        paras.insert(0, art.headline)
    out = []
    for para in paras:
        out.append("\n".join(split_sentences(para)))
    if explain:
        from newsvoice.text.normalize import Normalizer
        from newsvoice.text.plan import explain_lines

        out = explain_lines(out, Normalizer(), article=art)
    click.echo("\n\n".join(out))
    if show_dropped:
        for d in art.dropped:
            click.echo(f"# dropped ({d.reason}): {d.text}")


@cli.command()
@click.argument("file", required=False)
@click.option(
    "--lexicon",
    "lexicons",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Extra TSV lexicon (written<TAB>spoken); overrides built-ins. Repeatable.",
)
def normalize(file: str | None, lexicons: tuple[str, ...]) -> None:
    """Print the spoken form of each line of FILE (or stdin).

    One output line per input line; a blank line stays blank.

    \b
    Example:
      echo "Kết nạp 120 đảng viên, đạt 109,1%." | newsvoice normalize
    """
    from newsvoice.pipeline.prepare import check_lexicons
    from newsvoice.text.article import decode_text
    from newsvoice.text.normalize import Normalizer
    from newsvoice.text.plan import spoken_text

    check_lexicons(lexicons)
    norm = Normalizer([Path(p) for p in lexicons])
    src = _read_input(file)
    text = decode_text(src.data, source=src.name)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for line in lines:
        click.echo(spoken_text(line, norm) if line.strip() else "")


WARNINGS_SHOWN = 5  # per article; the manifest and the batch report have them all


def _show_warnings(name: str, warnings: list[str]) -> None:
    """A short list on stderr: the first few warnings (they name their cue), then a count."""
    for w in warnings[:WARNINGS_SHOWN]:
        log.warning("%s: warning: %s", name, w)
    if len(warnings) > WARNINGS_SHOWN:
        log.warning(
            "%s: ... and %d more warnings (see the manifest)", name, len(warnings) - WARNINGS_SHOWN
        )


_STRICT = click.option(
    "--strict",
    is_flag=True,
    help="Exit 1 when there are warnings (e.g. reading speed, or speech that no cue shows, "
    "as `check --audio` finds it), for newsroom automation; the outputs are still written, "
    "all of them.",
)


def _progress(label: str):
    """A rich progress bar on a terminal (stderr); nothing otherwise."""
    if not sys.stderr.isatty() or log.getEffectiveLevel() > logging.INFO:
        return None, None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
        console=_stderr_console(),
    )
    task = bar.add_task(label, total=None)

    def update(stage: str, done: int, total: int | None) -> None:
        """Every stage shows on the bar, so it never sits at "synthesising 61/61"."""
        bar.update(task, description=stage, completed=done, total=total)

    return bar, update


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def _review_option(what: str):
    return click.option(
        "--review",
        is_flag=True,
        help=f"Also write {what} (player, cues, warnings, lexicon fixes; see `newsvoice review`).",
    )


def _options(values: dict, **run) -> RenderOptions:
    """RenderOptions from the table's option values (options.from_values), unchecked."""
    from newsvoice.options import from_values

    return from_values(values, **run)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@out_folder()
@table_options(RENDER)
@click.option(
    "-j",
    "--jobs",
    type=StrictInt(1, 2),
    default=2,
    show_default=True,
    help="Processes for this render: 2 lets an offline engine use a second core "
    "(synthesis from both ends, loudness beside the subtitles); 1 stays in one.",
)
@_STRICT
@_review_option("an HTML review page next to the audio")
def render(file: Path, out_dir: Path, jobs: int, strict: bool, review: bool, **values) -> None:
    """Render FILE into narration audio, subtitles and a JSON manifest in --out.

    Writes OUT/<name>.wav (or .mp3), OUT/<name>.srt (and .vtt) and
    OUT/<name>.json; prints the paths written on stdout.

    \b
    Examples:
      newsvoice render examples/bao-lu-mien-trung.txt -o out/ --engine espeak
      newsvoice render article.txt -o out/ --format mp3 --subs srt,vtt
      newsvoice render article.txt -o out/ --loudness atsc-a85 --fit 1:30
      newsvoice render article.txt -o out/ --engine espeak --review
    """
    from newsvoice.cache.renders import look_up
    from newsvoice.pipeline.prepare import check

    checked = check(
        file, out_dir, _options(table_values(RENDER, values), jobs=jobs)
    )  # validated once
    opts = checked.opts
    shown = "stdin" if str(file) == "-" else file.name
    looked = look_up(
        file, out_dir, opts
    )  # an unchanged render is restored: no plan, no audio stack
    result = looked.result
    if result is None:
        result = _render_now(checked, looked)
    _show_warnings(shown, result.warnings)
    if result.checks:
        log.warning(
            "%s: %d readings to check: newsvoice review %s",
            shown,
            result.checks,
            result.outputs["json"],
        )
    how = (
        "restored from the render cache"
        if result.restored
        else f"{result.engine_calls} engine calls"
    )
    log.info(
        "%s: %.1f s of audio, %d cues, engine %s/%s, %s, %.1f s",
        shown,
        result.duration_s,
        result.cues,
        result.engine,
        result.voice,
        how,
        result.seconds,
    )
    if result.sidecar:
        log.debug(
            "sidecar process: %d units synthesised, %d loudness chunks scanned",
            result.sidecar["units"],
            result.sidecar["chunks"],
        )
    for path in result.outputs.values():
        click.echo(str(path))
    if review:
        from newsvoice.outputs.review import write_page

        click.echo(str(write_page(result.outputs["json"])))
    if strict and result.warnings:
        raise InputError(f"{len(result.warnings)} warning(s) and --strict (outputs written)")


def _render_now(checked, looked):
    """A render the memo does not have: the article read and the folder checked before
    the audio stack loads, the sidecar process started as soon as the article is known to
    be readable, and the word segmenter's model loading in a child meanwhile."""
    from newsvoice.pipeline.prepare import prepare
    from newsvoice.text.wordseg_child import BackgroundSegmenter

    opts = checked.opts
    sides = []
    segmenters: list[BackgroundSegmenter] = []

    def start_sidecar(article) -> None:
        from newsvoice.pipeline.sidecar import start_for

        sides.extend(filter(None, [start_for(opts.engine, opts.voice, opts, article)]))
        segmenters.append(BackgroundSegmenter.start())  # the model loads while we work

    bar, progress = _progress("synthesising")
    try:
        article = None
        from newsvoice.inputs.sources import is_stdin

        if is_stdin(str(checked.src)):  # `render -`: stdin, read once and bounded
            from newsvoice.text.article import source_article

            article = source_article(_read_input("-"), keep_all=opts.keep_all)
        prepared = prepare(checked, on_article=start_sidecar, article=article)
        from newsvoice.pipeline.render import render as do_render

        if bar:
            bar.start()
        return do_render(
            checked.src,
            checked.out_dir,
            opts,
            progress=progress,
            prepared=prepared,
            looked=looked,
            sidecar=sides[0] if sides else None,
            segmenter=segmenters[0] if segmenters else None,
        )
    finally:
        if bar:
            bar.stop()
        for side in sides:
            side.close()
        for seg in segmenters:
            seg.close()


@cli.command()
@click.argument("manifest", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Page to write (default: the manifest's name with .html, beside it).",
)
def review(manifest: Path, out_file: Path | None) -> None:
    """Build the HTML review page of a render from its MANIFEST (.json).

    The page is self-contained (works from file://, no network) and links the
    audio by its relative name. Prints the page's path on stdout.

    \b
    Examples:
      newsvoice review out/bao-lu-mien-trung.json
      newsvoice review out/story.json -o story-review.html
    """
    from newsvoice.outputs.review import write_page

    click.echo(str(write_page(manifest, out_file)))


MAX_OFFSET_S = 24 * 3600  # a programme day


def _offset(text: str) -> float:
    """``--offset``: seconds or [H:]M:SS, zero allowed, at most a day."""
    from newsvoice.options import parse_duration

    try:
        secs = parse_duration(text)
    except ValueError:
        raise click.BadParameter(
            f"not a time: {text!r} (use seconds or M:SS)", param_hint="--offset"
        ) from None
    if secs > MAX_OFFSET_S:
        raise click.BadParameter(f"{text!r} is more than 24 hours", param_hint="--offset")
    return secs


@cli.command()
@click.argument("article", type=click.Path(path_type=Path))
@click.argument("recording", type=click.Path(dir_okay=False, path_type=Path), required=False)
@out_folder()
@table_options(ALIGN)
@click.option(
    "--offset",
    "offset",
    default="0",
    show_default=True,
    metavar="TIME",
    help="Programme time at which the recording starts (seconds or M:SS); added to every time.",
)
@click.option(
    "--min-confidence",
    type=FiniteFloat(0, 1),
    default=0.5,
    show_default=True,
    help="Cues whose alignment confidence is below this are listed on stderr.",
)
@click.option(
    "-j",
    "--jobs",
    type=StrictInt(1, 32),
    default=2,
    show_default=True,
    help="Folder mode: pairs at once (worker processes).",
)
@click.option(
    "--force", is_flag=True, help="Folder mode: align even pairs whose outputs are up to date."
)
def align(
    article: Path,
    recording: Path | None,
    out_dir: Path,
    offset: str,
    min_confidence: float,
    jobs: int,
    force: bool,
    **values,
) -> None:
    """Subtitle a human reading of ARTICLE: broadcast cues timed on RECORDING.

    RECORDING is anything ffmpeg decodes (wav, mp3, m4a, flac, ogg, or a video
    such as mp4/mov/mxf, whose first audio track is used). Writes
    OUT/<recording stem>.srt (and --subs formats) and OUT/<recording stem>.json:
    the word timeline, cues with a confidence each, "unmatched" (sentences the
    reader skipped) and "extra" (speech not in the article, with times).
    Text, lexicon and cue options are render's (pause options do not apply).

    Given a FOLDER instead, pairs each article (.txt/.md) with the recording of
    the same stem and aligns every pair into OUT/<slug>/, with a report and
    resume like `batch`.

    \b
    Examples:
      newsvoice align story.txt story-vo.wav -o subs/
      newsvoice align story.txt package.mp4 -o subs/ --subs srt,vtt --fps 29.97
      newsvoice align story.txt vo.mp3 -o subs/ --offset 10:00
      newsvoice align bulletin-folder/ -o subs/
    """
    from newsvoice.options import ALIGN_ONLY, validate
    from newsvoice.pipeline.voiceover import AlignOptions

    tv = table_values(ALIGN, values)
    own = {k: tv.pop(k) for k in ALIGN_ONLY if k in tv}
    ro = _options(tv)
    validate(ro)  # cue rules, combinations and --start-tc, as render checks them
    opts = AlignOptions.from_render(
        ro,
        offset_s=_offset(offset),
        min_confidence=min_confidence,
        asr=own.get("asr", "auto"),
        asr_model=own.get("asr-model"),
    )
    if recording is None:
        if not article.is_dir():
            raise click.UsageError(
                "give ARTICLE and RECORDING, or one folder of article + recording pairs"
            )
        _align_folder(article, out_dir, opts, jobs, force)
        return
    from newsvoice.pipeline.voiceover import align as do_align

    result = do_align(article, recording, out_dir, opts)
    for w in result.warnings:
        log.debug("warning: %s", w)
    if result.unmatched:
        log.warning(
            '%d sentence(s) not found in the recording (listed as "unmatched"): %s',
            len(result.unmatched),
            "; ".join(s[:60] for s in result.unmatched[:3]),
        )
    if result.extra:
        log.warning(
            '%d stretch(es) of speech not in the article ("extra"): %s',
            len(result.extra),
            ", ".join(f"{a:.1f}-{b:.1f} s" for a, b in result.extra[:5]),
        )
    if result.low_confidence:
        log.warning(
            "%d of %d cues below confidence %.2f: %s",
            len(result.low_confidence),
            result.cues,
            min_confidence,
            ", ".join(f"cue {k} at {t:.1f} s ({c:.2f})" for k, t, c in result.low_confidence[:5]),
        )
    log.info(
        "%s: %.1f s of recording, %d of %d sentences found, %d cues, %.1f s",
        recording.name,
        result.duration_s,
        result.sentences - len(result.unmatched),
        result.sentences,
        result.cues,
        result.seconds,
    )
    for path in result.outputs.values():
        click.echo(str(path))


def _align_folder(folder: Path, out_dir: Path, opts, jobs: int, force: bool) -> None:
    """Folder mode: pairs by stem, batch render's report and resume; exit 3 if any pair failed."""
    from newsvoice.pipeline.align_folder import run_align_batch

    task_progress = None
    if log.getEffectiveLevel() <= logging.INFO:

        def task_progress(r, done: int, total: int) -> None:
            log.info(
                "[%d/%d] %s %s%s", done, total, r.status, r.file, f": {r.error}" if r.error else ""
            )

    results = run_align_batch(folder, out_dir, opts, jobs=jobs, force=force, progress=task_progress)
    if log.getEffectiveLevel() <= logging.INFO:
        _batch_table(results)
    if any(r.status == "failed" for r in results):
        sys.exit(3)


@cli.command()
def voices() -> None:
    """List every engine's voices, one a line:
    engine<TAB>voice<TAB>online|offline<TAB>word-times|aligned<TAB>description.

    "aligned": the engine reports no word times; the aligner finds them.
    Piper takes any voice model file: --voice PATH.onnx.
    """
    from newsvoice.speech.engines import all_voices, engines

    specs = engines()
    for v in all_voices():
        spec = specs[v.engine]
        click.echo(
            f"{v.engine}\t{v.name}\t{'online' if spec.online else 'offline'}\t"
            f"{'word-times' if spec.word_times else 'aligned'}\t{v.description}"
        )


@cli.command()
@click.argument("subs", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--audio",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also check that every cue sits on the speech of this audio file.",
)
@table_options(CHECK)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
def check(subs: Path, audio: Path | None, as_json: bool, **values) -> None:
    """Lint SUBS (any SRT, ours or a human's) against the broadcast preset.

    Exit 0 when clean (warnings allowed), 1 on any violation.

    \b
    Examples:
      newsvoice check out/story.srt --audio out/story.wav
      newsvoice check captions.srt --fps 29.97 --json
    """
    import json as _json

    from newsvoice.options import validate
    from newsvoice.subtitles.check import check_file

    ro = _options(table_values(CHECK, values))
    validate(ro)  # the cue rules, as render checks them
    rules = ro.cues
    rep = check_file(subs, rules, audio)
    if as_json:
        click.echo(_json.dumps(rep.to_dict(), ensure_ascii=False, indent=1))
    else:
        from rich.console import Console
        from rich.table import Table

        console = Console(highlight=False, soft_wrap=True)
        if rep.findings:
            table = Table("cue", "severity", "rule", "finding", box=None, pad_edge=False)
            for f in rep.findings:
                table.add_row(str(f.cue or "-"), f.severity, f.rule, f.message)
            console.print(table)
        stats = " ".join(f"{k}={v}" for k, v in rep.stats.items())
        console.print(
            f"{subs.name}: {rep.cues} cues, {rep.errors} errors, "
            f"{len(rep.findings) - rep.errors} warnings {stats}".rstrip()
        )
    if rep.errors:
        sys.exit(1)


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@out_folder(
    "Output folder: one sub-folder per article, plus report.json and report.csv.", required=True
)
@click.option(
    "-j",
    "--jobs",
    type=StrictInt(1, 32),
    default=2,
    show_default=True,
    help="Articles at once (espeak: worker processes; gtts: threads sharing one rate limit).",
)
@table_options(BATCH)
@click.option(
    "--max-refusals",
    type=StrictInt(1, 1000),
    default=5,
    show_default=True,
    help="Consecutive HTTP 429s from Google (batch-wide) before no more calls are made.",
)
@click.option("--force", is_flag=True, help="Render even articles whose outputs are up to date.")
@click.option(
    "--queue",
    default=None,
    metavar="redis://HOST:6379/0",
    help="Render on the farm's workers (`newsvoice worker`, backfill queue) and wait; "
    "the articles and OUT must be on a folder every worker mounts at the same path.",
)
@_STRICT
@_review_option("an HTML review page per article and OUT/index.html")
def batch(
    inputs: tuple[str, ...],
    out_dir: Path,
    jobs: int,
    max_refusals: int,
    force: bool,
    queue: str | None,
    strict: bool,
    review: bool,
    **values,
) -> None:
    """Render many articles (files, folders, globs of .txt/.md) into OUT/<slug>/.

    Up-to-date articles (same input bytes and settings) are skipped, so a
    re-run after a failure or Ctrl-C does only what is missing. Exit 0 when
    every article succeeded, 3 when any failed (the others still render).

    \b
    Examples:
      newsvoice batch bulletins/2026-11-29/ -o out/ --engine espeak --jobs 2
      newsvoice batch 'feeds/**/*.md' -o out/ --engine gtts --fallback espeak
      newsvoice batch bulletins/ -o out/ --engine espeak --review   # + out/index.html
    """
    from newsvoice.pipeline.batch import BatchOptions, collect_inputs, run_batch
    from newsvoice.pipeline.prepare import check_options

    # every article takes the same options: checked here before any work, each article by render
    opts = _options(table_values(BATCH, values))
    check_options(opts)
    bopts = BatchOptions(jobs=jobs, force=force, fallback=opts.fallback, max_refusals=max_refusals)
    paths = collect_inputs(inputs)
    bar, update = _progress("articles")
    task_progress = None
    if bar is not None:
        task_progress = lambda r, done, total: update("articles", done, total)  # noqa: E731
        update("articles", 0, len(paths))
    elif log.getEffectiveLevel() <= logging.INFO:

        def task_progress(r, done: int, total: int) -> None:
            log.info(
                "[%d/%d] %s %s%s", done, total, r.status, r.file, f": {r.error}" if r.error else ""
            )

    try:
        if bar:
            bar.start()
        farm = None
        if queue is not None:
            from newsvoice.service.farm import FarmExecutor

            farm = FarmExecutor(queue)
        results = run_batch(paths, out_dir, opts, bopts, progress=task_progress, farm=farm)
    except KeyboardInterrupt:
        _abandon_batch(bar)
    finally:
        if bar:
            bar.stop()
    if log.getEffectiveLevel() <= logging.INFO:
        _batch_table(results)
    for r in results:
        _show_warnings(Path(r.file).name, r.warnings)
    if review:
        from newsvoice.outputs.review import write_batch_review

        click.echo(str(write_batch_review(out_dir, results)))
    if any(r.status == "failed" for r in results):
        sys.exit(3)
    if strict and any(r.warnings for r in results):
        raise InputError(
            f"{sum(bool(r.warnings) for r in results)} article(s) with warnings and --strict "
            f"(outputs written; see report.json)"
        )


def _abandon_batch(bar) -> None:
    """Ctrl-C: leave at once with 130. Articles already finished are kept (each is
    all-or-nothing); a worker blocked on a hung service must not hold the exit, so
    threads are not joined, and worker processes exit when they see this one gone."""
    import os
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C: no traceback
    if bar:
        bar.stop()
    click.echo(
        "newsvoice: interrupted; finished articles are kept, run the same command again for the rest",
        err=True,
    )
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(130)


def _batch_table(results) -> None:
    from rich.table import Table

    table = Table("file", "status", "audio s", "cues", "engine", "note", box=None, pad_edge=False)
    for r in results:
        note = r.error or (f"fallback {r.fallback}: {r.fallback_reason}" if r.fallback else "")
        if not note and r.warnings:
            note = f"{len(r.warnings)} warning{'s' * (len(r.warnings) > 1)}: {r.warnings[0]}"
        table.add_row(
            Path(r.file).name,
            r.status,
            "" if r.duration is None else f"{r.duration:.1f}",
            "" if r.cues is None else str(r.cues),
            r.engine,
            note,
        )
    console = _stderr_console()
    console.print(table)
    counts = {s: sum(r.status == s for r in results) for s in ("ok", "skipped", "failed")}
    console.print(
        f"{len(results)} articles: {counts['ok']} rendered, {counts['skipped']} up to date, "
        f"{counts['failed']} failed"
    )


@cli.group()
def cache() -> None:
    """Inspect and trim the cache: synthesised phrases and memoised renders."""


def _cache_dir_option(f):
    return click.option(
        "--cache-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Phrase cache folder (default: the platform cache folder).",
    )(f)


@cache.command("info")
@_cache_dir_option
def cache_info(cache_dir: Path | None) -> None:
    """Print the cache folder, its number of entries and their size (phrases and
    renders together), then the memoised renders alone (count, size)."""
    from newsvoice.cache.phrases import PhraseCache, default_cache_dir
    from newsvoice.cache.prune import human_size
    from newsvoice.cache.prune import info as cache_info

    info = cache_info(PhraseCache(cache_dir or default_cache_dir()))
    click.echo(
        f"dir\t{info.root}\nentries\t{info.entries}\nsize\t{info.size}\t{human_size(info.size)}\n"
        f"renders\t{info.renders}\t{human_size(info.render_size)}"
    )


@cache.command("prune")
@_cache_dir_option
@click.option(
    "--max-size",
    required=True,
    help="Keep the cache under this size, with a unit: 500MB, 2GB, 100k, 1GiB, 42B (or 0).",
)
@click.option(
    "-y", "--yes", is_flag=True, help="Do not ask before deleting more than half of the cache."
)
def cache_prune(cache_dir: Path | None, max_size: str, yes: bool) -> None:
    """Delete least-recently-used phrases and renders until the cache fits in --max-size.

    Only a folder marked as a newsvoice cache (CACHEDIR.TAG) is touched. Asks
    before deleting more than half of it (on a terminal; elsewhere pass --yes).
    """
    from newsvoice.cache.phrases import PhraseCache, default_cache_dir
    from newsvoice.cache.prune import human_size, info, parse_size, prune

    try:
        limit = parse_size(max_size)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--max-size") from None
    pc = PhraseCache(cache_dir or default_cache_dir())
    if not pc.is_marked():
        raise InputError(f"{pc.root} is not a newsvoice cache (no CACHEDIR.TAG); nothing deleted")
    size = info(pc).size
    if not yes and size - limit > size / 2:
        question = (
            f"prune would delete at least {human_size(size - limit)} of the "
            f"{human_size(size)} cache in {pc.root}"
        )
        if not sys.stdin.isatty():
            raise InputError(f"{question}; pass --yes to do that")
        if not click.confirm(f"{question}. Go on?", err=True):
            raise InputError("nothing deleted")
    done = prune(pc, limit)
    click.echo(
        f"removed\t{done.removed}\t{human_size(done.freed)}\n"
        f"entries\t{done.entries}\nsize\t{done.size}\t{human_size(done.size)}\n"
        f"renders\t{done.renders}\t{human_size(done.render_size)}"
    )


from newsvoice.cli.bulletin import bulletin  # noqa: E402
from newsvoice.cli.serve import serve, worker  # noqa: E402

cli.add_command(bulletin)
cli.add_command(serve)
cli.add_command(worker)

from newsvoice.cli.watch import watch  # noqa: E402

cli.add_command(watch)


def run() -> None:
    """The console script and ``python -m newsvoice``: ``main()``, then leave without
    tearing the interpreter down. Every output is written, synced and renamed by then,
    so the ~0.08 s Python spends freeing the word-segmenter model and numpy's state at
    exit buys nothing. Exit handlers (logging's, libraries') still run. Code that calls
    ``main()`` itself (tests, other tools) keeps a normal SystemExit."""
    try:
        main()
        code = 0
    except SystemExit as e:
        if isinstance(e.code, str):
            click.echo(e.code, err=True)
        code = e.code if isinstance(e.code, int) else 0 if e.code is None else 1
    atexit._run_exitfuncs()  # what a normal exit runs first (logging.shutdown among them)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(
            OSError, ValueError
        ):  # a closed pipe (`| head`): nothing more to say
            stream.flush()
    os._exit(code)


def main() -> None:
    """Entry point: run the CLI, turning our errors into one line and an exit code."""
    # One BLAS thread (before numpy loads; a user's own setting wins): our matrix products
    # are small, and an idle BLAS thread spins on the core a batch worker or the encoder needs.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    try:
        args = hoist_global_options(
            sys.argv[1:], flags=("-q", "--quiet", "-v", "--verbose"), valued=("--config",)
        )
        cli.main(args, prog_name="newsvoice", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("newsvoice: aborted", err=True)
        sys.exit(130)
    except click.UsageError as e:  # one line: the problem and where to look
        cmd = e.ctx.command_path if e.ctx is not None else "newsvoice"
        click.echo(f"newsvoice: error: {e.format_message()} (see '{cmd} -h')", err=True)
        sys.exit(e.exit_code)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except NewsvoiceError as e:
        click.echo(f"newsvoice: error: {e}", err=True)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        click.echo("newsvoice: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
