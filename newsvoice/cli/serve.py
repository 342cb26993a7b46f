"""`newsvoice serve` (the HTTP job API) and `newsvoice worker` (a farm worker on Redis).

Their own module, added to the group by app.py. serve's render options are the API's
rows of the one option table: given here (or in the config file's [serve] table) they
are the server's defaults, which a request's ``options`` override.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from newsvoice.cli.options import click_option
from newsvoice.errors import UsageError

DEFAULT_PORT = 8750


def default_data() -> Path:
    """``$NEWSVOICE_DATA``, else the platform's data folder + /service."""
    env = os.environ.get("NEWSVOICE_DATA")
    if env:
        return Path(env)
    from platformdirs import user_data_dir

    return Path(user_data_dir("newsvoice")) / "service"


def _api_options(f):
    from newsvoice.service.jobs import api_specs

    for spec in reversed(api_specs()):
        f = click_option(spec)(f)
    return f


def _split(values: tuple[str, ...], env: str) -> tuple[str, ...]:
    got = [t for v in values for t in v.split(",")]
    got += os.environ.get(env, "").split(",")
    return tuple(t.strip() for t in got if t.strip())


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Data folder: jobs.sqlite, uploads/, outputs/, lexicons/ "
    "(default $NEWSVOICE_DATA or the platform data folder). With --queue: a folder every "
    "worker mounts (NFS/SMB).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Embedded mode: worker processes (one render each).",
)
@click.option(
    "--queue",
    default=None,
    metavar="redis://HOST:6379/0",
    help="Send jobs to a Redis queue (RQ) for `newsvoice worker`s instead of running them here.",
)
@click.option(
    "--tokens",
    "--token",
    multiple=True,
    help="Bearer token(s) clients must send (also NEWSVOICE_TOKENS, comma separated). "
    "Without any the API is open, on loopback only.",
)
@click.option(
    "--rate", default="60/min", show_default=True, help="Per-token limit on POST/PUT requests."
)
@click.option(
    "--callback-secret",
    default=None,
    help="HMAC-SHA256 key of callback signatures (also NEWSVOICE_CALLBACK_SECRET).",
)
@_api_options
def serve(
    host: str,
    port: int,
    data: Path | None,
    workers: int,
    queue: str | None,
    tokens: tuple[str, ...],
    rate: str,
    callback_secret: str | None,
    **values,
) -> None:
    """Run the HTTP job API (docs/service.md): POST /v1/renders, GET /v1/jobs/{id}, ...

    \b
    Examples:
      newsvoice serve                                   # embedded: 127.0.0.1:8750
      newsvoice serve --engine espeak --workers 2
      newsvoice serve --host 0.0.0.0 --queue redis://redis:6379/0 --data /mnt/newsvoice
    """
    import uvicorn

    from newsvoice.service.app import ServiceConfig, create_app
    from newsvoice.service.auth import is_loopback, parse_rate

    all_tokens = _split(tokens, "NEWSVOICE_TOKENS")
    if not all_tokens and not is_loopback(host):
        raise UsageError(
            f"--host {host}: binding beyond loopback needs --tokens (or NEWSVOICE_TOKENS)",
            option="--host",
        )
    parse_rate(rate)
    if queue is not None and not queue.startswith(("redis://", "rediss://", "unix://")):
        raise UsageError(f"--queue {queue!r}: want redis://HOST:PORT/DB", option="--queue")
    if queue is not None:
        _reach(queue)
    from newsvoice.cli.options import table_values
    from newsvoice.options import SERVE

    defaults = _defaults(table_values(SERVE, values))
    folder = (data or default_data()).expanduser()
    config = ServiceConfig(
        data=folder,
        defaults=defaults,
        tokens=all_tokens,
        rate=rate,
        callback_secret=callback_secret or os.environ.get("NEWSVOICE_CALLBACK_SECRET", ""),
        callback_backoff=_backoff(),
        workers=workers,
        queue=queue,
    )
    app = create_app(config)
    mode = f"queue {queue}" if queue else f"embedded, {workers} worker(s)"
    click.echo(f"newsvoice serve: http://{host}:{port} ({mode}; data {folder})", err=True)
    sys.stderr.flush()
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def _reach(url: str) -> None:
    """A farm whose Redis cannot be reached is an exit 3 at start, not a traceback."""
    from redis import Redis
    from redis.exceptions import RedisError

    from newsvoice.errors import EngineError

    try:
        Redis.from_url(url, socket_connect_timeout=5).ping()
    except (RedisError, ValueError) as e:
        raise EngineError(f"--queue {url}: cannot reach Redis: {e}") from None


def _defaults(values: dict):
    """Server defaults: Click has checked each flag's form; the combinations are checked
    here like a request's (a bad default is a usage error at start, not on every job)."""
    from newsvoice.options import from_values
    from newsvoice.pipeline.prepare import check_options

    opts = from_values(values)
    check_options(opts)
    return opts


def _backoff() -> tuple[float, ...]:
    """Callback retry waits; NEWSVOICE_CALLBACK_BACKOFF (seconds, comma separated) lets
    tests and impatient receivers shorten them."""
    from newsvoice.service.callbacks import BACKOFF_S

    env = os.environ.get("NEWSVOICE_CALLBACK_BACKOFF")
    if not env:
        return BACKOFF_S
    try:
        return tuple(float(x) for x in env.split(",") if x.strip())
    except ValueError:
        raise UsageError(
            f"NEWSVOICE_CALLBACK_BACKOFF={env!r}: want seconds, comma separated"
        ) from None


@click.command()
@click.option("--queue", required=True, metavar="redis://HOST:6379/0", help="The farm's Redis.")
@click.option(
    "--priority",
    default="breaking,bulletin,backfill",
    show_default=True,
    help="Queues to take jobs from, in the order they are served.",
)
@click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The shared data folder (the same one the server has, mounted here).",
)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(queue: str, priority: str, data: Path | None, burst: bool) -> None:
    """Run farm jobs from Redis (an RQ worker): one job at a time, each in its own process.

    \b
    Example:
      newsvoice worker --queue redis://redis:6379/0 --data /mnt/newsvoice
    """
    from newsvoice.service.farm import run_worker
    from newsvoice.service.store import PRIORITIES

    _reach(queue)
    names = [p.strip() for p in priority.split(",") if p.strip()]
    bad = [p for p in names if p not in PRIORITIES]
    if bad or not names:
        raise UsageError(
            f"--priority {priority!r}: choose from {', '.join(PRIORITIES)}", option="--priority"
        )
    run_worker(queue, names, (data or default_data()).expanduser(), burst=burst)
