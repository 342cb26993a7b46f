"""Review pages: one self-contained HTML page per render, and an index per batch.

A producer hears the voice-over and an editor checks the subtitles without reading
the JSON manifest. The page is built from the manifest alone (plus a small peak
envelope of the audio for the waveform), so ``newsvoice review`` can rebuild it at
any time. The template, CSS and JS ship in ``assets/review/`` and are inlined:
the page works from ``file://`` with no network. The audio is linked by its
relative name, never embedded.

Safety: article text reaches the page only through Jinja2 autoescaping (HTML) and
through JSON inside ``<script type="application/json">`` with ``<``, ``>`` and
``&`` written as ``\\u003c`` etc., so ``</script>`` in an article cannot end it.
"""

from __future__ import annotations

import json
import os
import re
import wave
from collections.abc import Mapping, Sequence
from dataclasses import fields
from datetime import timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from newsvoice.errors import InputError, OutputError, ffmpeg_reason
from newsvoice.outputs.files import display_path

PEAKS = 400  # points in the waveform envelope: enough for a 1280 px canvas
_CUE_WARNING = re.compile(r"^cue (\d+):\s*(.*)$", re.S)
# a render warning and the check rule that says the same thing; the page shows it once
_SAME_FINDING = {
    "reading speed": ("reading-speed",),
    "shorter than": ("min-duration",),
    "longer than": ("max-duration",),
    "does not fit": ("lines", "line-length"),
}
_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


# ---------------------------------------------------------------- assets


@lru_cache(maxsize=8)
def _asset(name: str) -> str:
    return resources.files("newsvoice.assets").joinpath("review", name).read_text("utf-8")


@lru_cache(maxsize=1)
def _env():
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_asset),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["clock"] = clock
    env.filters["num"] = _num
    env.filters["href"] = href
    return env


def script_json(data: object) -> str:
    """JSON safe inside a ``<script>`` element: no ``<``, ``>`` or ``&`` survive raw."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return re.sub("[<>&\u2028\u2029]", lambda m: _JSON_ESCAPES[m.group()], text)


def href(path: str) -> str:
    """A relative file name as a URL path: 'Bản tin #2.wav' -> 'B%E1%BA%A3n%20tin%20%232.wav'."""
    return quote(os.fsencode(str(path)), safe="/")  # bytes: a non-UTF-8 name is %-escaped as it is


def clock(seconds: float | None) -> str:
    """12.345 -> '0:12.34' (what a producer reads off a player)."""
    if seconds is None:
        return ""
    s = max(0.0, float(seconds))
    m, rest = divmod(s, 60)
    return f"{int(m)}:{rest:05.2f}"


def _num(value: object, fmt: str = "{:.1f}") -> str:
    return (
        "–"
        if value is None or value == ""
        else fmt.format(value)
        if isinstance(value, int | float)
        else str(value)
    )


# ---------------------------------------------------------------- view model


def split_warnings(warnings: Sequence[str]) -> tuple[dict[int, list[str]], list[str]]:
    """'cue 12: reading speed ...' goes to cue 12; anything else stays general."""
    by_cue: dict[int, list[str]] = {}
    general: list[str] = []
    for w in warnings:
        m = _CUE_WARNING.match(str(w))
        if m:
            by_cue.setdefault(int(m.group(1)), []).append(m.group(2))
        else:
            general.append(str(w))
    return by_cue, general


def _rules(manifest: Mapping):
    from newsvoice.subtitles.cutter import CueRules

    given = (manifest.get("settings") or {}).get("cues") or {}
    known = {f.name for f in fields(CueRules)}
    try:
        return CueRules(**{k: v for k, v in given.items() if k in known})
    except (TypeError, ValueError):
        return CueRules()


def _check_findings(cues: Sequence[Mapping], rules) -> dict[int, list[dict]]:
    """``newsvoice check``'s findings per cue (1-based), from the cue times and text."""
    import srt

    from newsvoice.subtitles.check import check_cues

    subs = [
        srt.Subtitle(
            i,
            timedelta(seconds=float(c["start"])),
            timedelta(seconds=float(c["end"])),
            str(c.get("text", "")),
        )
        for i, c in enumerate(cues, 1)
    ]
    out: dict[int, list[dict]] = {}
    for f in check_cues(subs, rules).findings:
        out.setdefault(f.cue, []).append(
            {"severity": f.severity, "rule": f.rule, "message": f.message}
        )
    return out


def cue_spoken(cue: Mapping, units: Sequence[Mapping]) -> str:
    """The words the voice says under this cue: the lead's ``spoken`` when the manifest
    has it, else the spoken text of the units the cue was cut from."""
    if isinstance(cue.get("spoken"), str):
        return cue["spoken"]
    parts = [
        str(units[i].get("spoken", ""))
        for i in cue.get("phrases", [])
        if isinstance(i, int) and 0 <= i < len(units)
    ]
    return " ".join(p for p in parts if p)


def _words(manifest: Mapping) -> list[dict]:
    """The word timeline (text, start, end) when the manifest has one, else []."""
    words = manifest.get("words")
    if not isinstance(words, list):
        return []
    try:
        return [
            {
                "text": str(w["text"]),
                "start": round(float(w["start"]), 3),
                "end": round(float(w["end"]), 3),
            }
            for w in words
        ]
    except (TypeError, KeyError, ValueError):
        return []


def _word_range(value: object, n_words: int) -> list[int] | None:
    """A cue's [first, last_exclusive] word indices when valid."""
    if (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(i, int) for i in value)
        and 0 <= value[0] <= value[1] <= n_words
    ):
        return [value[0], value[1]]
    return None


def cue_views(manifest: Mapping) -> list[dict]:
    """Everything the page shows per cue, in order."""
    units = manifest.get("units") or []
    cues = manifest.get("cues") or []
    by_cue, _ = split_warnings(manifest.get("warnings") or [])
    rules = _rules(manifest)
    checked = _check_findings(cues, rules)
    n_words = len(_words(manifest))
    views = []
    for n, c in enumerate(cues, 1):
        start, end = float(c["start"]), float(c["end"])
        text = str(c.get("text", ""))
        dur = end - start
        findings = [
            {"severity": "warning", "rule": "render", "message": w} for w in by_cue.get(n, [])
        ]
        said = {
            rule
            for w in by_cue.get(n, [])
            for key, rules in _SAME_FINDING.items()
            if key in w
            for rule in rules
        }
        findings += [f for f in checked.get(n, []) if f["rule"] not in said]
        cps = round(len(" ".join(text.split("\n"))) / dur, 1) if dur > 0 else None
        views.append(
            {
                "n": n,
                "start": round(start, 3),
                "end": round(end, 3),
                "lines": text.split("\n"),
                "text": text,
                "spoken": cue_spoken(c, units),
                "cps": cps,
                "cps_over": cps is not None and cps > rules.max_cps,
                "findings": findings,
                "words": _word_range(c.get("words"), n_words),
            }
        )
    return views


def audio_name(manifest: Mapping, manifest_path: Path) -> str:
    """The audio file's name relative to the manifest: ``outputs.audio`` when recorded,
    else the manifest's stem with the audio format's suffix."""
    outputs = manifest.get("outputs")
    if isinstance(outputs, Mapping) and isinstance(outputs.get("audio"), str):
        return Path(outputs["audio"]).name
    fmt = (manifest.get("settings") or {}).get("audio_format") or "wav"
    return f"{manifest_path.stem}.{fmt}"


def _links(manifest: Mapping, manifest_path: Path, audio: str) -> list[tuple[str, str]]:
    """(label, relative file name) for the files of this render."""
    outputs = manifest.get("outputs")
    names: list[tuple[str, str]] = [("audio", audio)]
    if isinstance(outputs, Mapping):
        names += [
            (k, Path(v).name) for k, v in outputs.items() if k != "audio" and isinstance(v, str)
        ]
    else:
        subs = (manifest.get("settings") or {}).get("subs") or []
        names += [(s, f"{manifest_path.stem}.{s}") for s in subs]
    names.append(("manifest", manifest_path.name))
    return names


_LOUDNESS_KEYS = (
    "preset",
    "integrated_lufs",
    "lra_lu",
    "true_peak_dbtp",
    "target_lufs",
    "target_true_peak_dbtp",
)


def _info(manifest: Mapping) -> dict:
    """The header facts, each present (None when the manifest lacks it)."""
    keys = {
        "version": "newsvoice",
        "source": "source",
        "engine": "engine",
        "voice": "voice",
        "duration": "duration_s",
        "speed": "speed",
    }
    return {name: manifest.get(key) for name, key in keys.items()}


def build_page(
    manifest: Mapping,
    audio_name: str,
    *,
    peaks: Sequence[float] = (),
    manifest_name: str = "",
    index_href: str | None = None,
) -> str:
    """The review page for one render, as one HTML string (pure: no file access)."""
    if not isinstance(manifest.get("cues"), list):
        raise InputError("not a newsvoice manifest: no cue list")
    for n, c in enumerate(manifest["cues"], 1):
        if not (
            isinstance(c, Mapping)
            and all(isinstance(c.get(k), int | float) for k in ("start", "end"))
        ):
            raise InputError(f"not a newsvoice manifest: cue {n} has no start and end time")
    cues = cue_views(manifest)
    warnings = [str(w) for w in manifest.get("warnings") or []]
    _, general = split_warnings(warnings)
    warning_items = [
        {"cue": int(m.group(1)) if (m := _CUE_WARNING.match(w)) else None, "text": w}
        for w in warnings
    ]
    mpath = Path(manifest_name or "manifest.json")
    got = manifest.get("loudness")
    loud: Mapping[str, Any] = got if isinstance(got, Mapping) else {}
    title = manifest.get("headline") or Path(str(manifest.get("source", "") or mpath.stem)).stem
    data = {
        "duration": manifest.get("duration_s"),
        "cues": [
            {
                "n": c["n"],
                "start": c["start"],
                "end": c["end"],
                "text": c["text"],
                "words": c["words"],
            }
            for c in cues
        ],
        "words": _words(manifest),
        "peaks": [round(float(p), 3) for p in peaks],
    }
    return (
        _env()
        .get_template("page.html.j2")
        .render(
            title=title,
            info=_info(manifest),
            cues=cues,
            general_warnings=general,
            warnings=warning_items,
            flagged=sum(bool(c["findings"]) for c in cues),
            audio=audio_name,
            dropped=[
                {"text": d.get("text", ""), "reason": d.get("reason", "")}
                if isinstance(d, Mapping)
                else {"text": str(d), "reason": ""}
                for d in manifest.get("dropped") or []
            ],
            loud={k: loud.get(k) for k in _LOUDNESS_KEYS},
            links=_links(manifest, mpath, audio_name) if manifest_name else [("audio", audio_name)],
            index_href=index_href,
            data_json=script_json(data),
            css=_asset("review.css"),
            js=_asset("review.js"),
        )
    )


def build_index(rows: Sequence[Mapping], title: str = "Batch review") -> str:
    """The batch index: one row per article (pure). Each row: file, status, duration, cues,
    loudness, warnings (list of strings), error, and links [(label, href)]."""
    return (
        _env()
        .get_template("index.html.j2")
        .render(
            title=title,
            rows=rows,
            css=_asset("review.css"),
            counts={
                s: sum(r.get("status") == s for r in rows) for s in ("ok", "skipped", "failed")
            },
        )
    )


# ---------------------------------------------------------------- audio envelope


def _decode(raw: bytes, width: int, channels: int) -> np.ndarray:
    """Little-endian PCM frames -> |first channel| as float32 in 0..1."""
    if width == 3:
        bts = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        x = (bts[:, 0] | (bts[:, 1] << 8) | (bts[:, 2] << 16)) << 8 >> 8
    elif width in (1, 2, 4):
        dtype: Any = {1: np.uint8, 2: "<i2", 4: "<i4"}[width]
        x = np.frombuffer(raw, dtype).astype(np.int64)
        if width == 1:
            x = x - 128
    else:
        raise wave.Error(f"{width}-byte samples")
    return np.abs(x[::channels]).astype(np.float32) / float(1 << (8 * width - 1))


def _wav_blocks(path: Path, points: int) -> np.ndarray | None:
    """Peak per small block of a PCM WAV, read in chunks (an hour-long 24-bit file never
    sits in memory whole); None when the stdlib cannot read it (e.g. float WAV)."""
    try:
        with wave.open(str(path), "rb") as w:
            width, channels, n = w.getsampwidth(), w.getnchannels(), w.getnframes()
            block = max(1, -(-n // (points * 8)))
            chunk = block * max(1, (1 << 20) // block)
            out = []
            while raw := w.readframes(chunk):
                x = _decode(raw, width, channels)
                out.append(np.maximum.reduceat(x, np.arange(0, x.size, block)))
    except (wave.Error, EOFError):
        return None
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def _ffmpeg_abs(path: Path) -> np.ndarray:
    """|samples| of any audio file, decoded by the bundled ffmpeg to 8 kHz mono."""
    import subprocess

    from newsvoice.audio.track import ffmpeg_exe

    cmd = [
        ffmpeg_exe(),
        "-v",
        "error",
        "-i",
        str(path),
        "-ac",
        "1",
        "-ar",
        "8000",
        "-f",
        "s16le",
        "pipe:1",
    ]
    res = subprocess.run(cmd, capture_output=True, check=False)
    if res.returncode != 0:
        raise InputError(f"{path}: cannot read audio ({ffmpeg_reason(res.stderr)})")
    return np.abs(np.frombuffer(res.stdout, np.int16).astype(np.float32)) / 32768.0


def envelope(samples: np.ndarray, points: int = PEAKS) -> list[float]:
    """Peak of |x| in ``points`` equal slices, scaled so the loudest is 1."""
    if samples.size == 0:
        return []
    points = min(points, samples.size)
    edges = np.linspace(0, samples.size, points + 1).astype(int)
    peaks = np.maximum.reduceat(np.abs(samples), edges[:-1])
    top = float(peaks.max()) or 1.0
    return [round(float(p) / top, 3) for p in peaks]


def audio_peaks(path: Path, points: int = PEAKS) -> list[float]:
    """The waveform envelope of an audio file: WAV through the stdlib ``wave`` module,
    anything else (MP3) through ffmpeg."""
    blocks = _wav_blocks(path, points) if path.suffix.lower() == ".wav" else None
    return envelope(blocks if blocks is not None else _ffmpeg_abs(path), points)


# ---------------------------------------------------------------- files


MAX_MANIFEST_BYTES = 256 << 20  # the words of a long programme; anything larger is not ours


def read_manifest(path: Path) -> dict:
    from newsvoice.inputs.bounded import read_regular

    raw = read_regular(path, MAX_MANIFEST_BYTES, "manifest")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise InputError(
            f"{display_path(path)}: not a readable JSON manifest ({str(e)[:80]})"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("cues"), list):
        raise InputError(f"{path}: not a newsvoice manifest (no cue list)")
    return data


def write_page(
    manifest_path: Path, out: Path | None = None, *, index_href: str | None = None
) -> Path:
    """Build the page for ``manifest_path`` and write it (atomically) to ``out``, by
    default ``<stem>.html`` beside the manifest. The audio link is made relative to
    the page's folder."""
    from newsvoice.outputs.files import write_outputs

    manifest = read_manifest(manifest_path)
    out = out or manifest_path.with_suffix(".html")
    audio_file = manifest_path.parent / audio_name(manifest, manifest_path)
    peaks = audio_peaks(audio_file) if audio_file.is_file() else []
    if not out.parent.is_dir():
        raise InputError(f"{out.parent}: no such folder")
    _refuse_replacing(out, manifest, manifest_path, audio_file)
    href = _relative(audio_file, out.parent)
    # the links to the sibling files (srt, json) only hold on a page beside the manifest
    beside = out.parent.resolve() == manifest_path.parent.resolve()
    page = build_page(
        manifest,
        href,
        peaks=peaks,
        manifest_name=manifest_path.name if beside else "",
        index_href=index_href,
    )
    write_outputs({out: page.encode("utf-8")})
    return out


GENERATOR = b'<meta name="generator" content="newsvoice'


def _refuse_replacing(out: Path, manifest: Mapping, manifest_path: Path, audio_file: Path) -> None:
    """OutputError when the page would replace the manifest, an output or the article of
    its render, or any existing file that is not a review page of ours."""
    from newsvoice.outputs.files import refuse_inputs

    listed = manifest.get("outputs")
    named: Mapping[str, Any] = listed if isinstance(listed, Mapping) else {}
    ours = [
        manifest_path,
        audio_file,
        *(manifest_path.parent / Path(v).name for v in named.values() if isinstance(v, str)),
    ]
    source = manifest.get("source")
    if isinstance(source, str) and "://" not in source:
        ours += [Path(source), manifest_path.parent / Path(source).name]
    refuse_inputs([out], ours)
    if not os.path.lexists(out):
        return
    head = b""
    if os.path.isfile(out) and not os.path.islink(out):
        try:
            with open(out, "rb") as f:
                head = f.read(4096)
        except OSError as e:
            raise OutputError(f"cannot write {display_path(out)}: {e.strerror or e}") from None
    if GENERATOR not in head:
        raise OutputError(
            f"refusing to replace {display_path(out)}: it is not a newsvoice review page "
            f"(choose another -o)"
        )


def _relative(target: Path, base: Path) -> str:
    return Path(os.path.relpath(target.resolve(), base.resolve())).as_posix()


def find_manifest(folder: Path, stem: str) -> Path | None:
    """``folder/<stem>.json``, or the only JSON manifest in ``folder``."""
    direct = folder / f"{stem}.json"
    if direct.is_file():
        return direct
    found = sorted(folder.glob("*.json")) if folder.is_dir() else []
    return found[0] if len(found) == 1 else None


def write_batch_review(out_root: Path, results: Sequence) -> Path:
    """A review page per rendered article and ``out_root/index.html`` listing all of
    them; ``results`` are batch.BatchResult rows (file, slug, status, ...)."""
    from newsvoice.outputs.files import write_outputs

    rows = []
    for r in results:
        row = {
            "file": r.file,
            "status": r.status,
            "duration": r.duration,
            "cues": r.cues,
            "loudness": r.loudness,
            "warnings": [],
            "warning_count": r.warnings,
            "error": r.error,
            "links": [],
            "page": None,
        }
        folder = out_root / r.slug
        manifest = find_manifest(folder, Path(r.file).stem) if r.status != "failed" else None
        if manifest is not None:
            try:
                page = write_page(manifest, index_href="../index.html")
                data = read_manifest(manifest)
            except InputError as e:  # one unreadable article must not cost the bulletin its index
                row["error"] = f"no review page: {e}"
                rows.append(row)
                continue
            row["warnings"] = [str(w) for w in data.get("warnings") or []]
            row["page"] = f"{r.slug}/{page.name}"
            links = [("review", page.name)] + _links(data, manifest, audio_name(data, manifest))
            row["links"] = [
                (label, f"{r.slug}/{name}") for label, name in links if (folder / name).is_file()
            ]
        rows.append(row)
    index = out_root / "index.html"
    write_outputs({index: build_index(rows).encode("utf-8")})
    return index
