"""Bounded reads of the files and streams we are given: a size limit, a regular file,
one clear line when either fails (before any decoding or parsing)."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from newsvoice.errors import InputError
from newsvoice.inputs.encoding import MAX_BYTES


def read_stream(stream: BinaryIO, source: str, *, max_bytes: int = MAX_BYTES) -> bytes:
    """At most ``max_bytes`` from a stream; InputError when there is more. Reading one
    byte past the limit (never the whole stream) makes /dev/zero or an endless pipe fail
    at once instead of filling memory."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(f"{source} is too large: more than {max_bytes:,} bytes")
    return data


def read_bytes(path: Path, *, max_bytes: int = MAX_BYTES) -> bytes:
    """The file's bytes, or InputError (missing, a folder, unreadable, too large).
    Device files that report size 0 (/dev/zero) are bounded by the read itself."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise InputError(f"{path} is a folder, not an article file")
        if size > max_bytes:
            raise InputError(f"{path} is too large: {size:,} bytes (limit {max_bytes:,})")
        with open(path, "rb") as f:
            return read_stream(f, str(path), max_bytes=max_bytes)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}") from None
