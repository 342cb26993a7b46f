"""Where newsvoice's cache lives and how its root is marked (stdlib only).

Shared by the phrase cache (``cache.py``) and the render memo (``memo.py``), which
keep their entries under one root: ``cache info``/``cache prune`` see both, and the
render memo is looked up without loading numpy.
"""

from __future__ import annotations

import os
from pathlib import Path

# The cache root is marked with a standard CACHEDIR.TAG (bford.org/cachedir: backup tools
# skip it); `cache prune` deletes only inside a marked root, never in an arbitrary folder.
MARKER = "CACHEDIR.TAG"
MARKER_TEXT = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by newsvoice (phrase cache).\n"
)


def default_cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("newsvoice"))


def mark(root: Path) -> None:
    """Create ``root`` and its CACHEDIR.TAG (O_EXCL: a planted name is left alone)."""
    root.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(root / MARKER, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    except FileExistsError:
        return
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(MARKER_TEXT)
