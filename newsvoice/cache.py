"""On-disk cache of synthesised phrases, keyed by what determines the sound.

Key: sha256 of engine, voice, speed, spoken text and the processing version.
Entry: a small header (magic, sha256 of the payload) + int16 samples at 48 kHz,
written to a temp name and renamed, so concurrent processes never see half an
entry, and verified on read so a corrupt entry is synthesised again.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"NVC1"
PROCESSING_VERSION = 1  # bump when resampling/trimming changes what is stored


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
        return np.frombuffer(payload, dtype=np.int16).copy()

    def put(self, key: str, samples: np.ndarray) -> None:
        path = self._path(key)
        payload = np.ascontiguousarray(samples, dtype=np.int16).tobytes()
        data = MAGIC + hashlib.sha256(payload).digest() + payload
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written only costs speed
