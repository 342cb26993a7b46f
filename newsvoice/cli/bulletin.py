"""`newsvoice bulletin RUNDOWN -o DIR` (issue 26): a programme from a running order.

Its own module so the option table the lead is building in app.py can take it over;
the shared option groups come from app.py, so it is imported at the end of app.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from newsvoice.cli.app import (
    AUDIO_FORMATS,
    Bitrate,
    _cache_options,
    _check_lexicons,
    _check_voice,
    _delivery,
    _delivery_options,
    _engine_options,
    _layout,
    _layout_options,
    _subs_option,
    cli,
    log,
    presets,
)


@cli.command()
@click.argument("rundown", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Output folder: programme audio and subtitles, chapters.vtt, bulletin.json, report.csv, "
                   "stories/<slug>/ (each story's own render: the stems).")
@_engine_options
@click.option("--format", "audio_format", type=click.Choice(AUDIO_FORMATS), default="wav", show_default=True,
              help="Programme audio (mp3 carries the chapters as ID3 CHAP).")
@click.option("--bit-depth", type=click.Choice(["16", "24"]), default="24", show_default=True)
@click.option("--bitrate", type=Bitrate(), default="192k", show_default=True)
@click.option("--loudness", type=click.Choice(list(presets())), default="ebu-r128", show_default=True,
              help="The whole programme is brought to this preset.")
@_subs_option
@_layout_options
@_cache_options
@_delivery_options
@click.option("--strict", is_flag=True, help="A story that fails fails the bulletin (exit 1, nothing written).")
def bulletin(rundown: Path, out_dir: Path, engine: str, voice: str | None, fallback: str | None,
             max_retry_after: float, audio_format: str, bit_depth: str, bitrate: str, loudness: str,
             subs: tuple[str, ...], cache_dir: Path | None, no_cache: bool, retries: int, no_bwf: bool,
             start_tc: str | None, station: str | None, strict: bool, **layout) -> None:
    """Render the running order RUNDOWN (TOML, CSV or MOS roCreate XML) as one programme.

    Each story renders through the render cache (fitted to its slot when it has one), so
    a re-run after an edit renders only the stories that changed. A story that fails
    leaves silence of its slot and a line on stderr (exit 0; --strict: exit 1).

    \b
    Examples:
      newsvoice bulletin 19h.toml -o out/19h --engine espeak --subs srt,vtt --start-tc 10:00:00:00
      newsvoice bulletin running-order.csv -o out/ --format mp3
      newsvoice bulletin mos/roCreate.xml -o out/   # + roStorySend files beside it
    """
    from newsvoice.options import RenderOptions
    from newsvoice.pipeline.bulletin import read_rundown, run_bulletin

    _check_voice(engine, voice)
    _check_lexicons(layout["lexicons"])
    opts = RenderOptions(engine=engine, voice=voice, fallback=fallback, max_retry_after=max_retry_after,
                         audio_format=audio_format, bit_depth=int(bit_depth), bitrate=bitrate, loudness=loudness,
                         subs=subs, cache_dir=cache_dir, use_cache=not no_cache, retries=retries,
                         **_layout(**layout))
    opts = _delivery(opts, no_bwf, start_tc, station)
    ro = read_rundown(rundown)
    res = run_bulletin(ro, out_dir, opts, strict=strict, progress=lambda s: log.info("%s", s))
    for p in res.placed:
        if p.kind == "story":
            planned = f"{p.planned_s:.1f}" if p.planned_s is not None else "-"
            click.echo(f"{p.slug}\t{p.status}\tplanned {planned} s\tactual {p.actual_s:.1f} s")
    over = f" ({res.duration_s - res.slot_s:+.1f} s vs slot {res.slot_s:.1f} s)" if res.slot_s else ""
    click.echo(f"programme\t{res.duration_s:.1f} s{over}")
    for p in res.failed:
        click.echo(f"newsvoice: bulletin: story {p.slug} failed, {p.actual_s:.1f} s gap left: {p.error}", err=True)
    for path in res.outputs.values():
        click.echo(str(path))
    sys.stdout.flush()
