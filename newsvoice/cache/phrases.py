"""On-disk cache of synthesised phrases, keyed by what determines the sound.

Key: sha256 of engine, voice, speed, spoken text and the processing version.
Entry: a small header (magic, sha256 of the payload), then the payload: the
unit's word onsets (count, float32 seconds, float32 confidence) and its int16
samples at 48 kHz, written to a temp name and renamed, so concurrent processes never see half an
entry, and verified on read so a corrupt entry is synthesised again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from newsvoice.cache import renders as memo
from newsvoice.cache.root import MARKER, MARKER_TEXT, default_cache_dir, mark  # noqa: F401 (re-exported)
from newsvoice.errors import InputError

log = logging.getLogger("newsvoice")
MAGIC = b"NVC2"
MAX_ENTRY_BYTES = 64 << 20  # one unit's samples (a bounded unit is well under a minute)
PROCESSING_VERSION = 2  # bump when resampling/trimming changes what is stored


def phrase_key(engine: str, voice: str, text: str) -> str:
    """Engines always speak at their own pace (tempo is applied afterwards), so no speed."""
    blob = json.dumps([PROCESSING_VERSION, engine, voice, text], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Entry:
    """A synthesised unit: trimmed int16 samples at 48 kHz and each spoken word's onset (s)."""

    samples: np.ndarray
    starts: np.ndarray
    confidence: float = 1.0


def as_stored(entry: Entry) -> Entry:
    """``entry`` exactly as reading it back gives it (onsets and confidence as float32), so
    a render that synthesised a unit and one that found it cached agree to the bit."""
    starts = np.asarray(entry.starts, dtype="<f4").astype(np.float64)
    return Entry(entry.samples, starts, float(np.float32(entry.confidence)))


@dataclass
class PhraseCache:
    """Phrase audio by key under ``root`` (two-level fan-out: ab/abcdef….pcm)."""

    root: Path
    hits: int = 0
    misses: int = 0
    _marked: bool = field(default=False, repr=False)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.pcm"

    def has(self, key: str) -> bool:
        """Whether ``key`` is stored (not read or verified: a prefetcher's quick look)."""
        return self._path(key).is_file()

    def get(self, key: str) -> Entry | None:
        entry = self._read(self._path(key))
        if entry is None:
            self.misses += 1
        else:
            self.hits += 1
        return entry

    def _read(self, path: Path) -> Entry | None:
        """The entry at ``path``, or None when absent or corrupt (a corrupt one is removed)."""
        from newsvoice.errors import InputError
        from newsvoice.inputs.bounded import read_regular

        try:
            raw = read_regular(path, MAX_ENTRY_BYTES, "cache entry")
        except InputError:
            if os.path.lexists(path) and not os.path.isfile(path):
                path.unlink(missing_ok=True)  # a FIFO or device planted in the cache: never ours
            return None
        payload = raw[36:]
        n = int.from_bytes(payload[:4], "little") if len(payload) >= 4 else -1
        head = 4 + 4 * n + 4
        if (raw[:4] != MAGIC or hashlib.sha256(payload).digest() != raw[4:36] or n < 0
                or len(payload) < head or (len(payload) - head) % 2):
            path.unlink(missing_ok=True)  # corrupt: synthesise again
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # mtime = last use, so prune drops the least recently used
        starts = np.frombuffer(payload[4:4 + 4 * n], dtype="<f4").astype(np.float64)
        conf = float(np.frombuffer(payload[4 + 4 * n:head], dtype="<f4")[0])
        return Entry(np.frombuffer(payload[head:], dtype=np.int16).copy(), starts, conf)

    def is_marked(self) -> bool:
        return (self.root / MARKER).is_file()

    def mark(self) -> None:
        """Create the root and its CACHEDIR.TAG (O_EXCL: a planted name is left alone)."""
        mark(self.root)

    def put(self, key: str, entry: Entry) -> Entry:
        """Store ``entry`` unless another process stored this key first; return the stored one.

        First writer wins, so every render uses the same audio for a unit even when two
        workers synthesise it at once (espeak-ng's output varies with process history)."""
        path = self._path(key)
        starts = np.ascontiguousarray(entry.starts, dtype="<f4")
        payload = (len(starts).to_bytes(4, "little") + starts.tobytes()
                   + np.float32(entry.confidence).astype("<f4").tobytes()
                   + np.ascontiguousarray(entry.samples, dtype=np.int16).tobytes())
        data = MAGIC + hashlib.sha256(payload).digest() + payload
        tmp = None
        try:
            if not self._marked:
                self.mark()
                self._marked = True
            path.parent.mkdir(parents=True, exist_ok=True)
            # a fresh name per write (O_EXCL): threads and processes may store the same
            # unit at once, and a planted symlink is never followed
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            try:
                os.link(tmp, path)  # atomic, and fails if the key is already stored
            except FileExistsError:
                stored = self._read(path)
                if stored is not None:
                    return stored
                os.replace(tmp, path)  # the stored one was corrupt: ours replaces it
                tmp = None
        except OSError:
            pass  # a cache that cannot be written only costs speed
        finally:
            if tmp is not None:  # ours was linked, or the disk filled up mid-write: no temp left
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        return entry

    def entries(self) -> list[tuple[Path, int, float]]:
        """(path, bytes, last use) of every finished entry (temp files are not entries)."""
        out = []
        for path in self.root.glob("??/*.pcm"):
            try:
                st = path.stat()
            except OSError:
                continue  # pruned or replaced by another process meanwhile
            out.append((path, st.st_size, st.st_mtime))
        return out

    def info(self) -> CacheInfo:
        """Phrases and render memo entries (memo.py) together: one cache, one size."""
        ents, renders = self.entries(), memo.entries(self.root)
        return CacheInfo(self.root, len(ents) + len(renders), sum(e[1] for e in ents + renders),
                         renders=len(renders), render_size=sum(e[1] for e in renders))

    def prune(self, max_bytes: int, *, stale_tmp_s: float = 3600.0) -> CacheInfo:
        """Delete least-recently-used entries (phrases and render memo entries alike) until
        the cache fits in ``max_bytes``; also sweep temp files older than ``stale_tmp_s``
        (left by killed processes), or every temp file when ``max_bytes`` is 0 (a writer
        that loses one just skips storing). Safe beside running renders: a reader of a
        deleted entry just synthesises (or renders) again. Refuses a folder without the
        cache's marker (InputError)."""
        if not self.is_marked():
            raise InputError(f"{self.root} is not a newsvoice cache (no {MARKER}); nothing deleted")
        now = time.time()
        for tmp in self.root.glob("??/.*.tmp"):
            try:
                if max_bytes == 0 or now - tmp.stat().st_mtime > stale_tmp_s:
                    tmp.unlink()
            except OSError:
                pass
        memo.sweep(self.root, older_than_s=0 if max_bytes == 0 else stale_tmp_s)
        renders = memo.entries(self.root)
        ents = sorted(self.entries() + renders, key=lambda e: e[2])
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
        return CacheInfo(self.root, len(ents) - removed, total, removed, freed, renders=len(kept),
                         render_size=sum(e[1] for e in kept))


@dataclass(frozen=True)
class CacheInfo:
    root: Path
    entries: int       # phrases and renders
    size: int
    removed: int = 0
    freed: int = 0
    renders: int = 0   # of which render memo entries, and their bytes
    render_size: int = 0


_UNITS = {"": 1, "b": 1, "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
          "t": 10**12, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def parse_size(text: str) -> int:
    """'500MB', '2GB', '100k', '1.5GiB', '0' -> bytes (k/M/G are decimal, KiB/MiB/GiB binary);
    a number other than 0 needs a unit ('42B' for bytes)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    unit = m.group(2).lower() if m else ""
    if not m or unit not in _UNITS:
        raise ValueError(f"not a size: {text!r} (try 500MB, 2GB, 100k)")
    if not unit and float(m.group(1)) != 0:  # "10" was read as 10 bytes and emptied caches
        raise ValueError(f"size {text!r} needs a unit: {m.group(1)}MB, {m.group(1)}GB, {m.group(1)}B ...")
    return int(float(m.group(1)) * _UNITS[unit])


def human_size(n: int) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n} B"
