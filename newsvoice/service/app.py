"""The HTTP API (docs/service.md is its contract): FastAPI routes over the job store.

:func:`create_app` builds the app from a :class:`ServiceConfig`; the CLI's ``serve``
runs it on uvicorn. Request bodies are parsed here by hand (JSON or multipart), so every
refusal is the contract's ``{"detail", "field"?}`` with the status the contract names.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import time
import zipfile
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    Response,
    StreamingResponse,
)
from starlette.exceptions import HTTPException as StarletteHTTPException

import newsvoice
from newsvoice.errors import NewsvoiceError, UsageError
from newsvoice.inputs.encoding import MAX_BYTES
from newsvoice.inputs.sources import MAX_PAGE_BYTES, is_url
from newsvoice.options import RenderOptions
from newsvoice.service import jobs as J
from newsvoice.service.auth import RateLimit, Tokens, parse_rate
from newsvoice.service.callbacks import BACKOFF_S, Sender
from newsvoice.service.store import FINAL, PRIORITIES, Job, Store, new_id

MAX_RECORDING = 2 << 30  # a recording upload (align reads hours of audio)
_SLACK = 64 << 10  # multipart framing and the request part


@dataclass(frozen=True)
class ServiceConfig:
    """Everything the server is started with (the CLI fills it from flags and config)."""

    data: Path
    defaults: RenderOptions = field(default_factory=RenderOptions)
    tokens: tuple[str, ...] = ()
    rate: str = "60/min"
    callback_secret: str = ""
    callback_backoff: tuple[float, ...] = BACKOFF_S
    workers: int = 1
    queue: str | None = None
    max_recording: int = MAX_RECORDING


class ApiError(Exception):
    """A refusal: status, one line, and the field to blame."""

    def __init__(self, status: int, detail: str, field: str | None = None, headers=None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.field, self.headers = status, detail, field, headers


def _error(status: int, detail: str, field: str | None = None, headers=None) -> JSONResponse:
    body: dict[str, Any] = {"detail": detail}
    if field:
        body["field"] = field
    return JSONResponse(body, status_code=status, headers=headers)


def _iso(t: float | None) -> str | None:
    if t is None:
        return None
    return datetime.fromtimestamp(t, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _output_key(name: str) -> str:
    suffix = Path(name).suffix.lower().lstrip(".")
    return {"wav": "audio", "mp3": "audio", "json": "manifest"}.get(suffix, suffix)


def document(job: Job) -> dict[str, Any]:
    """The job as GET /v1/jobs/{id} answers it."""
    base = f"/v1/jobs/{job.id}"
    doc: dict[str, Any] = {
        "id": job.id,
        "kind": job.kind,
        "state": job.state,
        "priority": PRIORITIES[job.priority],
        "created": _iso(job.created),
        "request": job.request.get("posted", {}),
        "attempts": job.attempts,
    }
    if job.stage and job.state == "running":
        doc["stage"] = job.stage
        if job.done is not None:
            doc["progress"] = {"done": job.done, "total": job.total}
    for name in ("started", "finished"):
        if getattr(job, name) is not None:
            doc[name] = _iso(getattr(job, name))
    if job.error:
        doc["error"] = job.error
    if job.exit_code is not None:
        doc["exit_code"] = job.exit_code
    if job.title:
        doc["title"] = job.title
    if job.notes:
        doc["notes"] = job.notes
    if job.worker:
        doc["worker"] = job.worker
    outputs = {_output_key(n): f"{base}/files/{n}" for n in job.outputs}
    if job.state == "done":
        if "manifest" in outputs and job.kind == J.RENDER_KIND:
            outputs["review"] = f"{base}/review"
        doc["zip"] = f"{base}/zip"
    doc["outputs"] = outputs
    return doc


@dataclass
class _Posted:
    """A parsed render/alignment/preview body: the JSON request and any uploaded parts."""

    request: dict[str, Any]
    article: bytes | None = None
    article_suffix: str = ".txt"
    recording: bytes | None = None
    recording_suffix: str = ""
    upload_name: str | None = None


class Service:
    """The server's state: config, store, workers, callbacks and rate limits."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        self.layout = J.Layout(Path(config.data))
        self.store = Store(self.layout.db)
        self.tokens = Tokens.of(config.tokens)
        count, window = parse_rate(config.rate)
        self.rate = RateLimit(count, window)
        self.pool: Any = None
        self.farm: Any = None
        self.sender = Sender(
            self.store, self._doc_by_id, config.callback_secret, config.callback_backoff
        )

    def _doc_by_id(self, job_id: str) -> dict[str, Any] | None:
        job = self.store.get(job_id)
        return document(job) if job else None

    def start(self) -> None:
        if self.config.queue:
            from newsvoice.service.farm import Farm

            self.farm = Farm(self.config.queue, self.layout, self.store)
            self.farm.start()
        else:
            from newsvoice.service.embedded import Pool

            self.pool = Pool(self.layout, self.store, self.config.workers)
            self.pool.start()
        self.sender.start()

    def stop(self) -> None:
        self.sender.stop()
        if self.pool is not None:
            self.pool.stop()
        if self.farm is not None:
            self.farm.stop()

    # ------------------------------------------------------------ access

    def who(self, request: Request) -> str:
        tid = self.tokens.identify(request.headers.get("authorization"))
        if tid is None:
            raise ApiError(
                401, "missing or unknown bearer token", headers={"WWW-Authenticate": "Bearer"}
            )
        return tid

    def limit(self, who: str) -> None:
        wait = self.rate.retry_after(who)
        if wait:
            raise ApiError(
                429,
                f"rate limit {self.config.rate} reached; retry in {wait:.0f} s",
                headers={"Retry-After": str(max(1, round(wait + 0.5)))},
            )

    def job_of(self, who: str, job_id: str) -> Job:
        job = self.store.get(job_id, who)
        if job is None:
            raise ApiError(404, f"no job {job_id}")
        return job

    # ------------------------------------------------------------ bodies

    async def body(self, request: Request, limit: int) -> bytes:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise ApiError(413, f"the body is over the limit of {limit} bytes")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ApiError(413, f"the body is over the limit of {limit} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    async def posted(self, request: Request, *, recording: bool = False) -> _Posted:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        limit = (self.config.max_recording if recording else MAX_PAGE_BYTES) + _SLACK
        if ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            declared = request.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > limit:
                raise ApiError(413, f"the body is over the limit of {limit} bytes")
            return await self._multipart(request, limit)
        raw = await self.body(request, limit)
        try:
            data = json.loads(raw.decode("utf-8")) if raw.strip() else {}
        except (UnicodeDecodeError, ValueError) as e:
            raise ApiError(400, f"the body is not JSON: {e}") from None
        if not isinstance(data, dict):
            raise ApiError(422, "the body must be a JSON object", "body")
        return _Posted(data)

    async def _multipart(self, request: Request, limit: int) -> _Posted:
        form = await request.form(max_files=4, max_fields=16, max_part_size=limit)
        try:
            req_part = form.get("request")
            text = req_part if isinstance(req_part, str) else None
            if req_part is not None and text is None:
                text = (await req_part.read()).decode("utf-8")  # type: ignore[union-attr]
            try:
                data = json.loads(text) if text else {}
            except ValueError as e:
                raise ApiError(422, f"request part is not JSON: {e}", "request") from None
            if not isinstance(data, dict):
                raise ApiError(422, "request part must be a JSON object", "request")
            posted = _Posted(data)
            for field_name in ("file", "article"):
                part = form.get(field_name)
                if part is None or isinstance(part, str):
                    if isinstance(part, str) and "text" not in data:
                        data["text"] = part
                    continue
                name = getattr(part, "filename", None) or ""
                try:
                    posted.article_suffix = J.safe_suffix(name)
                except NewsvoiceError as e:
                    raise ApiError(422, str(e), field_name) from None
                posted.article = await part.read()
                posted.upload_name = os.path.basename(name.replace("\\", "/"))[:200]
            text_part = form.get("text")
            if isinstance(text_part, str) and "text" not in data:
                data["text"] = text_part
            rec = form.get("recording")
            if rec is not None and not isinstance(rec, str):
                rname = getattr(rec, "filename", None) or ""
                suffix = os.path.splitext(os.path.basename(rname.replace("\\", "/")))[1].lower()
                if not suffix.isascii() or not suffix[1:].isalnum() or len(suffix) > 6:
                    suffix = ".audio"
                posted.recording_suffix = suffix
                posted.recording = await rec.read()
            return posted
        finally:
            await form.close()

    def article_of(self, posted: _Posted) -> tuple[bytes | None, str | None, str]:
        """(article bytes, url, suffix) from a posted body; refusals are 4xx."""
        data = posted.request
        text, url = data.get("text"), data.get("url")
        given = sum(x is not None for x in (text, url, posted.article))
        if given != 1:
            raise ApiError(422, "give exactly one of text, url or an uploaded file", "text")
        if posted.article is not None:
            limit = MAX_BYTES if posted.article_suffix in (".txt", ".md") else MAX_PAGE_BYTES
            if len(posted.article) > limit:
                raise ApiError(413, f"the article is over the limit of {limit} bytes", "file")
            return posted.article, None, posted.article_suffix
        if text is not None:
            if not isinstance(text, str):
                raise ApiError(422, "text must be a string", "text")
            raw = text.encode("utf-8")
            if len(raw) > MAX_BYTES:
                raise ApiError(413, f"the article is over the limit of {MAX_BYTES} bytes", "text")
            return raw, None, ".txt"
        if not isinstance(url, str) or not is_url(url):
            raise ApiError(422, "url must be an http(s) URL", "url")
        return None, url, ""

    def options(self, data: Mapping[str, Any]) -> RenderOptions:
        values = data.get("options")
        if data.get("keep_lines") is not None:  # the body's keep_lines is the keep-line option
            if not isinstance(values, Mapping | None):
                raise ApiError(422, "options must be an object", "options")
            values = {**(values or {}), "keep-line": data["keep_lines"]}
        try:
            return J.request_options(values, self.config.defaults)
        except UsageError as e:
            field = "keep_lines" if e.option == "keep-line" else e.option or "options"
            raise ApiError(422, str(e), field) from None
        except NewsvoiceError as e:
            raise ApiError(422, str(e), "options") from None

    # ------------------------------------------------------------ submitting

    def submit(self, who: str, kind: str, posted: _Posted) -> tuple[int, dict[str, Any]]:
        data = posted.request
        priority_name = data.get("priority", "bulletin")
        if priority_name not in PRIORITIES:
            raise ApiError(422, f"priority: choose from {', '.join(PRIORITIES)}", "priority")
        callback = data.get("callback_url")
        if callback is not None and (not isinstance(callback, str) or not is_url(callback)):
            raise ApiError(422, "callback_url must be an http(s) URL", "callback_url")
        opts = self.options(data)
        article, url, suffix = self.article_of(posted)
        if kind == J.ALIGN_KIND and posted.recording is None:
            raise ApiError(422, "an alignment needs a recording upload", "recording")
        if posted.recording is not None and len(posted.recording) > self.config.max_recording:
            raise ApiError(413, "the recording is over the limit", "recording")
        lexicon = self.lexicon(who)
        name = f"story{suffix}" if url is None else ""
        key = None
        if url is None and article is not None:
            extra = {"recording": J.digest(posted.recording)} if posted.recording else None
            key = J.job_key(article, opts, lexicon, kind=kind, name=name, extra=extra)
            old = self.store.reusable(who, key)
            if old is not None and self.layout.outputs(old.id).is_dir():
                return 200, {"id": old.id, "status_url": f"/v1/jobs/{old.id}", "reused": True}
        shown = dict(data)
        if posted.upload_name:
            shown["file"] = posted.upload_name
        record: dict[str, Any] = {
            "posted": shown,
            "resolved": J.resolved_values(opts),
            "name": name or url,
            "callback_url": callback,
        }
        job_id = new_id()
        up = self.layout.uploads(job_id)
        up.mkdir(parents=True, exist_ok=True)
        if article is not None:
            (up / name).write_bytes(article)
            record["source"] = name
        else:
            record["url"] = url
        if lexicon:
            (up / "lexicon.tsv").write_bytes(lexicon)
        if posted.recording is not None:
            rec_name = f"recording{posted.recording_suffix}"
            (up / rec_name).write_bytes(posted.recording)
            record["recording"] = rec_name

        def add() -> Job:
            return self.store.add(
                token=who,
                kind=kind,
                request=record,
                priority=PRIORITIES.index(priority_name),
                key=key,
                job_id=job_id,
                callback=callback is not None,
            )

        job = self.farm.submit(add) if self.farm is not None else add()
        return 202, {"id": job.id, "status_url": f"/v1/jobs/{job.id}"}

    def cancel(self, who: str, job_id: str) -> dict[str, Any]:
        self.job_of(who, job_id)
        before = self.store.cancel(job_id)
        if before is None:
            raise ApiError(409, f"job {job_id} has already ended")
        if before.state == "running":
            if self.pool is not None:
                self.pool.kill(before.worker)
            if self.farm is not None:
                self.farm.cancel(before)
        elif self.farm is not None:
            self.farm.cancel(before)
        return {"id": job_id, "state": "cancelled"}

    # ------------------------------------------------------------ lexicon

    def lexicon(self, who: str) -> bytes:
        path = self.layout.lexicon(who)
        return path.read_bytes() if path.exists() else b""

    def set_lexicon(self, who: str, rows: list[tuple[str, str]]) -> None:
        from newsvoice.outputs.files import write_outputs

        path = self.layout.lexicon(who)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_outputs({path: J.lexicon_bytes(rows)})

    # ------------------------------------------------------------ preview

    def preview(self, who: str, posted: _Posted) -> dict[str, Any]:
        from newsvoice.inputs.sources import Source, docx_source, html_source, read_source
        from newsvoice.text.article import source_article
        from newsvoice.text.normalize import Normalizer
        from newsvoice.text.plan import build_plan

        opts = self.options(posted.request)
        article, url, suffix = self.article_of(posted)
        try:
            if url is not None:
                src = read_source(url)
            elif suffix in (".html", ".htm"):
                src = html_source(article or b"", "article")
            elif suffix == ".docx":
                src = docx_source(article or b"", "article")
            else:
                src = Source("article", article or b"")
            art = source_article(src, keep_all=opts.keep_all, keep=frozenset(opts.keep_lines))
            lex = self.lexicon(who)
            lexicons = []
            if lex:
                path = self.layout.root / "tmp" / f"{who}-{J.digest(lex)[:16]}.tsv"
                if not path.exists():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    tmp = path.with_suffix(f".{os.getpid()}.part")
                    tmp.write_bytes(lex)
                    os.replace(tmp, path)
                lexicons.append(path)
            plan = build_plan(
                art,
                Normalizer(lexicons),
                pauses=opts.pauses,
                narrate_headline=opts.narrate_headline,
            )
        except NewsvoiceError as e:
            raise ApiError(422 if e.exit_code != 3 else 502, str(e), "text") from None
        sentences: dict[int, dict[str, Any]] = {}
        for u in plan.units:
            s = sentences.setdefault(
                u.sentence,
                {"index": u.sentence, "paragraph": u.paragraph, "written": [], "spoken": []},
            )
            s["written"].append(u.written)
            s["spoken"].append(u.spoken)
        out = []
        for idx, s in sorted(sentences.items()):
            flags = [
                {"rule": f.rule, "message": f.message, "token": f.token, "reading": f.reading}
                for f in plan.findings
                if f.sentence == idx + 1
            ]
            out.append(
                {
                    "index": idx,
                    "paragraph": s["paragraph"],
                    "written": " ".join(s["written"]),
                    "spoken": " ".join(s["spoken"]),
                    "flags": flags,
                }
            )
        return {
            "headline": plan.headline,
            "sentences": out,
            "dropped": [{"line": d.text, "reason": d.reason} for d in plan.dropped],
        }


def _safe_file(folder: Path, name: str) -> Path:
    """An output file by name: only a plain name of a file in the folder."""
    if not name or name != os.path.basename(name) or name.startswith(".") or "\\" in name:
        raise ApiError(404, f"no file {name!r}")
    path = folder / name
    if not path.is_file() or path.is_symlink():
        raise ApiError(404, f"no file {name!r}")
    return path


def create_app(config: ServiceConfig) -> FastAPI:
    """The API over one data folder (and, with ``config.queue``, a Redis farm)."""
    svc = Service(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        svc.start()
        try:
            yield
        finally:
            svc.stop()

    app = FastAPI(
        title="newsvoice",
        version=newsvoice.__version__,
        description="Vietnamese news narration and subtitles as jobs (docs/service.md).",
        lifespan=lifespan,
    )
    app.state.service = svc

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.detail, exc.field, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(x) for x in first.get("loc", ()) if x not in ("query", "path", "body")]
        return _error(422, str(first.get("msg", "invalid request")), ".".join(loc) or None)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail))

    @app.get("/v1/health")
    def health() -> dict[str, Any]:
        return {
            "status": "ok",
            "version": newsvoice.__version__,
            "queue": "redis" if config.queue else "embedded",
            "workers": svc.farm.workers() if svc.farm is not None else config.workers,
        }

    @app.get("/v1/options")
    def options_list(request: Request) -> dict[str, Any]:
        svc.who(request)
        return {
            "options": [J.describe(s, config.defaults) for s in J.api_specs()],
            "defaults": J.default_values(config.defaults),
        }

    @app.get("/v1/voices")
    def voices(request: Request) -> list[dict[str, Any]]:
        svc.who(request)
        from newsvoice.speech.engines import all_voices, engines

        specs = engines()
        return [
            {
                "engine": v.engine,
                "voice": v.name,
                "online": specs[v.engine].online,
                "label": v.description,
            }
            for v in all_voices()
        ]

    @app.post("/v1/preview")
    async def preview(request: Request) -> dict[str, Any]:
        who = svc.who(request)
        svc.limit(who)
        posted = await svc.posted(request)
        return await asyncio.to_thread(svc.preview, who, posted)

    @app.post("/v1/renders", status_code=202)
    async def renders(request: Request) -> JSONResponse:
        who = svc.who(request)
        svc.limit(who)
        posted = await svc.posted(request)
        status, body = await asyncio.to_thread(svc.submit, who, J.RENDER_KIND, posted)
        return JSONResponse(body, status_code=status)

    @app.post("/v1/alignments", status_code=202)
    async def alignments(request: Request) -> JSONResponse:
        who = svc.who(request)
        svc.limit(who)
        posted = await svc.posted(request, recording=True)
        status, body = await asyncio.to_thread(svc.submit, who, J.ALIGN_KIND, posted)
        return JSONResponse(body, status_code=status)

    @app.get("/v1/jobs")
    def job_list(request: Request, limit: int = 20) -> list[dict[str, Any]]:
        who = svc.who(request)
        return [document(j) for j in svc.store.recent(who, max(1, min(limit, 500)))]

    @app.get("/v1/jobs/{job_id}")
    def job_get(request: Request, job_id: str) -> dict[str, Any]:
        return document(svc.job_of(svc.who(request), job_id))

    @app.delete("/v1/jobs/{job_id}")
    def job_cancel(request: Request, job_id: str) -> dict[str, Any]:
        return svc.cancel(svc.who(request), job_id)

    @app.get("/v1/jobs/{job_id}/events")
    async def job_events(request: Request, job_id: str) -> StreamingResponse:
        who = svc.who(request)
        svc.job_of(who, job_id)

        async def stream() -> AsyncIterator[bytes]:
            last = None
            quiet = time.monotonic()
            while True:
                job = await asyncio.to_thread(svc.store.get, job_id, who)
                if job is None:
                    return
                doc = document(job)
                text = json.dumps(doc, ensure_ascii=False, sort_keys=True)
                if text != last:
                    last, quiet = text, time.monotonic()
                    yield f"event: job\ndata: {text}\n\n".encode()
                    if job.state in FINAL:
                        return
                elif time.monotonic() - quiet > 15:
                    quiet = time.monotonic()
                    yield b": keep-alive\n\n"
                if await request.is_disconnected():
                    return
                await asyncio.sleep(0.2)

        return StreamingResponse(
            stream(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
        )

    def done_folder(who: str, job_id: str) -> tuple[Job, Path]:
        job = svc.job_of(who, job_id)
        if job.state != "done":
            raise ApiError(409, f"job {job_id} is {job.state}, not done")
        return job, svc.layout.outputs(job_id)

    @app.get("/v1/jobs/{job_id}/files/{name}")
    def job_file(request: Request, job_id: str, name: str) -> FileResponse:
        job, folder = done_folder(svc.who(request), job_id)
        if name not in job.outputs:
            raise ApiError(404, f"no file {name!r}")
        return FileResponse(_safe_file(folder, name), filename=name)

    @app.get("/v1/jobs/{job_id}/zip")
    def job_zip(request: Request, job_id: str) -> Response:
        job, folder = done_folder(svc.who(request), job_id)
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for name in job.outputs:
                z.write(_safe_file(folder, name), name)
        return Response(
            buf.getvalue(),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{job_id}.zip"'},
        )

    @app.get("/v1/jobs/{job_id}/review")
    def job_review(request: Request, job_id: str) -> HTMLResponse:
        job, folder = done_folder(svc.who(request), job_id)
        manifest = next((n for n in job.outputs if n.endswith(".json")), None)
        if manifest is None:
            raise ApiError(404, "this job has no review page")
        from newsvoice.outputs.review import audio_name, audio_peaks, build_page, read_manifest

        path = _safe_file(folder, manifest)
        data = read_manifest(path)
        audio = audio_name(data, path)
        peaks = audio_peaks(folder / audio) if audio in job.outputs else []
        html = build_page(data, audio, peaks=peaks, manifest_name=manifest)
        # the page's relative links (audio, subtitles, manifest) resolve to the file routes
        html = html.replace("<head>", f'<head><base href="/v1/jobs/{job_id}/files/">', 1)
        return HTMLResponse(html)

    @app.get("/v1/lexicon")
    def lexicon_get(request: Request) -> Response:
        who = svc.who(request)
        return Response(svc.lexicon(who), media_type="text/tab-separated-values; charset=utf-8")

    @app.put("/v1/lexicon")
    async def lexicon_put(request: Request) -> dict[str, Any]:
        who = svc.who(request)
        svc.limit(who)
        raw = await svc.body(request, MAX_BYTES)
        try:
            rows = J.lexicon_rows(raw)
        except UsageError as e:
            raise ApiError(422, str(e), "lexicon") from None
        svc.set_lexicon(who, rows)
        return {"entries": len(rows)}

    @app.post("/v1/lexicon/entries")
    async def lexicon_add(request: Request) -> dict[str, Any]:
        who = svc.who(request)
        svc.limit(who)
        raw = await svc.body(request, 64 << 10)
        try:
            entry = json.loads(raw)
            written, spoken = str(entry["written"]), str(entry["spoken"])
        except (ValueError, KeyError, TypeError):
            raise ApiError(422, 'want {"written": ..., "spoken": ...}', "written") from None
        try:
            new = J.lexicon_rows(f"{written}\t{spoken}\n".encode())
            rows = [r for r in J.lexicon_rows(svc.lexicon(who)) if r[0] != new[0][0]] + new
        except UsageError as e:
            raise ApiError(422, str(e), "written") from None
        svc.set_lexicon(who, rows)
        return {"entries": len(rows)}

    from newsvoice.service.studio_routes import mount_studio

    mount_studio(app)  # issue 25: the studio at /, after every API route
    return app
