"""The ``newsvoice`` command line: thin Click wrappers over the library.

Exit codes: 0 ok, 1 input error, 2 usage error, 3 engine/network failure.
Data goes to stdout; logs, notices and progress go to stderr.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from newsvoice.errors import NewsvoiceError

log = logging.getLogger("newsvoice")


def _setup_logging(quiet: bool, verbose: bool) -> None:
    level = logging.ERROR if quiet else logging.DEBUG if verbose else logging.INFO
    logging.basicConfig(level=level, format="newsvoice: %(message)s", stream=sys.stderr, force=True)


def _read_input(file: str | None) -> bytes:
    if file in (None, "-"):
        return sys.stdin.buffer.read()
    path = Path(file)
    from newsvoice.article import read_bytes

    return read_bytes(path)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsvoice")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging on stderr.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), envvar="NEWSVOICE_CONFIG",
              help="TOML file of option defaults, one table per command ([render], [check], ...). "
                   "Also read from $NEWSVOICE_CONFIG.")
@click.pass_context
def cli(ctx: click.Context, quiet: bool, verbose: bool, config_file: Path | None) -> None:
    """Turn Vietnamese news articles into narration audio and broadcast subtitles.

    \b
    Examples:
      newsvoice render examples/bao-lu-mien-trung.txt -o out/
      newsvoice sentences article.txt --show-dropped
      echo "Ngày 11/01, UBND TP.HCM họp." | newsvoice normalize
      newsvoice voices

    Exit codes: 0 ok, 1 input error, 2 usage error, 3 engine/network failure.
    """
    _setup_logging(quiet, verbose)
    if config_file is not None:
        from newsvoice.config import load_config

        ctx.default_map = load_config(config_file, cli)


@cli.command()
@click.argument("file", required=False)
@click.option("--show-dropped", is_flag=True, help="Also list dropped lines and why (stderr-free: on stdout, prefixed '# dropped').")
@click.option("--keep-all", is_flag=True, help="Keep every line, drop nothing.")
@click.option("--no-headline", is_flag=True, help="Leave out the headline (first line).")
def sentences(file: str | None, show_dropped: bool, keep_all: bool, no_headline: bool) -> None:
    """Print the narrated sentences of FILE (or stdin), one per line.

    A blank line separates paragraphs. Uses exactly the renderer's reading and
    splitting code.

    \b
    Example:
      newsvoice sentences ../shared/samples/dai-loc-party-building.txt
    """
    from newsvoice.article import parse_article
    from newsvoice.sentences import split_sentences

    art = parse_article(_read_input(file), keep_all=keep_all)
    paras = list(art.paragraphs)
    if art.headline and not no_headline:
        paras.insert(0, art.headline)
    out = []
    for para in paras:
        out.append("\n".join(split_sentences(para)))
    click.echo("\n\n".join(out))
    if show_dropped:
        for d in art.dropped:
            click.echo(f"# dropped ({d.reason}): {d.text}")


@cli.command()
@click.argument("file", required=False)
@click.option("--lexicon", "lexicons", multiple=True, type=click.Path(dir_okay=False),
              help="Extra TSV lexicon (written<TAB>spoken); overrides built-ins. Repeatable.")
def normalize(file: str | None, lexicons: tuple[str, ...]) -> None:
    """Print the spoken form of each line of FILE (or stdin).

    One output line per input line; a blank line stays blank.

    \b
    Example:
      echo "Kết nạp 120 đảng viên, đạt 109,1%." | newsvoice normalize
    """
    from newsvoice.article import decode_text
    from newsvoice.normalize import Normalizer
    from newsvoice.plan import spoken_text

    norm = Normalizer([Path(p) for p in lexicons])
    text = decode_text(_read_input(file))
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for line in lines:
        click.echo(spoken_text(line, norm) if line.strip() else "")


def _progress(label: str):
    """A rich progress bar on a terminal (stderr); nothing otherwise."""
    if not sys.stderr.isatty() or log.getEffectiveLevel() > logging.INFO:
        return None, None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    bar = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn(), transient=True, console=_stderr_console())
    task = bar.add_task(label, total=None)
    return bar, lambda done, total: bar.update(task, completed=done, total=total)


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
              show_default=True, help="Output folder (created if missing).")
@click.option("--engine", type=click.Choice(["auto", "gtts", "espeak"]), default="auto", show_default=True,
              help="auto: Google when reachable (probed once, ~2 s), else offline espeak-ng.")
@click.option("--voice", default=None, help="Voice name; see `newsvoice voices`.")
@click.option("--speed", type=click.FloatRange(0.5, 2.0), default=1.0, show_default=True, help="Speaking pace.")
@click.option("--format", "audio_format", type=click.Choice(["wav", "mp3"]), default="wav", show_default=True)
@click.option("--subs", default="srt", show_default=True, help="Subtitle formats, comma-separated: srt, vtt, ttml (EBU-TT-D).")
@click.option("--srt-bom", is_flag=True, help="Start the SRT with a UTF-8 BOM (some editing tools want it).")
@click.option("--fps", type=click.Choice(["25", "29.97", "30", "50"]), default="25", show_default=True,
              help="Frame grid for cue times.")
@click.option("--max-chars", type=click.IntRange(10, 200), default=42, show_default=True, help="Characters per cue line.")
@click.option("--max-lines", type=click.IntRange(1, 4), default=2, show_default=True, help="Lines per cue.")
@click.option("--min-dur", type=click.FloatRange(0, 10), default=5 / 6, show_default="0.833", help="Shortest cue, s.")
@click.option("--max-dur", type=click.FloatRange(1, 60), default=7.0, show_default=True, help="Longest cue, s.")
@click.option("--gap-frames", type=click.IntRange(0, 25), default=2, show_default=True, help="Frames between cues.")
@click.option("--max-cps", type=click.FloatRange(1, 100), default=20.0, show_default=True,
              help="Reading speed (chars/s) above which a cue is reported in the warnings.")
@click.option("--headline/--no-headline", default=True, show_default=True, help="Narrate the headline.")
@click.option("--keep-all", is_flag=True, help="Keep every line of the source (drop no web junk).")
@click.option("--lexicon", "lexicons", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Extra TSV lexicon (written<TAB>spoken), overrides built-ins. Repeatable.")
@click.option("--pause-comma", type=click.IntRange(0, 5000), default=300, show_default=True, help="ms after , ; :")
@click.option("--pause-sentence", type=click.IntRange(0, 5000), default=600, show_default=True, help="ms after a sentence.")
@click.option("--pause-paragraph", type=click.IntRange(0, 10000), default=1000, show_default=True, help="ms after a paragraph.")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Phrase cache folder (default: the platform cache folder).")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the phrase cache.")
@click.option("--retries", type=click.IntRange(0, 20), default=4, show_default=True, help="Google retries per phrase.")
@click.option("--timeout", type=click.FloatRange(0.5, 120), default=10.0, show_default=True, help="Google request timeout, s.")
def render(file: Path, out_dir: Path, engine: str, voice: str | None, speed: float, audio_format: str,
           subs: str, srt_bom: bool, fps: str, max_chars: int, max_lines: int, min_dur: float, max_dur: float,
           gap_frames: int, max_cps: float, headline: bool, keep_all: bool, lexicons: tuple[Path, ...],
           pause_comma: int, pause_sentence: int, pause_paragraph: int, cache_dir: Path | None,
           no_cache: bool, retries: int, timeout: float) -> None:
    """Render FILE into narration audio, subtitles and a JSON manifest in --out.

    Writes OUT/<name>.wav (or .mp3), OUT/<name>.srt (and .vtt) and
    OUT/<name>.json; prints the paths written on stdout.

    \b
    Examples:
      newsvoice render examples/bao-lu-mien-trung.txt -o out/ --engine espeak
      newsvoice render article.txt -o out/ --format mp3 --subs srt,vtt
    """
    from newsvoice.plan import Pauses
    from newsvoice.render import SUB_FORMATS, RenderOptions
    from newsvoice.render import render as do_render
    from newsvoice.subtitles import CueRules

    sub_list = tuple(s.strip() for s in subs.split(",") if s.strip())
    bad = [s for s in sub_list if s not in SUB_FORMATS]
    if bad:
        raise click.BadParameter(f"unknown subtitle format {bad[0]!r} (choose from srt, vtt, ttml)", param_hint="--subs")
    opts = RenderOptions(
        engine=engine, voice=voice, speed=speed, audio_format=audio_format, subs=sub_list, srt_bom=srt_bom,
        narrate_headline=headline, keep_all=keep_all, lexicons=lexicons,
        pauses=Pauses(comma=pause_comma, sentence=pause_sentence, paragraph=pause_paragraph),
        cues=CueRules(fps=float(fps), max_chars=max_chars, max_lines=max_lines, min_dur=min_dur,
                      max_dur=max_dur, gap_frames=gap_frames, max_cps=max_cps), cache_dir=cache_dir, use_cache=not no_cache, retries=retries, timeout=timeout,
    )
    bar, progress = _progress("synthesising")
    try:
        if bar:
            bar.start()
        result = do_render(file, out_dir, opts, progress=progress)
    finally:
        if bar:
            bar.stop()
    for w in result.warnings:
        log.debug("warning: %s", w)
    log.info("%s: %.1f s of audio, %d cues, engine %s/%s, %d engine calls, %.1f s",
             file.name, result.duration_s, result.cues, result.engine, result.voice,
             result.engine_calls, result.seconds)
    for path in result.outputs.values():
        click.echo(str(path))


@cli.command()
def voices() -> None:
    """List the engines and their voices (engine<TAB>voice<TAB>description)."""
    from newsvoice.engines import all_voices

    for v in all_voices():
        click.echo(f"{v.engine}\t{v.name}\t{v.description}")


@cli.command()
@click.argument("subs", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--audio", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Also check that every cue sits on the speech of this audio file.")
@click.option("--fps", type=float, default=25.0, show_default=True, help="Frame grid (25, 29.97, 30, 50).")
@click.option("--max-chars", type=click.IntRange(10, 200), default=42, show_default=True)
@click.option("--max-lines", type=click.IntRange(1, 10), default=2, show_default=True)
@click.option("--min-dur", type=click.FloatRange(0, 60), default=5 / 6, show_default="0.833")
@click.option("--max-dur", type=click.FloatRange(0.1, 600), default=7.0, show_default=True)
@click.option("--max-cps", type=click.FloatRange(1, 100), default=20.0, show_default=True,
              help="Reading speed above which a cue is flagged (warning).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
def check(subs: Path, audio: Path | None, fps: float, max_chars: int, max_lines: int, min_dur: float,
          max_dur: float, max_cps: float, as_json: bool) -> None:
    """Lint SUBS (any SRT, ours or a human's) against the broadcast preset.

    Exit 0 when clean (warnings allowed), 1 on any violation.

    \b
    Examples:
      newsvoice check out/story.srt --audio out/story.wav
      newsvoice check captions.srt --fps 29.97 --json
    """
    import json as _json

    from newsvoice.check import check_file
    from newsvoice.subtitles import CueRules

    rules = CueRules(max_chars=max_chars, max_lines=max_lines, min_dur=min_dur, max_dur=max_dur,
                     fps=fps, max_cps=max_cps)
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
        console.print(f"{subs.name}: {rep.cues} cues, {rep.errors} errors, "
                      f"{len(rep.findings) - rep.errors} warnings {stats}".rstrip())
    if rep.errors:
        sys.exit(1)


def main() -> None:
    """Entry point: run the CLI, turning our errors into one line and an exit code."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("newsvoice: aborted", err=True)
        sys.exit(130)
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
