"""Batch runs over daily bulletins: many articles, one command, safe to re-run.

Each article renders into ``OUT/<slug>/`` through the ordinary ``render``; a stamp
(``.newsvoice-done``, written last and atomically) records the hash of the input
bytes and of every setting that shapes the output, so a re-run after a failure,
Ctrl-C or a kill does only what is missing. One file lock per slug (under
``OUT/.locks``) keeps two batch processes on the same folder from rendering the
same article at once; the second one then finds the stamp and skips it.

Why processes for espeak and threads for Google: libespeak-ng is per-process C
state behind a global lock, so espeak threads serialise; a process pool (one
espeak per worker) gives real CPU speed-up. Google work is network-bound and
its politeness must be global, so it runs in threads that share one
GoogleEngine (its min-interval lock is the batch-wide rate limit, the thread
count the concurrency bound) and one CircuitBreaker (created per batch).
"""

from __future__ import annotations

import csv
import glob
import hashlib
import io
import json
import logging
import re
import time
import unicodedata
from collections.abc import Callable, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    Executor,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

from newsvoice import __version__
from newsvoice.engines import Engine
from newsvoice.errors import InputError, NewsvoiceError
from newsvoice.render import RenderOptions, check_output_dir, render, write_outputs
from newsvoice.sources import ARTICLE_SUFFIXES, is_url, read_source

log = logging.getLogger("newsvoice")

SUFFIXES = ARTICLE_SUFFIXES  # .txt .md .html .htm .docx
STAMP = ".newsvoice-done"
REPORT_FIELDS = ("file", "status", "duration", "cues", "engine", "loudness", "warnings", "error", "fallback")
# settings that change how the work is done, not what comes out
_NOT_OUTPUT = {"cache_dir", "use_cache", "retries", "timeout", "min_interval"}


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
    warnings: int = 0
    error: str = ""
    fallback: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class BatchOptions:
    jobs: int = 2
    force: bool = False
    fallback: str | None = None  # "espeak": render with espeak once Google's breaker opens
    max_refusals: int = 5  # consecutive 429s across the batch before the breaker opens
    backoff: float = 1.0  # Google retry backoff base, s


# ---------------------------------------------------------------- inputs


_NOTES = ("readme", "changelog", "license", "licence")


def _is_article(p: Path) -> bool:
    return p.suffix.lower() in SUFFIXES and p.is_file() and not p.stem.lower().startswith(_NOTES)


def collect_inputs(args: Sequence[str]) -> list[Path]:
    """Files, folders (searched recursively) and globs -> article paths, in order, once each.
    A named file that does not exist stays in the list so it fails visibly in the report.
    Folders and globs skip hidden files and README/CHANGELOG/LICENSE notes: a folder's
    notes are not news (name such a file explicitly to narrate it)."""
    found: list[Path] = []
    for arg in args:
        path = Path(arg)
        if is_url(arg):
            found.append(path)  # fetched when rendered (Path keeps "https:/host/..."; sources reads it)
        elif path.is_dir():
            found += sorted(p for p in path.rglob("*") if _is_article(p)
                            and not any(part.startswith(".") for part in p.relative_to(path).parts))
        elif glob.has_magic(arg):
            found += sorted(Path(p) for p in glob.glob(arg, recursive=True) if _is_article(Path(p)))
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


def plan_items(paths: Sequence[Path], out_root: Path) -> list[BatchItem]:
    """Give every article its own folder; equal slugs get -2, -3, ... in input order."""
    used: set[str] = set()
    items = []
    for p in paths:
        base = slug = slugify(p.stem)
        n = 2
        while slug in used:
            slug, n = f"{base}-{n}", n + 1
        used.add(slug)
        items.append(BatchItem(p, slug, out_root / slug))
    return items


# ---------------------------------------------------------------- up-to-date check


def settings_key(data: bytes, opts: RenderOptions, engine: str, voice: str) -> str:
    """Hash of the input bytes and everything that shapes the outputs."""
    settings = {f.name: getattr(opts, f.name) for f in fields(opts) if f.name not in _NOT_OUTPUT}
    settings.update(engine=engine, voice=voice, version=__version__)
    settings["lexicons"] = [hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in opts.lexicons]
    blob = json.dumps(settings, default=lambda o: asdict(o) if hasattr(o, "__dataclass_fields__") else str(o),
                      sort_keys=True)
    return hashlib.sha256(data + b"\0" + blob.encode()).hexdigest()


def _read_stamp(out_dir: Path) -> dict | None:
    try:
        return json.loads((out_dir / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _sweep_parts(out_dir: Path) -> None:
    """Remove temp files a killed render left behind (we hold the slug's lock)."""
    if out_dir.is_dir():
        for tmp in out_dir.glob(".*.part-*"):
            tmp.unlink(missing_ok=True)


def _loudness(manifest_path: Path | None) -> str:
    """Integrated loudness from the manifest when the renderer records one."""
    if manifest_path is None:
        return ""
    try:
        value = json.loads(manifest_path.read_text(encoding="utf-8")).get("loudness")
    except (OSError, ValueError):
        return ""
    if isinstance(value, dict):
        value = next((value[k] for k in ("integrated_lufs", "integrated", "lufs", "i") if k in value), None)
    return "" if value is None else str(value)


# ---------------------------------------------------------------- one article


def render_item(item: BatchItem, opts: RenderOptions, engine: Engine, *, force: bool = False,
                fallback: Engine | None = None) -> BatchResult:
    """Render one article unless its stamp says it is up to date; never raises."""
    t0 = time.perf_counter()
    name = str(item.src)
    try:
        from filelock import FileLock

        locks = item.out_dir.parent / ".locks"
        locks.mkdir(parents=True, exist_ok=True)
        with FileLock(str(locks / f"{item.slug}.lock")):
            data = read_source(str(item.src)).data
            key = settings_key(data, opts, engine.name, engine.voice)
            stamp = _read_stamp(item.out_dir)
            if not force and stamp and stamp.get("key") == key and all(
                    (item.out_dir / f).is_file() for f in stamp.get("outputs", [])):
                known = {f.name for f in fields(BatchResult)}
                row = {k: v for k, v in stamp["result"].items() if k in known}
                row.update(file=name, slug=item.slug, status="skipped", seconds=time.perf_counter() - t0)
                return BatchResult(**row)
            (item.out_dir / STAMP).unlink(missing_ok=True)
            _sweep_parts(item.out_dir)
            used, note = engine, ""
            try:
                res = render(item.src, item.out_dir, opts, engine=engine)
            except NewsvoiceError as e:
                from newsvoice.engines.google import CircuitOpenError

                if not isinstance(e, CircuitOpenError) or fallback is None:
                    raise
                log.info("%s: %s; rendering with %s", item.src.name, e, fallback.name)
                used, note = fallback, fallback.name
                key = settings_key(data, opts, used.name, used.voice)
                res = render(item.src, item.out_dir, opts, engine=used)
            result = BatchResult(name, item.slug, "ok", round(res.duration_s, 3), res.cues, res.engine,
                                 _loudness(res.outputs.get("json")), len(res.warnings), "", note,
                                 time.perf_counter() - t0)
            stamp = {"key": key, "outputs": sorted(p.name for p in res.outputs.values()),
                     "result": asdict(result)}
            write_outputs({item.out_dir / STAMP: json.dumps(stamp, ensure_ascii=False).encode("utf-8")})
            return result
    except NewsvoiceError as e:
        return BatchResult(name, item.slug, "failed", error=str(e), seconds=time.perf_counter() - t0)
    except Exception as e:  # one broken article must not stop the bulletin
        log.debug("unexpected failure on %s", name, exc_info=True)
        return BatchResult(name, item.slug, "failed", error=f"unexpected error: {type(e).__name__}: {e}",
                           seconds=time.perf_counter() - t0)


def _espeak_worker(item: BatchItem, opts: RenderOptions, force: bool) -> BatchResult:
    """Process-pool entry: each worker process has its own espeak-ng."""
    from newsvoice.engines.espeak import EspeakEngine

    return render_item(item, opts, EspeakEngine(_espeak_voice(opts.voice), 1.0), force=force)


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the parent, which cancels queued articles; the running
    ones finish (atomically) instead of dying with a traceback each."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _espeak_voice(voice: str | None) -> str:
    from newsvoice.engines.espeak import VOICES

    return voice if voice in VOICES else "vi"


# ---------------------------------------------------------------- the batch


def resolve_engine(opts: RenderOptions) -> str:
    """'gtts' or 'espeak' for the whole batch (auto probes Google once, not per article)."""
    if opts.engine in ("gtts", "espeak"):
        return opts.engine
    from newsvoice.engines import make_engine

    return make_engine(opts.engine, opts.voice, 1.0, timeout=opts.timeout).name


def run_batch(paths: Sequence[Path], out_root: Path, opts: RenderOptions, bopts: BatchOptions | None = None,
              progress: Callable[[BatchResult, int, int], None] | None = None) -> list[BatchResult]:
    """Render every article (failures recorded, never raised), then write the reports."""
    bopts = bopts or BatchOptions()
    check_output_dir(out_root)
    items = plan_items(paths, out_root)
    engine = resolve_engine(opts)
    if engine == "espeak":
        opts = replace(opts, engine="espeak")
        pool: Executor = (ProcessPoolExecutor(max_workers=bopts.jobs, initializer=_ignore_sigint)
                          if bopts.jobs > 1 else ThreadPoolExecutor(max_workers=1))  # 1: in-process
        submit = lambda it: pool.submit(_espeak_worker, it, opts, bopts.force)  # noqa: E731
    else:
        from newsvoice.engines.espeak import EspeakEngine
        from newsvoice.engines.google import CircuitBreaker, GoogleEngine

        opts = replace(opts, engine="gtts")
        google = GoogleEngine(opts.voice or "vi", 1.0, retries=opts.retries, timeout=opts.timeout,
                              min_interval=opts.min_interval, backoff=bopts.backoff,
                              breaker=CircuitBreaker(bopts.max_refusals))
        fallback = EspeakEngine("vi", 1.0) if bopts.fallback == "espeak" else None
        pool = ThreadPoolExecutor(max_workers=bopts.jobs)
        submit = lambda it: pool.submit(render_item, it, opts, google, force=bopts.force,  # noqa: E731
                                        fallback=fallback)
    results = _collect(items, pool, submit, bopts.jobs, progress)
    write_reports(out_root, results)
    return results


def _collect(items: list[BatchItem], pool: Executor, submit: Callable[[BatchItem], Future], jobs: int,
             progress: Callable[[BatchResult, int, int], None] | None) -> list[BatchResult]:
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


def write_reports(out_root: Path, results: Sequence[BatchResult]) -> None:
    """report.json (summary + rows) and report.csv, written atomically together."""
    rows = [asdict(r) for r in results]
    summary = {s: sum(r.status == s for r in results) for s in ("ok", "skipped", "failed")}
    summary["articles"] = len(results)
    summary["fallback"] = sum(bool(r.fallback) for r in results)
    doc = {"newsvoice": __version__, "summary": summary, "articles": rows}
    report_json = json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=REPORT_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row[k] is None else row[k] for k in REPORT_FIELDS})
    write_outputs({out_root / "report.json": report_json,
                   out_root / "report.csv": buf.getvalue().encode("utf-8")})
