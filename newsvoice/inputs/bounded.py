"""Reading a file we were pointed at, with a bound and a type check.

Every file newsvoice reads (articles, manifests, subtitles, configs, cache entries)
goes through :func:`read_regular`: it must be a regular file (a FIFO would block, a
device such as /dev/zero never ends) and at most ``limit`` bytes, checked on the open
file and enforced by the read itself, so a file that grows meanwhile cannot blow up
memory either.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from newsvoice.errors import InputError


def _shown(path: Path | str) -> str:
    return os.fsencode(path).decode("utf-8", "replace")


def read_regular(path: Path | str, limit: int, what: str = "file") -> bytes:
    """The bytes of the regular file ``path`` (at most ``limit``), or InputError in one
    line: missing, a folder, a FIFO/device/socket, unreadable or too large."""
    name = _shown(path)
    try:
        fd = os.open(
            path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC
        )  # a FIFO does not block the open
    except FileNotFoundError:
        raise InputError(f"{name}: no such {what}") from None
    except IsADirectoryError:
        raise InputError(f"{name} is a folder, not a {what}") from None
    except PermissionError:
        raise InputError(f"{name}: permission denied") from None
    except OSError as e:
        raise InputError(f"cannot read {name}: {e.strerror or e}") from None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"{name} is a folder, not a {what}")
        if not stat.S_ISREG(st.st_mode):
            kind = (
                "FIFO"
                if stat.S_ISFIFO(st.st_mode)
                else "socket"
                if stat.S_ISSOCK(st.st_mode)
                else "device"
            )
            raise InputError(f"{name} is a {kind}, not a regular {what}")
        if st.st_size > limit:
            raise InputError(
                f"{name} is too large for a {what}: {st.st_size:,} bytes (limit {limit:,})"
            )
        try:
            data = f.read(limit + 1)
        except OSError as e:
            raise InputError(f"cannot read {name}: {e.strerror or e}") from None
    if len(data) > limit:
        raise InputError(f"{name} is too large for a {what}: more than {limit:,} bytes")
    return data
