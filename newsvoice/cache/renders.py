"""The render memo: a finished render's outputs kept by what made them, so an
unchanged render is restored instead of redone (a build cache for renders).

Key: sha256 over the source file's bytes and name (the manifest records the name,
output names derive from its stem), every RenderOptions field that can change an
output, each ``--lexicon`` file's content, the engine and voice that speak, and a
digest of newsvoice's own code and data (every file of the package and assets/,
hashed once per process), its version and the versions of the packages that make
the bytes. URLs, stdin and anything but a regular file are never memoised.

Entry: ``<cache root>/renders/<key[:2]>/<key>/`` holding a copy of each output
(``o.<suffix>``) and ``meta.json`` (each file's name, size and sha256, and what
rebuilds the RenderResult). It is built in a temp folder and renamed into place
with meta.json inside, so a folder without meta.json is never an entry.

Stdlib only at import: a hit must not load numpy or the audio stack. The memo
never calls render; render and the CLI call :func:`look_up` and :func:`remember`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from newsvoice.options import RenderOptions, RenderResult
    from newsvoice.speech.engines import Engine

log = logging.getLogger("newsvoice")

FORMAT = 1  # bump when meta.json's layout changes
META = "meta.json"
RENDERS = "renders"  # under the cache root
_MAX_SOURCE = 16 << 20  # larger sources are refused by the reader anyway: never memoised
_CHUNK = 1 << 20
_MAX_META = 1 << 20  # meta.json: names, sizes, hashes and a result summary


@dataclass(frozen=True)
class Lookup:
    """What a render learnt from the memo before working: the entry it may be stored
    in (None: not memoisable) and the restored result on a hit."""

    entry: Path | None = None
    speaker: tuple[str, str] = ("", "")  # (engine, voice) the key was made for
    result: RenderResult | None = None
    inputs: tuple[Path, ...] = ()  # the article and lexicons the key read ...
    digest: str = ""  # ... and their bytes' digest: unchanged when storing?


# ---------------------------------------------------------------- the key


def _read_regular(path: Path, limit: int = _MAX_SOURCE) -> bytes | None:
    """The bytes of a regular file of at most _MAX_SOURCE bytes, else None (a FIFO or a
    device is never opened for reading: O_NONBLOCK and a check of the open file)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            return None
        data = f.read(limit + 1)
    return data if len(data) <= limit else None


def _speaker(opts: RenderOptions, engine: Engine | None) -> tuple[str, str] | None:
    """The engine and voice that will speak (None: a fallback engine stands in)."""
    if engine is not None:
        return None if getattr(engine, "fallback", None) else (engine.name, engine.voice)
    from newsvoice.speech.engines import (  # the registry: plain values, no numerics
        get_spec,
        primary_of,
    )

    name = primary_of(opts.engine, opts.voice)
    return name, get_spec(name).resolve_voice(opts.voice)


def look_up(
    src: Path, out_dir: Path, opts: RenderOptions, *, engine: Engine | None = None
) -> Lookup:
    """Restore the outputs of an identical earlier render into ``out_dir`` if the memo has
    them (``result`` set), else say where this render may be stored. ``engine``: the
    engine already opened (batch), else the one ``opts`` names is resolved, not opened."""
    from newsvoice.inputs.sources import is_stdin, is_url, source_name, source_stem

    if not opts.use_cache or is_url(str(src)) or is_stdin(str(src)):
        return Lookup()
    speaker = _speaker(opts, engine)
    inputs = (src, *map(Path, opts.lexicons))
    read = [_read_regular(p) for p in inputs]
    if speaker is None or any(b is None for b in read):
        return Lookup()
    data, *lexicons = [b for b in read if b is not None]
    from newsvoice.options import output_key

    engine_name, voice = speaker
    key = output_key(
        data,
        opts,
        engine=engine_name,
        voice=voice,
        lexicons=lexicons,
        name=source_name(str(src)),
        stem=source_stem(str(src)),
        extra={"memo": FORMAT},
    )
    entry = renders_dir(opts) / key[:2] / key
    return Lookup(entry, speaker, _restore(entry, src, out_dir, opts), inputs, _digest(read))


def _digest(blobs: list[bytes | None]) -> str:
    h = hashlib.sha256()
    for b in blobs:
        h.update(hashlib.sha256(b if b is not None else b"\0missing").digest())
    return h.hexdigest()


def renders_dir(opts: RenderOptions) -> Path:
    from newsvoice.cache.root import default_cache_dir

    return (opts.cache_dir or default_cache_dir()) / RENDERS


# ---------------------------------------------------------------- a hit


class _Corrupt(Exception):
    """A memo file that does not match its meta.json."""


def _open_verified(entry: Path, files: list[dict]) -> list[BinaryIO]:
    """Each file of the entry open at its start, after checking its size and sha256
    (read from the open file, so a concurrent prune cannot swap it afterwards)."""
    handles: list[BinaryIO] = []
    try:
        for f in files:
            fd = os.open(
                entry / f["file"], os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC
            )  # a FIFO: no hang
            fh = os.fdopen(fd, "rb")
            handles.append(fh)
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or st.st_size != f["size"]:
                raise _Corrupt(f["file"])
            h = hashlib.sha256()
            while chunk := fh.read(_CHUNK):
                h.update(chunk)
            if h.hexdigest() != f["sha256"]:
                raise _Corrupt(f["file"])
            fh.seek(0)
    except BaseException:
        for opened in handles:
            opened.close()
        raise
    return handles


def _copier(fh: BinaryIO) -> Callable[[BinaryIO], None]:
    return lambda out: shutil.copyfileobj(fh, out, _CHUNK)


def _restore(entry: Path, src: Path, out_dir: Path, opts: RenderOptions) -> RenderResult | None:
    """Write the entry's outputs into ``out_dir`` (write_outputs: atomic, locked, never over
    an input); None when there is no (valid) entry. A corrupt entry is removed."""
    t0 = time.perf_counter()
    raw = _read_regular(entry / META, _MAX_META)
    if raw is None:
        if os.path.lexists(entry / META):  # a FIFO, a device or a huge file where meta.json was
            remove_entry(entry)
        return None  # no meta.json: not an entry
    from newsvoice.inputs.sources import source_stem
    from newsvoice.outputs.files import check_output_dir, write_outputs

    stem = source_stem(str(src))
    try:
        meta = json.loads(raw)
        files = meta["files"]
        if (
            meta.get("format") != FORMAT
            or not files
            or any(
                f["name"] != f"{stem}.{f['kind']}" or f["file"] != f"o.{f['kind']}" for f in files
            )
        ):
            raise _Corrupt(META)
        restored = _result(meta["result"], {f["kind"]: out_dir / f["name"] for f in files})
        handles = _open_verified(entry, files)
    except (_Corrupt, OSError, KeyError, TypeError, ValueError) as e:
        log.debug("render memo entry %s is damaged (%s); rendering", entry.name, e)
        remove_entry(entry)
        return None
    inputs = (src, *opts.lexicons)
    try:
        check_output_dir(out_dir, inputs=inputs, stem=stem)
        write_outputs(
            {out_dir / f["name"]: _copier(fh) for f, fh in zip(files, handles, strict=True)},
            inputs=inputs,
            replace_set=True,
        )
    finally:
        for fh in handles:
            fh.close()
    with contextlib.suppress(OSError):
        os.utime(entry / META)  # last use, for prune's LRU
    restored.seconds = time.perf_counter() - t0
    return restored


def _result(r: dict, outputs: dict[str, Path]) -> RenderResult:
    from newsvoice.audio.targets import Measurement
    from newsvoice.options import RenderResult

    loud = r.get("loudness")
    numbers = (r["duration_s"], r["cues"], r["units"], r["words"])
    if (
        not all(isinstance(v, int | float) and not isinstance(v, bool) for v in numbers)
        or not all(isinstance(r[k], str) for k in ("engine", "voice"))
        or not isinstance(r["warnings"], list)
        or not all(isinstance(w, str) for w in r["warnings"])
        or not (
            loud is None
            or (
                isinstance(loud, dict)
                and all(
                    isinstance(v, int | float) and not isinstance(v, bool) for v in loud.values()
                )
            )
        )
    ):
        raise TypeError("meta.json result has values of the wrong type")
    return RenderResult(
        outputs=outputs,
        duration_s=r["duration_s"],
        cues=r["cues"],
        units=r["units"],
        words=r["words"],
        engine=r["engine"],
        voice=r["voice"],
        engine_calls=0,
        cache_hits=0,
        warnings=list(r["warnings"]),
        seconds=0.0,
        loudness=Measurement(**loud) if loud else None,
        restored=True,
    )


# ---------------------------------------------------------------- storing


def remember(looked: Lookup, result: RenderResult) -> None:
    """Store a successful render's outputs under ``looked.entry`` when it was rendered by
    the engine and voice asked for (no fallback). Never raises: a memo that cannot be
    written only costs speed."""
    if (
        looked.entry is None
        or result.restored
        or result.fallback
        or (result.engine, result.voice) != looked.speaker
    ):
        return
    try:
        if (looked.entry / META).exists():
            return  # first finished entry wins
        if _digest([_read_regular(p) for p in looked.inputs]) != looked.digest:
            return  # the article or a lexicon was edited while it rendered: which bytes were read?
        _store(looked.entry, result)
    except Exception as e:  # noqa: BLE001 - the render itself succeeded; never fail it here
        log.debug("render memo: not stored (%s)", e)


def _describes(manifest: dict, result: RenderResult) -> bool:
    """True when ``manifest`` is this render's (another render of the same article into
    the same folder may have replaced the outputs since they were written)."""
    totals = manifest.get("totals", {})
    return (
        manifest.get("engine") == result.engine
        and manifest.get("voice") == result.voice
        and manifest.get("warnings") == result.warnings
        and manifest.get("duration_s") == round(result.duration_s, 6)
        and [totals.get(k) for k in ("units", "words", "cues", "engine_calls", "cache_hits")]
        == [result.units, result.words, result.cues, result.engine_calls, result.cache_hits]
        and sorted(manifest.get("outputs", {}).values())
        == sorted(p.name for k, p in result.outputs.items() if k != "json")
    )


def _store(entry: Path, result: RenderResult) -> None:
    from newsvoice.cache.root import mark
    from newsvoice.outputs.files import locked, set_lock_path

    kinds = list(result.outputs)
    if kinds[-1] != "json":
        return
    paths = [result.outputs[k] for k in kinds]
    handles: list[BinaryIO] = []
    try:
        with locked(set_lock_path(paths)):  # no render of this set renames a file while they open
            handles = [open(p, "rb") for p in paths]  # noqa: SIM115 (closed below)
        if not _describes(json.loads(handles[-1].read()), result):
            return
        handles[-1].seek(0)
        mark(entry.parent.parent.parent)
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", suffix=".tmp", dir=entry.parent))
        try:
            files = []
            for kind, path, fh in zip(kinds, paths, handles, strict=True):
                h, size = hashlib.sha256(), 0
                with open(tmp / f"o.{kind}", "wb") as out:  # a copy: a user editing an output
                    while chunk := fh.read(_CHUNK):  # in place must not change the memo
                        h.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                files.append(
                    {
                        "kind": kind,
                        "name": path.name,
                        "file": f"o.{kind}",
                        "size": size,
                        "sha256": h.hexdigest(),
                    }
                )
            meta = {
                "format": FORMAT,
                "files": files,
                "result": {
                    "duration_s": result.duration_s,
                    "cues": result.cues,
                    "units": result.units,
                    "words": result.words,
                    "engine": result.engine,
                    "voice": result.voice,
                    "warnings": result.warnings,
                    "loudness": asdict(result.loudness) if result.loudness is not None else None,
                },
            }
            (tmp / META).write_text(json.dumps(meta), encoding="ascii")  # \u escapes keep odd names
            _publish(tmp, entry)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    finally:
        for fh in handles:
            fh.close()


def _publish(tmp: Path, entry: Path) -> None:
    """Rename the finished folder into place; the first finished entry wins, and a folder
    without meta.json left there (a killed prune) is replaced."""
    try:
        os.rename(tmp, entry)
    except OSError:
        if (entry / META).exists():
            return
        remove_entry(entry)
        os.rename(tmp, entry)


# ---------------------------------------------------------------- info and prune


def entries(root: Path) -> list[tuple[Path, int, float]]:
    """(entry folder, bytes, last use) of every finished entry under the cache ``root``."""
    out = []
    for meta in (root / RENDERS).glob(f"??/*/{META}"):
        entry = meta.parent
        if entry.name.startswith("."):
            continue
        try:
            last = meta.stat().st_mtime
            size = sum(p.stat().st_size for p in entry.iterdir())
        except OSError:
            continue  # pruned meanwhile
        out.append((entry, size, last))
    return out


def remove_entry(entry: Path) -> None:
    """meta.json first, so a half-removed entry never looks finished, then the rest."""
    with contextlib.suppress(FileNotFoundError):
        (entry / META).unlink()
    shutil.rmtree(entry, ignore_errors=True)


def sweep(root: Path, *, older_than_s: float) -> int:
    """Remove what killed writers left (temp folders, folders without meta.json) older
    than ``older_than_s`` seconds (0: all of them). Returns how many."""
    now, n = time.time(), 0
    folders = [
        f for fan in (root / RENDERS).glob("??") for f in fan.iterdir()
    ]  # temps are dot-names
    for folder in folders:
        try:
            if (folder / META).exists() or now - folder.stat().st_mtime < older_than_s:
                continue
        except OSError:
            continue
        remove_entry(folder)
        n += 1
    return n
