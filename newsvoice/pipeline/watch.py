"""A hot folder: articles dropped into IN_DIR are rendered into OUT_DIR/<slug>/.

The watch is a loop around the batch (pipeline.batch): each poll lists the articles
of IN_DIR, a file is taken once its size and modification time have not changed
for the settle time (a copy in progress keeps growing), and the settled files go
through ``run_batch``, so each output set is all-or-nothing with its manifest, and
the batch stamp (input bytes + output key) is what makes a file "taken": after a
restart an article already rendered is found up to date and not rendered again.

A file that fails leaves ``OUT_DIR/<slug>.failed`` (JSON: source, reason, key),
written atomically; it is not tried again until its bytes or the settings change,
and the note is removed when a later render of it succeeds.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from newsvoice.errors import EngineError, InputError
from newsvoice.inputs.files import read_bytes
from newsvoice.options import RenderOptions
from newsvoice.outputs.files import check_output_dir, display_path, write_outputs
from newsvoice.pipeline.batch import (
    SUFFIXES,
    BatchOptions,
    BatchResult,
    item_slug,
    outside_output,
    run_batch,
    settings_key,
    source_id,
)

log = logging.getLogger("newsvoice")

FAILED = ".failed"
_SKIP_PREFIXES = (".", "~$", "~")  # hidden files, Office lock files, editor temps
_SKIP_SUFFIXES = (".part", ".tmp", ".crdownload", ".download", ".partial")


@dataclass(frozen=True)
class Seen:
    """A file as the last poll saw it: its size and mtime, and since when they held."""

    size: int
    mtime_ns: int
    since: float


@dataclass(frozen=True)
class WatchOptions:
    settle_s: float = 2.0  # a file is taken when unchanged this long
    poll_s: float = 1.0
    once: bool = False  # take what settles now, then stop (no new files are waited for)
    batch: BatchOptions = field(default_factory=BatchOptions)


def is_candidate(name: str) -> bool:
    """An article file name a hot folder takes: no hidden, lock or partial-download file."""
    low = name.lower()
    if low.startswith(_SKIP_PREFIXES) or low.endswith(_SKIP_SUFFIXES):
        return False
    return os.path.splitext(low)[1] in SUFFIXES


def list_articles(in_dir: Path, out_dir: Path) -> dict[Path, tuple[int, int]]:
    """Every candidate article under ``in_dir`` (recursively, hidden folders skipped, the
    output folder left out) -> (size, mtime_ns). Never opens a file."""
    found: dict[Path, tuple[int, int]] = {}
    out_real = os.path.realpath(out_dir)
    for root, dirs, files in os.walk(in_dir):
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".") and os.path.realpath(os.path.join(root, d)) != out_real
        )
        for name in sorted(files):
            if not is_candidate(name):
                continue
            path = Path(root) / name
            try:
                st = path.stat()
            except OSError:
                continue  # gone between the listing and the stat
            if os.path.isfile(path):
                found[path] = (st.st_size, st.st_mtime_ns)
    return found


def observe(
    prev: Mapping[Path, Seen], listing: Mapping[Path, tuple[int, int]], now: float
) -> dict[Path, Seen]:
    """The new observations: a file whose size or mtime changed starts its settle time
    again; a file no longer listed is forgotten."""
    seen: dict[Path, Seen] = {}
    for path, (size, mtime) in listing.items():
        old = prev.get(path)
        if old is not None and (old.size, old.mtime_ns) == (size, mtime):
            seen[path] = old
        else:
            seen[path] = Seen(size, mtime, now)
    return seen


def settled(seen: Mapping[Path, Seen], now: float, settle_s: float) -> list[Path]:
    """The files unchanged for at least ``settle_s``, in name order."""
    return sorted(p for p, s in seen.items() if now - s.since >= settle_s)


def failed_note_path(out_dir: Path, src: Path) -> Path:
    return out_dir / f"{item_slug(src)}{FAILED}"


def note_key(src: Path, opts: RenderOptions) -> str:
    """What a failed attempt was: the file's bytes (or its size and mtime when it cannot
    be read) and the settings; a note with the same key means "do not try again"."""
    try:
        data = read_bytes(src)
    except (OSError, InputError):
        try:
            st = src.stat()
            data = f"unreadable:{st.st_size}:{st.st_mtime_ns}".encode()
        except OSError:
            data = b"gone"
    return settings_key(data, opts, opts.engine, opts.voice or "")


def read_note(path: Path) -> dict | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def write_note(path: Path, src: Path, key: str, error: str) -> None:
    """The reason a file failed, beside its (missing) output folder, written atomically."""
    doc = {"source": source_id(src), "error": error, "key": key, "time": time.time()}
    write_outputs({path: json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")})


def gave_up_on(path: Path, out_dir: Path, opts: RenderOptions) -> bool:
    """True when a ``.failed`` note says this very file, with these settings, failed."""
    note = read_note(failed_note_path(out_dir, path))
    return note is not None and note.get("key") == note_key(path, opts)


def record(results: Sequence[BatchResult], paths: Sequence[Path], out_dir: Path, opts) -> None:
    """Leave a note for each failure and remove the note of each success."""
    by_slug = {item_slug(p): p for p in paths}
    for r in results:
        src = by_slug.get(r.slug)
        if src is None:
            continue
        note = failed_note_path(out_dir, src)
        if r.status == "failed":
            write_note(note, src, note_key(src, opts), r.error)
        else:
            note.unlink(missing_ok=True)


def watch(
    in_dir: Path,
    out_dir: Path,
    opts: RenderOptions,
    wopts: WatchOptions | None = None,
    *,
    stop: Callable[[], bool] = lambda: False,
    on_result: Callable[[BatchResult], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[BatchResult]:
    """Poll ``in_dir`` until ``stop()`` (or, with ``once``, until what was there has been
    handled); returns every result of this run (skipped ones included)."""
    wopts = wopts or WatchOptions()
    if not in_dir.is_dir():
        raise InputError(f"watch folder {display_path(in_dir)} is not a folder")
    check_output_dir(out_dir)
    bopts = replace(wopts.batch, force=False)
    seen: dict[Path, Seen] = {}
    handled: dict[Path, tuple[int, int]] = {}  # taken this run, as it was when taken
    results: list[BatchResult] = []
    while not stop():
        now = clock()
        listing = list_articles(in_dir, out_dir)
        seen = observe(seen, listing, now)
        handled = {p: v for p, v in handled.items() if p in listing}
        ready = [
            p
            for p in settled(seen, now, wopts.settle_s)
            if handled.get(p) != listing[p] and not gave_up_on(p, out_dir, opts)
        ]
        ready = outside_output(ready, out_dir)
        if ready:
            taken = _take(ready, out_dir, opts, bopts, on_result)
            if taken is not None:  # None: the engine could not start; try again next poll
                results += taken
                handled.update((p, listing[p]) for p in ready)
        if wopts.once and all(
            handled.get(p) == v or gave_up_on(p, out_dir, opts) for p, v in listing.items()
        ):
            break
        sleep(wopts.poll_s)
    return results


def _take(
    paths: Sequence[Path],
    out_dir: Path,
    opts: RenderOptions,
    bopts: BatchOptions,
    on_result: Callable[[BatchResult], None] | None,
) -> list[BatchResult] | None:
    """Render the settled files as one batch (its stamps decide what is already done);
    None when the engine cannot start (an online service down): nothing is taken."""
    try:
        results = run_batch(paths, out_dir, opts, bopts, report=False)
    except EngineError as e:
        log.warning("newsvoice: watch: %s; trying again at the next poll", e)
        return None
    record(results, paths, out_dir, opts)
    for r in results:
        if on_result:
            on_result(r)
    return results
