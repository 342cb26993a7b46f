"""The studio page (issue 25) at ``/``: the package's ``studio/`` folder as static files.

Mounted after every API route, so ``/v1/...`` always wins; ``/`` answers index.html.
The folder ships as package data, so an installed (non-editable) package serves it too.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STUDIO = Path(__file__).with_name("studio")


def mount_studio(app: FastAPI) -> None:
    """Serve the studio folder at / (call last: a mount at / matches every path)."""
    app.mount("/", StaticFiles(directory=STUDIO, html=True), name="studio")
