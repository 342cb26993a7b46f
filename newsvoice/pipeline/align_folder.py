"""``newsvoice align FOLDER``: every article + recording pair of a folder, safe to re-run.

Pairs are matched by stem (``story.txt`` + ``story.wav`` or ``story.mp4``). Each
pair is aligned into ``OUT/<slug>/`` with batch render's machinery: one lock
per slug, a stamp written last holding the hash of both inputs and every
setting, so a re-run aligns only what changed or failed; report.json and
report.csv at the end. Worker processes, as espeak-ng (the reference voice)
is per-process C state.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from newsvoice.errors import InputError
from newsvoice.outputs.files import check_output_dir, display_path
from newsvoice.pipeline.batch import (
    BatchItem,
    BatchResult,
    _collect,
    _is_article,
    _worker_init,
    failed_result,
    file_digest,
    item_lock,
    plan_items,
    stamped_result,
    write_reports,
    write_stamp,
)
from newsvoice.pipeline.voiceover import AlignOptions, align

RECORDING_SUFFIXES = (
    ".wav",
    ".mp3",
    ".m4a",
    ".aac",
    ".flac",
    ".ogg",
    ".opus",
    ".wma",
    ".aiff",
    ".aif",
    ".mp4",
    ".mov",
    ".mxf",
    ".mkv",
    ".webm",
    ".avi",
    ".m4v",
    ".mpg",
    ".mpeg",
    ".ts",
)


@dataclass(frozen=True)
class Pair:
    item: BatchItem
    recording: Path | None  # None: no recording of that stem (reported as failed)
    problem: str = ""


def find_pairs(folder: Path, out_root: Path) -> list[Pair]:
    """Every article under ``folder`` with the recording of the same stem beside it."""
    arts = sorted(
        p
        for p in folder.rglob("*")
        if _is_article(p) and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
    if not arts:
        raise InputError(f"no .txt or .md articles in {folder}")
    pairs = []
    for item in plan_items(arts, out_root):
        recs = sorted(
            p
            for p in item.src.parent.iterdir()
            if p.stem == item.src.stem and p.suffix.lower() in RECORDING_SUFFIXES and p.is_file()
        )
        if len(recs) == 1:
            pairs.append(Pair(item, recs[0]))
        else:
            why = (
                "no recording named " + item.src.stem + ".*"
                if not recs
                else "several recordings: " + ", ".join(p.name for p in recs)
            )
            pairs.append(Pair(item, None, why))
    return pairs


def pair_key(article: Path, recording: Path, opts: AlignOptions) -> str:
    """The output key (options.output_key) of aligning ``article`` to ``recording``."""
    from newsvoice.inputs.files import read_bytes
    from newsvoice.options import output_key

    return output_key(
        read_bytes(article),
        opts,
        engine="espeak",
        voice=opts.voice,
        lexicons=[Path(p).read_bytes() for p in opts.lexicons],
        kind="align",
        extra={"recording": recording.name, "recording_file": file_digest(recording)},
    )


def align_pair(pair: Pair, opts: AlignOptions, force: bool = False) -> BatchResult:
    """Align one pair unless its stamp says it is up to date; never raises."""
    t0 = time.perf_counter()
    item = pair.item
    try:
        if pair.recording is None:
            raise InputError(pair.problem)
        with item_lock(item):
            key = pair_key(item.src, pair.recording, opts)
            done = stamped_result(item, key, force=force, made="output", t0=t0)
            if done is not None:
                return done
            res = align(item.src, pair.recording, item.out_dir, opts)
            notes = (
                [f"not in the recording: {u}" for u in res.unmatched]
                + [f"speech not in the article: {a:.1f}-{b:.1f} s" for a, b in res.extra]
                + res.warnings
            )
            result = BatchResult(
                display_path(item.src),
                item.slug,
                "ok",
                round(res.duration_s, 3),
                res.cues,
                "align",
                "",
                notes,
                seconds=time.perf_counter() - t0,
            )
            write_stamp(item, key, result, res.outputs.values())
            return result
    except Exception as e:
        return failed_result(item, e, t0)


def run_align_batch(
    folder: Path,
    out_root: Path,
    opts: AlignOptions,
    *,
    jobs: int = 2,
    force: bool = False,
    progress: Callable[[BatchResult, int, int], None] | None = None,
) -> list[BatchResult]:
    """Align every pair of ``folder`` (failures recorded, never raised), then write the reports."""
    check_output_dir(out_root)
    pairs = find_pairs(folder, out_root)
    by_item = {p.item: p for p in pairs}
    pool: Executor = (
        ProcessPoolExecutor(max_workers=jobs, initializer=_worker_init, initargs=(os.getpid(),))
        if jobs > 1
        else ThreadPoolExecutor(max_workers=1)
    )
    results = _collect(
        [p.item for p in pairs],
        pool,
        lambda it: pool.submit(align_pair, by_item[it], opts, force),
        jobs,
        progress,
    )
    write_reports(out_root, results)
    return results
