"""What the Chromium tests share: Debian's chromium, the flags that keep it off the
network, and a PNG's grey-level spread and colour count decoded by the browser itself
(a screenshot that is blank or one flat colour fails)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]

_IMAGE_STATS_JS = """async (url) => {
    const img = new Image(); img.src = url; await img.decode();
    const c = document.createElement('canvas'); c.width = img.width; c.height = img.height;
    const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let sum = 0, sq = 0, n = 0; const colors = new Set();
    for (let i = 0; i < d.length; i += 4 * 7) {
        const g = (d[i] + d[i + 1] + d[i + 2]) / 3; sum += g; sq += g * g; n++;
        colors.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
    }
    const mean = sum / n;
    return {std: Math.sqrt(sq / n - mean * mean), colors: colors.size, w: c.width, h: c.height};
}"""


def image_stats(page: Any, png: Path) -> dict:
    """{std, colors, w, h} of ``png``, decoded on a canvas of ``page``."""
    url = "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode()
    return page.evaluate(_IMAGE_STATS_JS, url)
