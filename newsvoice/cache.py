"""On-disk cache of synthesised phrases, keyed by what determines the sound.

Key: sha256 of engine, voice, speed, spoken text and the processing version.
Entry: a small header (magic, sha256 of the payload) + int16 samples at 48 kHz,
written to a temp name and renamed, so concurrent processes never see half an
entry, and verified on read so a corrupt entry is synthesised again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from newsvoice.errors import InputError

MAGIC = b"NVC1"
PROCESSING_VERSION = 1  # bump when resampling/trimming changes what is stored
# The cache root is marked with a standard CACHEDIR.TAG (bford.org/cachedir: backup tools
# skip it); `cache prune` deletes only inside a marked root, never in an arbitrary folder.
MARKER = "CACHEDIR.TAG"
MARKER_TEXT = ("Signature: 8a477f597d28d172789f06886806bc55\n"
               "# This file is a cache directory tag created by newsvoice (phrase cache).\n")


def default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("newsvoice"))


def phrase_key(engine: str, voice: str, speed: float, text: str) -> str:
    blob = json.dumps([PROCESSING_VERSION, engine, voice, round(speed, 4), text], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass
class PhraseCache:
    """Phrase audio by key under ``root`` (two-level fan-out: ab/abcdef….pcm)."""

    root: Path
    hits: int = 0
    misses: int = 0
    _marked: bool = field(default=False, repr=False)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.pcm"

    def get(self, key: str) -> np.ndarray | None:
        path = self._path(key)
        try:
            raw = path.read_bytes()
        except OSError:
            self.misses += 1
            return None
        payload = raw[36:]
        if raw[:4] != MAGIC or hashlib.sha256(payload).digest() != raw[4:36] or len(payload) % 2:
            path.unlink(missing_ok=True)  # corrupt: synthesise again
            self.misses += 1
            return None
        self.hits += 1
        with contextlib.suppress(OSError):
            os.utime(path)  # mtime = last use, so prune drops the least recently used
        return np.frombuffer(payload, dtype=np.int16).copy()

    def is_marked(self) -> bool:
        return (self.root / MARKER).is_file()

    def mark(self) -> None:
        """Create the root and its CACHEDIR.TAG (O_EXCL: a planted name is left alone)."""
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.root / MARKER, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        except FileExistsError:
            return
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(MARKER_TEXT)

    def put(self, key: str, samples: np.ndarray) -> None:
        path = self._path(key)
        payload = np.ascontiguousarray(samples, dtype=np.int16).tobytes()
        data = MAGIC + hashlib.sha256(payload).digest() + payload
        tmp = None
        try:
            if not self._marked:
                self.mark()
                self._marked = True
            path.parent.mkdir(parents=True, exist_ok=True)
            # a fresh name per write (O_EXCL): threads and processes may store the same
            # phrase at once, and a planted symlink is never followed
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
            tmp = None
        except OSError:
            pass  # a cache that cannot be written only costs speed
        finally:
            if tmp is not None:  # e.g. the disk filled up mid-write: leave no temp behind
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

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
        ents = self.entries()
        return CacheInfo(self.root, len(ents), sum(size for _, size, _ in ents))

    def prune(self, max_bytes: int, *, stale_tmp_s: float = 3600.0) -> CacheInfo:
        """Delete least-recently-used entries until the cache fits in ``max_bytes``;
        also sweep temp files older than ``stale_tmp_s`` (left by killed processes), or
        every temp file when ``max_bytes`` is 0 (a writer that loses one just skips storing).
        Safe beside running renders: a reader of a deleted entry just synthesises again.
        Refuses a folder without the cache's marker (InputError)."""
        if not self.is_marked():
            raise InputError(f"{self.root} is not a newsvoice cache (no {MARKER}); nothing deleted")
        now = time.time()
        for tmp in self.root.glob("??/.*.tmp"):
            try:
                if max_bytes == 0 or now - tmp.stat().st_mtime > stale_tmp_s:
                    tmp.unlink()
            except OSError:
                pass
        ents = sorted(self.entries(), key=lambda e: e[2])
        total = sum(size for _, size, _ in ents)
        removed = freed = 0
        for path, size, _ in ents:
            if total <= max_bytes:
                break
            path.unlink(missing_ok=True)
            total -= size
            removed += 1
            freed += size
        return CacheInfo(self.root, len(ents) - removed, total, removed, freed)


@dataclass(frozen=True)
class CacheInfo:
    root: Path
    entries: int
    size: int
    removed: int = 0
    freed: int = 0


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
