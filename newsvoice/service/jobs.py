"""What a job is, apart from HTTP and queues: a posted request checked into RenderOptions
(the one option table; a bad option is a UsageError naming it, the API's 422), its
output key, and running it into ``outputs/<id>/`` all-or-nothing.

The server, the embedded workers and the farm's RQ workers all call these functions, so
the three cannot disagree on what a request means.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import re
import shutil
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from newsvoice.errors import InputError, NewsvoiceError, UsageError
from newsvoice.options import (
    SERVE,
    RenderOptions,
    Spec,
    from_values,
    output_key,
    parse_duration,
    specs_for,
)

log = logging.getLogger("newsvoice")

RENDER_KIND, ALIGN_KIND = "render", "align"
ARTICLE_SUFFIXES = (".txt", ".md", ".html", ".htm", ".docx")
# options a client may not set: files and folders on the server are the server's own
_SERVER_ONLY_KINDS = frozenset({"paths", "folder"})
_SERVER_ONLY = frozenset({"no-cache"})
# the render's stages as the API names them (docs/service.md)
STAGES = {
    "reading": "reading",
    "planning": "planning",
    "synthesising": "synthesising",
    "pacing": "synthesising",
    "assembling": "synthesising",
    "cutting subtitles": "subtitles",
    "loudness": "loudness",
    "encoding": "writing",
    "writing": "writing",
    "aligning": "aligning",
}
_BITRATE = re.compile(r"(\d{1,3})k", re.IGNORECASE)


def api_specs() -> tuple[Spec, ...]:
    """The render options the API takes: ``serve``'s rows of the option table, less the
    ones that name files or folders on the server."""
    return tuple(
        s
        for s in specs_for(SERVE)
        if s.kind not in _SERVER_ONLY_KINDS and s.name not in _SERVER_ONLY
    )


def describe(spec: Spec, defaults: RenderOptions) -> dict[str, Any]:
    """One option as GET /v1/options lists it."""
    d: dict[str, Any] = {
        "name": spec.name,
        "kind": spec.kind,
        "default": _jsonable(spec.default),
        "help": spec.help,
    }
    if spec.kind in ("choice", "fps"):
        d["choices"] = list(spec.choice_list())
    if spec.kind == "engine":
        from newsvoice.speech.engines import AUTO, engine_names

        d["choices"] = ([AUTO] if spec.name == "engine" else []) + engine_names()
    if spec.kind == "formats":
        from newsvoice.options import SUB_FORMATS

        d["choices"] = list(SUB_FORMATS)
    if spec.lo is not None:
        d["lo"] = spec.lo
    if spec.hi is not None:
        d["hi"] = spec.hi
    return d


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    return value


def default_values(defaults: RenderOptions) -> dict[str, Any]:
    """The server's defaults by option name (config applied), for GET /v1/options."""
    out = {}
    for spec in api_specs():
        obj: Any = defaults
        for part in spec.field.lstrip("!").split("."):
            obj = getattr(obj, part)
        if spec.field.startswith("!"):
            obj = not obj
        if spec.kind == "fps":
            obj = next((c for c in spec.choice_list() if abs(float(c) - obj) < 1e-6), str(obj))
        elif spec.kind == "choice" and isinstance(obj, int):
            obj = str(obj)
        out[spec.name] = _jsonable(obj)
    return out


# ---------------------------------------------------------------- request -> options


def _bad(spec: Spec, why: str) -> UsageError:
    return UsageError(f"{spec.name}: {why}", option=spec.name)


def coerce(spec: Spec, value: Any) -> Any:
    """A JSON value as the option's value, or UsageError naming the option (what Click's
    types do for the CLI, for JSON's types)."""
    if value is None:
        if spec.default is None:
            return None
        raise _bad(spec, "takes a value")
    kind = spec.kind
    if kind in ("flag", "switch"):
        if not isinstance(value, bool):
            raise _bad(spec, "takes true or false")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise _bad(spec, f"{value!r} is not a whole number")
        return int(value)
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _bad(spec, f"{value!r} is not a number")
        if not math.isfinite(value):
            raise _bad(spec, "is not finite")
        return float(value)
    if kind == "duration":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _bad(spec, f"{value!r} is not a duration")
        try:
            secs = parse_duration(str(value))
        except ValueError as e:
            raise _bad(spec, str(e)) from None
        return secs
    if kind in ("choice", "fps"):
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise _bad(spec, f"{value!r}: choose from {', '.join(spec.choice_list())}")
        if kind == "fps":
            for c in spec.choice_list():
                with contextlib.suppress(ValueError):
                    if abs(float(c) - float(value)) < 1e-6:
                        return c
            raise _bad(spec, f"{value!r}: choose from {', '.join(spec.choice_list())}")
        text = str(value)
        if text not in spec.choice_list():
            raise _bad(spec, f"{value!r}: choose from {', '.join(spec.choice_list())}")
        return text
    if kind == "formats":
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(s, str) for s in items):
            raise _bad(spec, "takes a list of subtitle formats")
        return tuple(s.strip().lower() for s in items if s.strip())
    if kind == "bitrate":
        m = _BITRATE.fullmatch(str(value).strip())
        if not m or not 8 <= int(m.group(1)) <= 320:
            raise _bad(spec, f"{value!r} is not a bit rate from 8k to 320k (e.g. 192k)")
        return f"{int(m.group(1))}k"
    if kind == "texts":
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(s, str) for s in items):
            raise _bad(spec, "takes a list of lines")
        return tuple(items)
    if kind in ("text", "engine"):
        if not isinstance(value, str):
            raise _bad(spec, f"{value!r} is not text")
        if spec.name == "voice" and ("/" in value or "\\" in value):
            raise _bad(spec, "a voice is a name from GET /v1/voices, never a path")
        return value
    raise _bad(spec, "cannot be set through the API")


def request_options(
    values: Mapping[str, Any] | None, defaults: RenderOptions, *, engine_given: bool = False
) -> RenderOptions:
    """The posted ``options`` over the server's defaults, checked like the CLI checks its
    flags (ranges, combinations, engine and voice); UsageError names the field."""
    from newsvoice.pipeline.prepare import check_options

    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        raise UsageError("options must be an object", option="options")
    allowed = {s.name: s for s in api_specs()}
    given: dict[str, Any] = {}
    for key, value in values.items():
        name = str(key).replace("_", "-")
        spec = allowed.get(name)
        if spec is None:
            raise UsageError(f"unknown option {key!r}", option=str(key))
        given[name] = coerce(spec, value)
    opts = from_values(given, base=defaults)
    try:
        check_options(opts, engine_given=engine_given)
    except UsageError as e:
        raise UsageError(str(e), option=(e.option or "options").lstrip("-")) from None
    return opts


def lexicon_rows(data: bytes) -> list[tuple[str, str]]:
    """A posted lexicon, checked row by row like --lexicon (text.normalize.lexicon.user_rows);
    a bad row is a UsageError (422) naming its line."""
    from newsvoice.text.normalize.lexicon import user_rows

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError("the lexicon is not UTF-8 text", option="lexicon") from None
    try:
        return user_rows(text, "lexicon")
    except InputError as e:
        raise UsageError(str(e), option="lexicon") from None


def lexicon_bytes(rows: list[tuple[str, str]]) -> bytes:
    return "".join(f"{w}\t{s}\n" for w, s in rows).encode("utf-8")


# ---------------------------------------------------------------- the job's files


@dataclass(frozen=True)
class Layout:
    """Where a job's files live under the data folder (names we choose)."""

    root: Path

    @property
    def db(self) -> Path:
        return self.root / "jobs.sqlite"

    def uploads(self, job_id: str) -> Path:
        return self.root / "uploads" / job_id

    def outputs(self, job_id: str) -> Path:
        return self.root / "outputs" / job_id

    def lexicon(self, token: str) -> Path:
        return self.root / "lexicons" / f"{token}.tsv"

    @property
    def cache(self) -> Path:
        return self.root / "cache"


def safe_suffix(filename: str | None, allowed: tuple[str, ...] = ARTICLE_SUFFIXES) -> str:
    """The only part of a client's file name we use: a known suffix (else InputError)."""
    suffix = os.path.splitext(os.path.basename((filename or "").replace("\\", "/")))[1].lower()
    if suffix not in allowed:
        raise InputError(f"upload {filename!r}: the article must be one of {', '.join(allowed)}")
    return suffix


def job_key(
    source: bytes, opts: RenderOptions, lexicon: bytes, *, kind: str, name: str, extra=None
) -> str:
    """The output key of a job: options.output_key over what the worker will read."""
    return output_key(
        source,
        opts,
        engine=opts.engine,
        voice=opts.voice or "",
        lexicons=[lexicon] if lexicon else [],
        name=name,
        stem=Path(name).stem,
        kind=kind,
        extra={"service": 1, **(extra or {})},
    )


def options_of(request: Mapping[str, Any], layout: Layout, job_id: str) -> RenderOptions:
    """The RenderOptions a worker renders with: the checked values saved at submit."""
    base = RenderOptions(cache_dir=layout.cache)
    opts = from_values(request.get("resolved", {}), base=base, jobs=1)
    lex = layout.uploads(job_id) / "lexicon.tsv"
    return replace(opts, lexicons=(lex,) if lex.exists() else ())


def resolved_values(opts: RenderOptions) -> dict[str, Any]:
    """Every API option's value of ``opts``, to save with the job (the worker rebuilds
    the same RenderOptions from it, whatever the server's defaults are by then)."""
    return default_values(opts)


# ---------------------------------------------------------------- running a job


@dataclass(frozen=True)
class Outcome:
    """How a job ended: done with its output names and title, or failed with the CLI's
    one line and exit code."""

    ok: bool
    outputs: list[str]
    title: str | None = None
    error: str | None = None
    exit_code: int | None = None


Report = Callable[[str, int | None, int | None], None]


def _source(request: Mapping[str, Any], layout: Layout, job_id: str) -> Path | str:
    if request.get("url"):
        return str(request["url"])
    return layout.uploads(job_id) / str(request["source"])


def run_job(
    job_id: str, kind: str, request: Mapping[str, Any], layout: Layout, report: Report
) -> Outcome:
    """Run one job: render (or align) into a temp folder beside ``outputs/<id>``, renamed
    into place only when every file is written, so a client never sees half an output.
    Our errors become the CLI's one line; anything else is reported, never raised."""
    final = layout.outputs(job_id)
    tmp = final.with_name(f".{job_id}.{os.getpid()}.part")  # two runs never share one
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    src = _source(request, layout, job_id)
    shown = str(request.get("name") or "article")
    try:
        return _run(job_id, kind, request, layout, report, src, shown, tmp, final)
    finally:  # a worker stopped mid-job (SIGTERM) leaves no temp folder behind either
        shutil.rmtree(tmp, ignore_errors=True)


def _run(
    job_id: str,
    kind: str,
    request: Mapping[str, Any],
    layout: Layout,
    report: Report,
    src: Path | str,
    shown: str,
    tmp: Path,
    final: Path,
) -> Outcome:
    try:
        report("reading", None, None)
        opts = options_of(request, layout, job_id)
        if kind == ALIGN_KIND:
            title = _align(src, tmp, opts, request, layout, job_id, report)
        else:
            title = _render(src, tmp, opts, report)
        names = sorted(p.name for p in tmp.iterdir() if p.is_file())
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
        return Outcome(True, names, title)
    except NewsvoiceError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        message = str(e).replace(str(src), shown).replace(str(layout.root), "<data>")
        return Outcome(False, [], None, message, e.exit_code)
    except Exception as e:  # a bug of ours: the job fails with a line, the worker lives on
        shutil.rmtree(tmp, ignore_errors=True)
        log.exception("job %s failed", job_id)
        return Outcome(False, [], None, f"internal error: {type(e).__name__}: {e}", 1)


def drop_parts(layout: Layout, *, job_id: str = "*", pid: int | str = "*") -> int:
    """Remove the temp folders a killed run left (by job, or by the process that made
    them); how many were removed."""
    gone = 0
    for part in (layout.root / "outputs").glob(f".{job_id}.{pid}.part"):
        shutil.rmtree(part, ignore_errors=True)
        gone += 1
    return gone


def _render(src: Path | str, out: Path, opts: RenderOptions, report: Report) -> str | None:
    from newsvoice.pipeline.render import render

    last: list[Any] = [0.0, ""]

    def progress(stage: str, done: int, total: int | None) -> None:
        name = STAGES.get(stage, stage)
        now = time.monotonic()
        # throttled: a stage change always, counts at most 4 times a second
        if name != last[1] or now - last[0] >= 0.25 or (total is not None and done == total):
            last[0], last[1] = now, name
            report(name, done, total)

    report("planning", None, None)
    res = render(Path(src), out, opts, progress=progress)
    return _title(res.outputs.get("json"))


def _title(manifest: Path | None) -> str | None:
    if manifest is None:
        return None
    with contextlib.suppress(OSError, ValueError):
        return json.loads(manifest.read_text("utf-8")).get("headline")
    return None


def _align(
    src: Path | str,
    out: Path,
    opts: RenderOptions,
    request: Mapping[str, Any],
    layout: Layout,
    job_id: str,
    report: Report,
) -> str | None:
    from newsvoice.options import validate
    from newsvoice.pipeline.voiceover import AlignOptions, align

    validate(opts)
    report("aligning", None, None)
    recording = layout.uploads(job_id) / str(request["recording"])
    aligned = AlignOptions.from_render(opts)
    res = align(src, recording, out, aligned)
    return _title(res.outputs.get("json"))


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
