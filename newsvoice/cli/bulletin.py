"""`newsvoice bulletin RUNDOWN -o DIR` (issue 26): a programme from a running order.

Its own module, added to the group by app.py; its options are render's,
from the one option table.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from newsvoice.cli.options import out_folder, table_options, table_values
from newsvoice.options import RENDER, from_values

log = logging.getLogger("newsvoice")


@click.command()
@click.argument("rundown", type=click.Path(dir_okay=False, path_type=Path))
@out_folder(
    "Output folder: programme audio and subtitles, chapters.vtt, bulletin.json, report.csv, "
    "stories/<slug>/ (each story's own render: the stems).",
    required=True,
)
@table_options(RENDER)  # render's options: each story renders with them (fitted to its slot)
@click.option(
    "--strict",
    is_flag=True,
    help="A story that fails fails the bulletin (exit 1, nothing written).",
)
def bulletin(rundown: Path, out_dir: Path, strict: bool, **values) -> None:
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
    from newsvoice.pipeline.bulletin import read_rundown, run_bulletin
    from newsvoice.pipeline.prepare import check

    opts = check(rundown, out_dir, from_values(table_values(RENDER, values))).opts
    ro = read_rundown(rundown)
    res = run_bulletin(ro, out_dir, opts, strict=strict, progress=lambda s: log.info("%s", s))
    for p in res.placed:
        if p.kind == "story":
            planned = f"{p.planned_s:.1f}" if p.planned_s is not None else "-"
            click.echo(f"{p.slug}\t{p.status}\tplanned {planned} s\tactual {p.actual_s:.1f} s")
    over = (
        f" ({res.duration_s - res.slot_s:+.1f} s vs slot {res.slot_s:.1f} s)" if res.slot_s else ""
    )
    click.echo(f"programme\t{res.duration_s:.1f} s{over}")
    for p in res.failed:
        click.echo(
            f"newsvoice: bulletin: story {p.slug} failed, {p.actual_s:.1f} s gap left: {p.error}",
            err=True,
        )
    for path in res.outputs.values():
        click.echo(str(path))
    sys.stdout.flush()
