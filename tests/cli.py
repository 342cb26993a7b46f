"""The one way tests run the real CLI: ``python -m newsvoice ...`` in a fresh process.

``stdin``: bytes to feed, or an open file; ``text``: decode stdout/stderr as UTF-8.
NO_PROXY=* keeps every request of the run on loopback servers even where a proxy is set.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO, Any


def run(
    *args: str,
    cwd: Path | None = None,
    stdin: bytes | IO[Any] | None = None,
    timeout: float = 120,
    text: bool = False,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    feed: dict[str, Any] = (
        {"input": stdin} if isinstance(stdin, bytes) or stdin is None else {"stdin": stdin}
    )
    return subprocess.run(
        [sys.executable, "-m", "newsvoice", *args],
        capture_output=True,
        cwd=cwd,
        timeout=timeout,
        env={**os.environ, "NO_PROXY": "*", **(env or {})},
        **feed,
        **({"encoding": "utf-8", "errors": "replace"} if text else {}),
    )
