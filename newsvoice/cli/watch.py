"""`newsvoice watch IN_DIR -o OUT_DIR`: a hot folder (issue 24).

Its own module, added to the group by app.py; its options are batch's, from the
one option table.
"""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path

import click

from newsvoice.cli.options import out_folder, table_options, table_values
from newsvoice.cli.params import FiniteFloat, StrictInt
from newsvoice.options import BATCH, from_values

log = logging.getLogger("newsvoice")


@click.command()
@click.argument("in_dir", type=click.Path(file_okay=False, path_type=Path))
@out_folder(
    "Output folder: OUT/<slug>/ per article (outputs + manifest), OUT/<slug>.failed notes.",
    required=True,
)
@click.option(
    "--settle",
    "settle_s",
    type=FiniteFloat(0, 3600),
    default=2.0,
    show_default=True,
    help="Seconds a file must stay unchanged (size and time) before it is taken.",
)
@click.option(
    "--poll",
    "poll_s",
    type=FiniteFloat(0.05, 3600),
    default=1.0,
    show_default=True,
    help="Seconds between looks at the folder.",
)
@click.option(
    "--once", is_flag=True, help="Take what is in the folder now, then exit (cron, tests)."
)
@click.option(
    "-j",
    "--jobs",
    type=StrictInt(1, 32),
    default=1,
    show_default=True,
    help="Articles at once when several settle together.",
)
@table_options(BATCH)
def watch(
    in_dir: Path, out_dir: Path, settle_s: float, poll_s: float, once: bool, jobs: int, **values
) -> None:
    """Render every article dropped into IN_DIR (.txt .md .html .htm .docx) into OUT/<slug>/.

    A file is taken once it stops growing (--settle). Each output set is written
    atomically with its manifest; a file that fails leaves OUT/<slug>.failed with the
    reason and is tried again only when it changes. After a restart nothing is taken
    twice: a file already rendered with the same bytes and settings is up to date.
    Stops on Ctrl-C or SIGTERM after the article in hand (exit 0).

    \b
    Examples:
      newsvoice watch /srv/hot/in -o /srv/hot/out --engine espeak
      newsvoice watch inbox/ -o out/ --once --subs srt,vtt   # from cron
    """
    from newsvoice.pipeline.batch import BatchOptions
    from newsvoice.pipeline.prepare import check_options
    from newsvoice.pipeline.watch import FAILED, WatchOptions
    from newsvoice.pipeline.watch import watch as run_watch

    opts = from_values(table_values(BATCH, values))
    check_options(opts)
    wopts = WatchOptions(
        settle_s=settle_s,
        poll_s=poll_s,
        once=once,
        batch=BatchOptions(jobs=jobs, fallback=opts.fallback),
    )
    stopping: list[int] = []

    def ask_stop(signum, _frame) -> None:
        if stopping:  # a second signal: leave now (outputs are all-or-nothing)
            sys.exit(130)
        stopping.append(signum)
        log.warning("newsvoice: watch: stopping after the article in hand")

    signal.signal(signal.SIGTERM, ask_stop)
    signal.signal(signal.SIGINT, ask_stop)

    def show(r) -> None:
        note = f": {r.error}" if r.error else ""
        if r.status == "skipped":
            log.info("up to date: %s", r.file)
            return
        where = out_dir / (r.slug + FAILED if r.status == "failed" else r.slug)
        click.echo(f"{r.status}\t{r.file}\t{where}{note}")
        sys.stdout.flush()

    log.info("watching %s (settle %.1f s)", in_dir, settle_s)
    run_watch(in_dir, out_dir, opts, wopts, stop=lambda: bool(stopping), on_result=show)
