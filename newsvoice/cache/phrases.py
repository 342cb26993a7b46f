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
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from newsvoice.cache.root import MARKER, MARKER_TEXT, default_cache_dir, mark  # noqa: F401 (re-exported)

log = logging.getLogger("newsvoice")
MAGIC = b"NVC2"
MAX_ENTRY_BYTES = 64 << 20  # one unit's samples (a bounded unit is well under a minute)
PROCESSING_VERSION = 2  # bump when resampling/trimming changes what is stored


def phrase_key(engine: str, voice: str, text: str, revision: int = 0) -> str:
    """Engines always speak at their own pace (tempo is applied afterwards), so no speed.
    ``revision``: the engine's own sound generation (espeak 1: flutter off), so units
    cached before a change of sound are not mixed with units made after it."""
    parts: list[object] = [PROCESSING_VERSION, engine, voice, text]
    if revision:
        parts.append(revision)
    blob = json.dumps(parts, ensure_ascii=False)
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
        if (
            raw[:4] != MAGIC
            or hashlib.sha256(payload).digest() != raw[4:36]
            or n < 0
            or len(payload) < head
            or (len(payload) - head) % 2
        ):
            path.unlink(missing_ok=True)  # corrupt: synthesise again
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # mtime = last use, so prune drops the least recently used
        starts = np.frombuffer(payload[4 : 4 + 4 * n], dtype="<f4").astype(np.float64)
        conf = float(np.frombuffer(payload[4 + 4 * n : head], dtype="<f4")[0])
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
        payload = (
            len(starts).to_bytes(4, "little")
            + starts.tobytes()
            + np.float32(entry.confidence).astype("<f4").tobytes()
            + np.ascontiguousarray(entry.samples, dtype=np.int16).tobytes()
        )
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
