"""Batch runs over daily bulletins: many articles, one command, safe to re-run.

Each article renders into ``OUT/<slug>/`` through the ordinary ``render``; a stamp
(``.newsvoice-done``, written last and atomically) records the hash of the input
bytes and of every setting that shapes the output, so a re-run after a failure,
Ctrl-C or a kill does only what is missing. One file lock per slug (under
``OUT/.locks``) keeps two batch processes on the same folder from rendering the
same article at once; the second one then finds the stamp and skips it.

Each engine declares its pool in the registry. CPU-bound offline engines
(espeak, piper: per-process C state or a model behind a lock) run in a process
pool, one engine per worker. Online engines are network-bound and their
politeness must be global, so they run in threads that share one engine (its
rate limit is batch-wide, the thread count the concurrency bound) and one
CircuitBreaker (created per batch). The service is probed once for the batch;
with --fallback the fallback engine renders what the service cannot.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import hashlib
import io
import json
import logging
import os
import re
import stat
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from newsvoice import __version__
from newsvoice.audio.targets import Measurement
from newsvoice.errors import InputError, NewsvoiceError, OutputError
from newsvoice.inputs.sources import ARTICLE_SUFFIXES, is_url, read_source, source_name, source_stem
from newsvoice.options import RenderOptions
from newsvoice.outputs.files import check_output_dir, display_path, locked, own_dir, write_outputs
from newsvoice.pipeline.render import render
from newsvoice.speech.engines import Engine, EngineSettings

log = logging.getLogger("newsvoice")

SUFFIXES = ARTICLE_SUFFIXES  # .txt .md .html .htm .docx
STAMP = ".newsvoice-done"
REPORT_FIELDS = (
    "file",
    "status",
    "duration",
    "cues",
    "engine",
    "loudness",
    "warnings",
    "error",
    "fallback",
    "fallback_reason",
)


@dataclass(frozen=True)
class BatchItem:
    """One article of the batch and the folder it renders into."""

    src: Path
    slug: str
    out_dir: Path


@dataclass
class BatchResult:
    """One row of the report."""

    file: str
    slug: str
    status: str  # ok | skipped | failed
    duration: float | None = None
    cues: int | None = None
    engine: str = ""
    loudness: str = ""
    warnings: list[str] = field(default_factory=list)
    error: str = ""
    fallback: str = ""  # the engine that stood in, if any
    fallback_reason: str = ""  # why the asked-for engine could not be used
    seconds: float = 0.0


@dataclass(frozen=True)
class BatchOptions:
    jobs: int = 2
    force: bool = False
    fallback: str | None = None  # "espeak": render with it what the online service cannot
    max_refusals: int = 5  # consecutive 429s across the batch before the breaker opens
    backoff: float = 1.0  # Google retry backoff base, s


# ---------------------------------------------------------------- inputs


_NOTES = ("readme", "changelog", "license", "licence")


def _is_article(p: Path) -> bool:
    return p.suffix.lower() in SUFFIXES and p.is_file() and not p.stem.lower().startswith(_NOTES)


def _special_kind(path: Path) -> str | None:
    """'FIFO', 'socket', 'device' for a named path that exists but is no regular file."""
    try:
        mode = path.stat().st_mode  # stat never opens, so a FIFO does not block here
    except OSError:
        return None
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return None


def collect_inputs(args: Sequence[str]) -> list[Path]:
    """Files, folders (searched recursively) and globs -> article paths, in order, once each.
    A named file that does not exist stays in the list so it fails visibly in the report;
    a named FIFO, socket or device is skipped with a warning (reading it would block).
    Folders and globs skip hidden files and README/CHANGELOG/LICENSE notes: a folder's
    notes are not news (name such a file explicitly to narrate it)."""
    found: list[Path] = []
    for arg in args:
        path = Path(arg)
        if is_url(arg):
            found.append(
                path
            )  # fetched when rendered (Path keeps "https:/host/..."; sources reads it)
        elif path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*")
                if _is_article(p)
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif glob.has_magic(arg):
            found += sorted(Path(p) for p in glob.glob(arg, recursive=True) if _is_article(Path(p)))
        elif (kind := _special_kind(path)) is not None:
            log.warning(
                "skipping %s: it is a %s, not a file (reading it could block the batch)",
                display_path(path),
                kind,
            )
        else:
            found.append(path)
    seen: set[Path] = set()
    unique = []
    for p in found:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(p)
    if not unique:
        raise InputError(f"no articles (.txt .md .html .htm .docx) in {' '.join(args)}")
    return unique


def slugify(stem: str) -> str:
    """ASCII folder name: 'Bão lũ miền Trung' -> 'bao-lu-mien-trung' (đ folds to d)."""
    text = unicodedata.normalize("NFKD", stem.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:80] or "article"


def source_id(path: Path) -> str:
    """Who an output folder belongs to: the article's absolute path, as text (a URL with
    its secrets redacted)."""
    if is_url(str(path)):
        return source_name(str(path))
    return display_path(Path(os.path.abspath(path)))


def shown(path: Path) -> str:
    """The article as the report and messages name it (a URL without its secrets)."""
    return source_name(str(path)) if is_url(str(path)) else display_path(path)


def item_slug(path: Path) -> str:
    """The folder of one source, a pure function of it (whatever else a run holds):
    the slug of its name (a URL's path only) and 6 hex of its absolute path or URL, so
    two ``tin.txt`` of different folders never share one and each keeps its own."""
    base = source_stem(str(path)) if is_url(str(path)) else slugify(path.stem)
    return f"{base}-{hashlib.sha256(source_id(path).encode()).hexdigest()[:6]}"


def plan_items(paths: Sequence[Path], out_root: Path) -> list[BatchItem]:
    """Give every article its own folder (:func:`item_slug`)."""
    return [BatchItem(p, slug, out_root / slug) for p in paths for slug in [item_slug(p)]]


def outside_output(paths: Sequence[Path], out_root: Path) -> list[Path]:
    """The articles that are not under ``out_root``: a batch whose output folder is inside
    its input folder must not narrate its own review pages and outputs on the next run."""
    root = os.path.realpath(out_root)
    kept = []
    for p in paths:
        real = os.path.realpath(p) if not is_url(str(p)) else ""
        if real and os.path.commonpath([root, real]) == root:
            log.debug("skipping %s: it is inside the output folder", display_path(p))
            continue
        kept.append(p)
    return kept


# ---------------------------------------------------------------- up-to-date check


def settings_key(data: bytes, opts: RenderOptions, engine: str, voice: str) -> str:
    """The output key (options.output_key) of rendering ``data``: a changed lexicon, reading
    rule or any other file of the package renders the article again."""
    from newsvoice.options import output_key

    return output_key(
        data,
        opts,
        engine=engine,
        voice=voice,
        lexicons=[Path(p).read_bytes() for p in opts.lexicons],
        extra={"stamp": 1},
    )


def file_digest(path: Path) -> dict[str, object]:
    """Size and sha256 of a file (read in chunks), as recorded in the stamp."""
    h, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return {"size": size, "sha256": h.hexdigest()}


def outputs_intact(out_dir: Path, recorded: object) -> bool:
    """True when every output the stamp names is there with its recorded size and hash
    (a truncated or edited output is not up to date)."""
    if not isinstance(recorded, dict) or not recorded:
        return False  # stamps of older versions recorded names only: render again
    for name, want in recorded.items():
        path = out_dir / name
        try:
            if not isinstance(want, dict) or path.stat().st_size != want.get("size"):
                return False
            if file_digest(path)["sha256"] != want.get("sha256"):
                return False
        except OSError:
            return False
    return True


def write_stamp(item: BatchItem, key: str, result: BatchResult, outputs: Iterable[Path]) -> None:
    """Mark ``item`` done, last: its settings key, its source and each output's size and sha256."""
    stamp = {
        "key": key,
        "source": source_id(item.src),
        "outputs": {p.name: file_digest(p) for p in sorted(outputs)},
        "result": asdict(result),
    }
    # ASCII JSON: output names may hold undecodable bytes (surrogates)
    write_outputs({item.out_dir / STAMP: json.dumps(stamp).encode("ascii")})


def _read_stamp(out_dir: Path) -> dict | None:
    try:
        return json.loads((out_dir / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _sweep_parts(out_dir: Path) -> None:
    """Remove temp files a killed render left behind (we hold the slug's lock; the
    folder was checked to be ours, not a symlink)."""
    if out_dir.is_dir() and not out_dir.is_symlink():
        for tmp in out_dir.glob(".*.part-*"):
            tmp.unlink(missing_ok=True)


def _loudness(m: Measurement | None) -> str:
    """Integrated loudness the render measured (LUFS), for the report."""
    return "" if m is None else str(m.as_dict().get("integrated_lufs", ""))


# ---------------------------------------------------------------- one article


def item_lock(item: BatchItem) -> contextlib.AbstractContextManager[None]:
    """One worker at a time per output folder, across processes and runs. The lock
    folder must be a real folder of OUT (a planted symlink is refused)."""
    return locked(own_dir(item.out_dir.parent / ".locks") / f"{item.slug}.lock")


def stamped_result(
    item: BatchItem, key: str, *, force: bool, made: str, t0: float
) -> BatchResult | None:
    """Call with the item's lock held. Refuses a folder that holds the ``made`` (render,
    output) of another source; returns the stamped result as "skipped" when the stamp
    matches ``key`` and its outputs are intact; else None, with the old stamp and any
    leftover temps removed so the work can start."""
    name = shown(item.src)
    own_dir(item.out_dir, create=False)  # a symlink planted at OUT/<slug> is refused, not followed
    stamp = _read_stamp(item.out_dir)
    owner = stamp.get("source") if stamp else None
    if owner is not None and owner != source_id(item.src):
        raise OutputError(
            f"{display_path(item.out_dir)} holds the {made} of {owner}; "
            f"not replacing it with {name} (rename one of them)"
        )
    if (
        not force
        and stamp
        and stamp.get("key") == key
        and outputs_intact(item.out_dir, stamp.get("outputs"))
    ):
        known = {f.name for f in fields(BatchResult)}
        row = {k: v for k, v in stamp["result"].items() if k in known}
        if not isinstance(row.get("warnings", []), list):
            row["warnings"] = []
        row.update(file=name, slug=item.slug, status="skipped", seconds=time.perf_counter() - t0)
        return BatchResult(**row)
    (item.out_dir / STAMP).unlink(missing_ok=True)
    _sweep_parts(item.out_dir)
    return None


def failed_result(item: BatchItem, e: Exception, t0: float) -> BatchResult:
    """The report row of an item that failed: our errors in their own words, anything
    else named and logged in full at -v (one broken item must not stop the others)."""
    name = shown(item.src)
    if isinstance(e, NewsvoiceError):
        return BatchResult(
            name, item.slug, "failed", error=str(e), seconds=time.perf_counter() - t0
        )
    log.debug("unexpected failure on %s", name, exc_info=e)
    return BatchResult(
        name,
        item.slug,
        "failed",
        error=f"unexpected error: {type(e).__name__}: {e}",
        seconds=time.perf_counter() - t0,
    )


def render_item(
    item: BatchItem, opts: RenderOptions, engine: Engine, *, force: bool = False
) -> BatchResult:
    """Render one article unless its stamp says it is up to date; never raises."""
    t0 = time.perf_counter()
    try:
        with item_lock(item):
            data = read_source(str(item.src)).data
            key = settings_key(data, opts, engine.name, engine.voice)
            done = stamped_result(item, key, force=force, made="render", t0=t0)
            if done is not None:
                return done
            res = render(item.src, item.out_dir, opts, engine=engine)  # falls back itself
            fell = res.fallback or {}
            if fell:  # keyed by the engine used, so a later run tries the asked-for one again
                key = settings_key(data, opts, res.engine, res.voice)
            result = BatchResult(
                shown(item.src),
                item.slug,
                "ok",
                round(res.duration_s, 3),
                res.cues,
                res.engine,
                _loudness(res.loudness),
                list(res.warnings),
                "",
                fell.get("to", ""),
                fell.get("reason", ""),
                time.perf_counter() - t0,
            )
            write_stamp(item, key, result, res.outputs.values())
            return result
    except Exception as e:
        return failed_result(item, e, t0)


def _process_worker(
    item: BatchItem, opts: RenderOptions, force: bool, fell: dict | None
) -> BatchResult:
    """Process-pool entry: each worker process opens its own engine (espeak-ng state,
    a Piper model); ``fell`` is the batch's fallback record when the batch fell back."""
    from newsvoice.speech.engines import FallbackEngine, get_spec

    try:
        spec = get_spec(opts.engine)
        engine = spec.factory(spec.resolve_voice(opts.voice), EngineSettings.from_options(opts))
    except NewsvoiceError as e:
        return BatchResult(shown(item.src), item.slug, "failed", error=str(e))
    if fell:
        engine = FallbackEngine(engine, fell["from"], fell["reason"])
    return render_item(item, opts, engine, force=force)


def _worker_init(parent: int, poll_s: float = 0.2) -> None:
    """Process-pool workers leave Ctrl-C to the parent (no traceback per worker) and
    exit as soon as the parent is gone (killed, or exited on Ctrl-C): a worker's own
    pool would otherwise wait for work forever. An article cut short leaves only temps,
    swept by the next run; outputs are all-or-nothing."""
    import signal
    import threading

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # one BLAS thread per worker: our matrix products are small, and a second BLAS thread
    # spins on the core the other worker needs (--jobs 2 ran no faster than --jobs 1)
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


# ---------------------------------------------------------------- the batch


def run_batch(
    paths: Sequence[Path],
    out_root: Path,
    opts: RenderOptions,
    bopts: BatchOptions | None = None,
    progress: Callable[[BatchResult, int, int], None] | None = None,
    farm: Executor | None = None,
    report: bool = True,
) -> list[BatchResult]:
    """Render every article (failures recorded, never raised), then write the reports
    (``report=False``: the caller keeps its own record, as the watch folder does).
    ``farm``: an executor whose workers run each item on other machines (``batch
    --queue``): they read the articles and write OUT themselves (a shared mount), with
    the same stamps and locks, so resume and the report are the same."""
    bopts = bopts or BatchOptions()
    check_output_dir(out_root)
    kept = outside_output(paths, out_root)
    if not kept:
        raise InputError(f"no articles outside the output folder {display_path(out_root)}")
    items = plan_items(kept, out_root)
    from newsvoice.speech.engines import CircuitBreaker, fallback_for, open_engine

    # jobs=1: a batch uses its cores for whole articles, not a sidecar per render
    opts = replace(
        opts,
        backoff=bopts.backoff,
        jobs=1,
        fallback=fallback_for(opts.engine, bopts.fallback or opts.fallback),
    )
    # one probe for the whole batch; one engine (rate limit, breaker) shared by its threads
    engine = open_engine(
        opts.engine,
        opts.voice,
        EngineSettings.from_options(opts, breaker=CircuitBreaker(bopts.max_refusals)),
        fallback=opts.fallback,
    )
    fell = getattr(engine, "fallback", None)
    opts = replace(opts, engine=engine.name, voice=engine.voice)
    if farm is not None:

        def remote(it: BatchItem) -> Future:
            far = replace(it, src=it.src.resolve(), out_dir=it.out_dir.resolve())
            return _as_local(it, farm.submit(_process_worker, far, opts, bopts.force, fell))

        # every item at once: the farm's queue holds them and its workers pace them
        results = _collect(items, farm, remote, len(items), progress)
    else:
        results = _collect(items, *_local_pool(engine, opts, bopts, fell), progress)
    if report:
        write_reports(out_root, results)
    return results


def _local_pool(
    engine: Engine, opts: RenderOptions, bopts: BatchOptions, fell: dict | None
) -> tuple[Executor, Callable[[BatchItem], Future], int]:
    """This machine's pool for the batch's engine, its submit, and how many at once."""
    from newsvoice.speech.engines import get_spec

    if get_spec(engine.name).parallel == "process":
        pool: Executor = (
            ProcessPoolExecutor(
                max_workers=bopts.jobs, initializer=_worker_init, initargs=(os.getpid(),)
            )
            if bopts.jobs > 1
            else ThreadPoolExecutor(max_workers=1)
        )  # 1: in-process
        submit = lambda it: pool.submit(_process_worker, it, opts, bopts.force, fell)  # noqa: E731
    else:
        pool = ThreadPoolExecutor(max_workers=bopts.jobs)
        submit = lambda it: pool.submit(render_item, it, opts, engine, force=bopts.force)  # noqa: E731
    return pool, submit, bopts.jobs


def _as_local(item: BatchItem, far: Future) -> Future:
    """A farm item's result as a local run reports it: named as given, and a job the
    farm gave up on (its worker died twice) a failed row, never an exception."""
    t0 = time.perf_counter()
    near: Future = Future()

    def done(f: Future) -> None:
        exc = f.exception()
        if exc is not None:
            err = exc if isinstance(exc, Exception) else RuntimeError(str(exc))
            near.set_result(failed_result(item, err, t0))
            return
        result = f.result()
        result.file = shown(item.src)
        near.set_result(result)

    far.add_done_callback(done)
    return near


def _collect(
    items: list[BatchItem],
    pool: Executor,
    submit: Callable[[BatchItem], Future],
    jobs: int,
    progress: Callable[[BatchResult, int, int], None] | None,
) -> list[BatchResult]:
    """Results in input order. At most ``jobs`` articles are handed to the pool at a time,
    so on Ctrl-C nothing is queued: the running ones finish (atomically) and the rest wait
    for the next run."""
    results: list[BatchResult | None] = [None] * len(items)
    running: dict[Future, int] = {}
    todo = iter(enumerate(items))
    done_count = 0
    try:
        while True:
            while len(running) < jobs and (nxt := next(todo, None)) is not None:
                running[submit(nxt[1])] = nxt[0]
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in finished:
                result = fut.result()
                results[running.pop(fut)] = result
                done_count += 1
                if progress:
                    progress(result, done_count, len(items))
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return [r for r in results if r is not None]


MAX_REPORT_BYTES = 64 * 1024 * 1024


def _earlier_rows(out_root: Path) -> list[dict]:
    """The rows of the folder's report.json as it is now ([] if none or unreadable)."""
    from newsvoice.inputs.bounded import read_regular

    path = out_root / "report.json"
    if not path.exists():
        return []
    try:
        doc = json.loads(read_regular(path, MAX_REPORT_BYTES, "report"))
        rows = doc["articles"]
    except (NewsvoiceError, ValueError, KeyError, TypeError):
        return []
    return [r for r in rows if isinstance(r, dict) and isinstance(r.get("slug"), str)]


def merged_rows(earlier: list[dict], ours: list[dict], out_root: Path) -> list[dict]:
    """This run's rows over the report's earlier ones, by slug (a pure function of the
    source): an article another batch rendered into the folder, before or at the same
    time, keeps its row while its folder exists; ours replace theirs in place."""
    mine = {r["slug"]: r for r in ours}
    kept = [
        mine.pop(r["slug"], r)
        for r in earlier
        if r["slug"] in mine or (out_root / r["slug"]).is_dir()
    ]
    return kept + [r for r in ours if r["slug"] in mine]


def write_reports(out_root: Path, results: Sequence[BatchResult]) -> None:
    """report.json (summary + rows) and report.csv, written atomically together, under
    the folder's report lock (OUT/.report-merge.lock) and merged with the rows already there: two batches on one
    folder (other settings, other articles) both stay in the report, instead of the
    last writer's run alone (issue 28)."""
    # beside the report, not in OUT/.locks (a symlink planted there fails its articles'
    # rows, not the report); opened without following symlinks
    with locked(out_root / ".report-merge.lock"):  # not .report.lock: write_outputs takes that
        rows = merged_rows(_earlier_rows(out_root), [asdict(r) for r in results], out_root)
        _write_reports(out_root, rows)


def _write_reports(out_root: Path, rows: list[dict]) -> None:
    summary = {s: sum(r.get("status") == s for r in rows) for s in ("ok", "skipped", "failed")}
    summary["articles"] = len(rows)
    summary["fallback"] = sum(bool(r.get("fallback")) for r in rows)
    doc = {"newsvoice": __version__, "summary": summary, "articles": rows}
    report_json = json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")
    buf = io.StringIO()
    writer = csv.DictWriter(
        buf, fieldnames=REPORT_FIELDS, extrasaction="ignore", lineterminator="\n"
    )
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                k: ""
                if row.get(k) is None
                else "; ".join(row[k])
                if isinstance(row[k], list)
                else row[k]
                for k in REPORT_FIELDS
            }
        )
    write_outputs(
        {
            out_root / "report.json": report_json,
            out_root / "report.csv": buf.getvalue().encode("utf-8"),
        }
    )
