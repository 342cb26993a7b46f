"""What the cache holds and trimming it: phrases (cache.phrases) and memoised renders
(cache.renders) together, one cache, one size, least recently used first."""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

from newsvoice.cache import renders as memo
from newsvoice.cache.phrases import PhraseCache
from newsvoice.cache.root import MARKER
from newsvoice.errors import InputError

log = logging.getLogger("newsvoice")


def info(cache: PhraseCache) -> CacheInfo:
    """Phrases and render memo entries (memo.py) together: one cache, one size."""
    ents, renders = cache.entries(), memo.entries(cache.root)
    return CacheInfo(
        cache.root,
        len(ents) + len(renders),
        sum(e[1] for e in ents + renders),
        renders=len(renders),
        render_size=sum(e[1] for e in renders),
    )


def prune(cache: PhraseCache, max_bytes: int, *, stale_tmp_s: float = 3600.0) -> CacheInfo:
    """Delete least-recently-used entries (phrases and render memo entries alike) until
    the cache fits in ``max_bytes``; also sweep temp files older than ``stale_tmp_s``
    (left by killed processes), or every temp file when ``max_bytes`` is 0 (a writer
    that loses one just skips storing). Safe beside running renders: a reader of a
    deleted entry just synthesises (or renders) again. Refuses a folder without the
    cache's marker (InputError)."""
    if not cache.is_marked():
        raise InputError(f"{cache.root} is not a newsvoice cache (no {MARKER}); nothing deleted")
    now = time.time()
    for tmp in cache.root.glob("??/.*.tmp"):
        try:
            if max_bytes == 0 or now - tmp.stat().st_mtime > stale_tmp_s:
                tmp.unlink()
        except OSError:
            pass
    memo.sweep(cache.root, older_than_s=0 if max_bytes == 0 else stale_tmp_s)
    renders = memo.entries(cache.root)
    ents = sorted(cache.entries() + renders, key=lambda e: e[2])
    is_render = {path for path, _, _ in renders}
    total = sum(size for _, size, _ in ents)
    removed = freed = removed_renders = 0
    for path, size, _ in ents:
        if total <= max_bytes:
            break
        try:
            if path in is_render:
                memo.remove_entry(path)
                removed_renders += 1
            else:
                path.unlink(missing_ok=True)
        except OSError as e:  # not ours to delete (another user's, a read-only folder): go on
            log.warning("cache prune: cannot delete %s (%s); skipped", path, e.strerror or e)
            continue
        total -= size
        removed += 1
        freed += size
    kept = [e for e in renders if e[0].exists()]
    return CacheInfo(
        cache.root,
        len(ents) - removed,
        total,
        removed,
        freed,
        renders=len(kept),
        render_size=sum(e[1] for e in kept),
    )


@dataclass(frozen=True)
class CacheInfo:
    root: Path
    entries: int  # phrases and renders
    size: int
    removed: int = 0
    freed: int = 0
    renders: int = 0  # of which render memo entries, and their bytes
    render_size: int = 0


_UNITS = {
    "": 1,
    "b": 1,
    "k": 10**3,
    "kb": 10**3,
    "m": 10**6,
    "mb": 10**6,
    "g": 10**9,
    "gb": 10**9,
    "t": 10**12,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}


def parse_size(text: str) -> int:
    """'500MB', '2GB', '100k', '1.5GiB', '0' -> bytes (k/M/G are decimal, KiB/MiB/GiB binary);
    a number other than 0 needs a unit ('42B' for bytes)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    unit = m.group(2).lower() if m else ""
    if not m or unit not in _UNITS:
        raise ValueError(f"not a size: {text!r} (try 500MB, 2GB, 100k)")
    if not unit and float(m.group(1)) != 0:  # "10" was read as 10 bytes and emptied caches
        raise ValueError(
            f"size {text!r} needs a unit: {m.group(1)}MB, {m.group(1)}GB, {m.group(1)}B ..."
        )
    return int(float(m.group(1)) * _UNITS[unit])


def human_size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"
