"""Inputs: a path (.txt, .md, .html, .htm, .docx) or an http(s) URL -> article text.

CONTRACT (the CLI, render and batch call only this):

    read_source(src: str) -> Source            # raises InputError (exit 1), one line
    source_stem(src: str) -> str               # safe output name, also for a URL
    source_name(src: str) -> str               # the input as the user wrote it (a URL mangled
                                               # by Path(), "https:/x", gets its "//" back)
    ARTICLE_SUFFIXES                           # what a batch folder expands to

A Source holds the article as plain text bytes (what ``parse_article`` reads, headline first)
and the lines the extraction dropped, with reasons, which join the article's own dropped lines
in the manifest. Web pages go through trafilatura (main-text extraction, see README for why
not readability-lxml), plus the headline from the page metadata and the lead paragraph
(sapo), which news templates keep outside the body. Word files go through python-docx:
paragraphs in order, tables skipped with a notice. URLs are fetched with requests: timeout,
size limit (streamed, at most limit+1 bytes read), user agent, redirects.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import queue
import re
import threading
import tomllib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urlsplit

from newsvoice.errors import InputError
from newsvoice.inputs.files import read_bytes

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md")
MARKDOWN_SUFFIXES = (".md",)
HTML_SUFFIXES = (".html", ".htm")
DOCX_SUFFIXES = (".docx",)
ARTICLE_SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + DOCX_SUFFIXES

MAX_PAGE_BYTES = 10 * 1024 * 1024  # a web page or Word file (markup, images) may be large
FETCH_TIMEOUT_S = 20.0
USER_AGENT = "newsvoice/0.1 (+https://github.com/newsvoice; article narration)"

_URL = re.compile(r"^(https?):/+(.+)$", re.I)  # "https:/x" too: a URL that went through Path()
_DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

TABLE = "table skipped"
SCRIPT = "script/style"


@dataclass(frozen=True)
class DroppedLine:
    """A line of the source that a newsreader would not read, and why."""

    text: str
    reason: str
    before_headline: bool = False  # dropped from above the line taken as the headline


@dataclass(frozen=True)
class Source:
    """One input as article text (UTF-8 for pages and Word files) and what was dropped."""

    name: str  # path or URL, for messages
    data: bytes
    dropped: tuple[DroppedLine, ...] = field(default_factory=tuple)
    kind: str = "text"  # text | html | docx | markdown


# ---------------------------------------------------------------- entry points


STDIN = "-"  # the input name that means standard input (the CLI reads it, bounded)


def is_url(src: str) -> bool:
    return bool(_URL.match(str(src)))


def is_stdin(src: str) -> bool:
    return str(src) == STDIN


def _url(src: str) -> str:
    m = _URL.match(str(src))
    return f"{m[1].lower()}://{m[2]}" if m else str(src)


def source_name(src: str) -> str:
    """How to name the input in a manifest or report: the path, or the URL with its
    credentials and query secrets redacted (see :func:`redact_url`)."""
    if is_stdin(src):
        return "stdin"
    return redact_url(_url(str(src))) if is_url(src) else str(src)


# query keys whose values are secrets (matched as a part of the key: "access_token", "X-Amz-Signature")
_SECRET_KEY = re.compile(
    r"token|key|secret|pass|pwd|auth|sig|session|sid|code|credential|ticket", re.I
)


def redact_url(url: str) -> str:
    """A URL safe to print or write: the password of its userinfo and the values of
    secret-looking query keys become ``***`` (``https://u:pw@h/a?token=x`` ->
    ``https://u:***@h/a?token=***``); anything unparsable is reduced to scheme and host."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            user, _, host = netloc.rpartition("@")
            name = user.split(":", 1)[0]
            netloc = f"{name}:***@{host}" if ":" in user else f"***@{host}"
        query = "&".join(
            f"{k}=***" if sep and _SECRET_KEY.search(unquote(k)) else f"{k}{sep}{v}"
            for k, sep, v in (item.partition("=") for item in parts.query.split("&") if item)
        )
        return parts._replace(netloc=netloc, query=query).geturl()
    except ValueError:
        return url.split("://", 1)[0] + "://(unparsable URL)"


def read_source(
    src: str, *, timeout: float = FETCH_TIMEOUT_S, max_bytes: int = MAX_PAGE_BYTES
) -> Source:
    """Read a path or URL into article text, or raise InputError with one line."""
    if is_url(src):
        return _from_url(_url(src), timeout=timeout, max_bytes=max_bytes)
    path = Path(src)
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        return html_source(read_bytes(path, max_bytes=max_bytes), str(path))
    if suffix in DOCX_SUFFIXES:
        return docx_source(read_bytes(path, max_bytes=max_bytes), str(path))
    if suffix in MARKDOWN_SUFFIXES:
        return markdown_source(read_bytes(path), str(path))
    data = read_bytes(path)
    if looks_like_html(data):  # a saved page named .txt: its tags are not narrated
        log.warning("%s: holds a web page (HTML), read as one", path)
        return html_source(data, str(path))
    return Source(str(path), data)


def looks_like_html(data: bytes) -> bool:
    """A web page by its first bytes (a doctype, <html>, <head> or <body>)."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<body" in head or b"<head" in head


def markdown_source(data: bytes, name: str) -> Source:
    """A Markdown article as the plain text a newsreader reads (inputs.markdown)."""
    from newsvoice.inputs.markdown import markdown_bytes

    text, dropped = markdown_bytes(data, source=name)
    return Source(name, text, tuple(DroppedLine(t, r) for t, r in dropped), "markdown")


def bytes_source(data: bytes, name: str = "stdin") -> Source:
    """Bytes of unknown kind (stdin, a URL's body): a web page or a Word file is recognised
    by its first bytes, anything else is text."""
    head = data[:1024].lstrip().lower()
    if data[:4] == b"PK\x03\x04":  # a zip container: .docx
        return docx_source(data, name)
    if head.startswith(b"<?xml") or looks_like_html(data):
        return html_source(data, name)
    return Source(name, data)


MAX_STEM_BYTES = 240  # <stem>.avid.txt, the longest output name, stays within NAME_MAX (255)


def _bounded_stem(stem: str) -> str:
    """A file stem of at most MAX_STEM_BYTES: a longer one keeps its start and gains a
    digest of the whole (two long names that share a start still differ)."""
    raw = os.fsencode(stem)
    if len(raw) <= MAX_STEM_BYTES:
        return stem
    digest = hashlib.sha256(raw).hexdigest()[:8]
    return f"{os.fsdecode(raw[: MAX_STEM_BYTES - 9])}-{digest}"


def source_stem(src: str) -> str:
    """Output file stem: a path's stem; for a URL a slug of its last path part (or host);
    ``stdin`` for standard input."""
    if is_stdin(src):
        return "stdin"
    if not is_url(src):
        return _bounded_stem(Path(src).stem)
    parts = urlsplit(_url(src))
    segs = [s for s in unquote(parts.path).split("/") if s]
    base = segs[-1] if segs else parts.hostname or "article"
    base = re.sub(r"\.(?:html?|php|aspx?|chn)$", "", base, flags=re.I)
    text = unicodedata.normalize("NFKD", base.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:80] or "article"


# ---------------------------------------------------------------- URLs


FETCH_DEADLINE_FACTOR = 3  # the whole request (connect, headers, body) gets 3x the per-read timeout


def _from_url(url: str, *, timeout: float, max_bytes: int) -> Source:
    """GET with a per-read timeout and a deadline on the whole request (a server that
    trickles a byte every few seconds is cut off), a user agent and redirects; the body
    is streamed and refused past ``max_bytes``. The content type picks the reader.
    Any failure is one InputError line, naming the URL with its secrets redacted."""
    shown = redact_url(url)
    deadline_s = FETCH_DEADLINE_FACTOR * timeout
    stop = threading.Event()
    box: queue.SimpleQueue = queue.SimpleQueue()

    def run() -> None:
        try:
            box.put((True, _fetch(url, shown, timeout, max_bytes, stop)))
        except BaseException as e:  # handed to the caller's thread
            box.put((False, e))

    # a thread: requests bounds each socket read only, and a DNS lookup not at all
    threading.Thread(target=run, name="newsvoice-fetch", daemon=True).start()
    try:
        ok, value = box.get(timeout=deadline_s)
    except queue.Empty:
        stop.set()  # the abandoned thread stops at its next chunk
        raise InputError(
            f"cannot fetch {shown}: no complete answer within {deadline_s:g} s"
        ) from None
    if not ok:
        raise value
    data, ctype = value
    if not data:
        raise InputError(f"{shown}: empty response")
    if ctype in ("text/html", "application/xhtml+xml"):
        return html_source(data, shown)
    if ctype == _DOCX_MIME:
        return docx_source(data, shown)
    if ctype.startswith("text/"):
        return Source(shown, data)
    return bytes_source(data, shown)


def _fetch(
    url: str, shown: str, timeout: float, max_bytes: int, stop: threading.Event
) -> tuple[bytes, str]:
    """The body and content type of one GET, or InputError in plain words."""
    import requests

    try:
        with requests.get(
            url,
            stream=True,
            timeout=timeout,
            allow_redirects=True,
            headers={"User-Agent": USER_AGENT, "Accept": "text/html,text/plain,*/*"},
        ) as r:
            if r.status_code >= 400:
                raise InputError(
                    f"cannot fetch {shown}: HTTP {r.status_code} {r.reason or ''}".rstrip()
                )
            data = _read_limited(r, shown, max_bytes, stop)
            return data, r.headers.get("Content-Type", "").split(";")[0].strip().lower()
    except InputError:
        raise
    except requests.exceptions.Timeout:
        raise InputError(f"cannot fetch {shown}: timed out after {timeout:g} s") from None
    except requests.exceptions.TooManyRedirects:
        raise InputError(f"cannot fetch {shown}: too many redirects") from None
    except requests.exceptions.SSLError:
        raise InputError(f"cannot fetch {shown}: TLS/SSL error") from None
    except requests.exceptions.ChunkedEncodingError:
        raise InputError(f"cannot fetch {shown}: the connection broke off mid-answer") from None
    except requests.exceptions.ConnectionError as e:
        raise InputError(f"cannot fetch {shown}: {_connection_reason(e)}") from None
    except (
        requests.exceptions.InvalidSchema,
        requests.exceptions.InvalidURL,
        requests.exceptions.MissingSchema,
        requests.exceptions.URLRequired,
    ):
        raise InputError(f"cannot fetch {shown}: not a valid http(s) address") from None
    except requests.exceptions.RequestException:
        raise InputError(f"cannot fetch {shown}: the request failed") from None
    except (ValueError, UnicodeError):  # urllib3's parser on hostile addresses
        raise InputError(f"cannot fetch {shown}: not a valid http(s) address") from None


def _connection_reason(e: Exception) -> str:
    """'[Errno 111] Connection refused' out of urllib3's nested message, else a short text."""
    m = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", str(e))
    return m[1].strip() if m else "connection failed"


def _read_limited(response, shown: str, max_bytes: int, stop: threading.Event) -> bytes:
    buf = bytearray()
    for chunk in response.iter_content(chunk_size=8192):
        buf += chunk
        if len(buf) > max_bytes:
            raise InputError(f"{shown} is too large: more than {max_bytes:,} bytes")
        if stop.is_set():
            raise InputError(f"cannot fetch {shown}: abandoned after the deadline")
    return bytes(buf)


# ---------------------------------------------------------------- Word files


def docx_source(data: bytes, name: str) -> Source:
    """Paragraphs in document order, blank lines between them; tables are skipped (notice)."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    _check_zip_sizes(data, name)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception:  # zipfile.BadZipFile, lxml, python-docx: a broken file is an input error
        raise InputError(
            f"{name} is not a readable .docx file (damaged, or not a Word document)"
        ) from None
    paras: list[str] = []
    dropped: list[DroppedLine] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            text = " ".join(block.text.split())
            if text:
                paras.append(text)
        elif isinstance(block, Table):
            rows, cols, first = _table_summary(block)
            dropped.append(DroppedLine(f"[{rows}×{cols} table] {first}"[:200], TABLE))
    if dropped:
        log.warning("%s: skipped %d table(s); tables are not narrated", name, len(dropped))
    return Source(name, "\n\n".join(paras).encode("utf-8"), tuple(dropped), "docx")


MAX_DOCX_INFLATED = 64 * 1024 * 1024  # all members of a .docx once inflated (text and images)


def _check_zip_sizes(data: bytes, name: str) -> None:
    """Refuse a .docx whose members would inflate past MAX_DOCX_INFLATED, from the sizes
    the zip declares, before anything is inflated (zipfile never reads past a member's
    declared size, so the declaration bounds the work)."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            total = sum(max(0, i.file_size) for i in z.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise InputError(f"{name} is not a readable .docx file (not a zip container)") from None
    if total > MAX_DOCX_INFLATED:
        raise InputError(
            f"{name} is too large once unpacked: {total:,} bytes (limit {MAX_DOCX_INFLATED:,})"
        )


def _table_summary(table) -> tuple[int, int, str]:
    """Rows, columns and the first row's text of a table, for the dropped-lines notice;
    a table without <w:tblGrid> (python-docx cannot count its columns) is counted by cells."""
    try:
        rows = table.rows
        first_cells = rows[0].cells if len(rows) else []
        first = " | ".join(" ".join(c.text.split()) for c in first_cells)
        return len(rows), max((len(r.cells) for r in rows), default=0), first
    except Exception:  # noqa: BLE001 - malformed table XML: still skipped, with what we know
        return 0, 0, ""


# ---------------------------------------------------------------- web pages


@dataclass(frozen=True)
class HtmlRules:
    """Which page parts are the lead, and why other parts are dropped (article_rules.toml)."""

    lead_classes: tuple[str, ...]
    reasons_by_tag: dict[str, str]
    reasons_by_class: tuple[tuple[str, str], ...]  # (class/id token, reason), first match wins
    default_reason: str


@lru_cache(maxsize=1)
def html_rules() -> HtmlRules:
    data = tomllib.loads(
        resources.files("newsvoice.assets").joinpath("article_rules.toml").read_text("utf-8")
    )
    h = data["html"]
    by_class = tuple(
        (tok.lower(), reason) for reason, toks in h["reasons_by_class"].items() for tok in toks
    )
    return HtmlRules(
        tuple(c.lower() for c in h["lead_classes"]),
        dict(h["reasons_by_tag"]),
        by_class,
        h["default_reason"],
    )


_BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "figcaption",
        "figure",
        "blockquote",
        "section",
        "article",
        "aside",
        "nav",
        "header",
        "footer",
        "main",
        "table",
        "tr",
        "td",
        "th",
        "dt",
        "dd",
        "dl",
        "form",
        "address",
        "pre",
        "center",
        "details",
        "summary",
    ]
)
_SKIP_TAGS = frozenset(
    ["script", "style", "noscript", "template", "svg", "iframe", "head", "title", "meta", "link"]
)


def html_source(data: bytes, name: str) -> Source:
    """The page's headline, lead and body as text; every other visible block is dropped
    with a reason (navigation, related links, caption, advertisement, byline, ...)."""
    import trafilatura

    try:
        tree = trafilatura.load_html(data)
    except Exception:  # lxml can raise on pathological markup
        tree = None
    if tree is None:
        raise InputError(f"{name}: not a readable HTML page")
    body = (
        trafilatura.extract(
            data,
            include_comments=False,
            include_tables=False,
            include_images=False,
            include_links=False,
            include_formatting=False,
            deduplicate=False,
        )
        or ""
    )
    paras = [" ".join(p.split()) for p in body.split("\n")]
    paras = [p for p in paras if p]
    meta = trafilatura.extract_metadata(tree)
    rules = html_rules()
    headline = _headline(tree, meta.title if meta else None)
    lead = _lead(tree, rules, meta.description if meta else None, paras)
    parts = [headline, lead, *[p for p in paras if p != headline]]
    parts = [p for p in parts if p]
    if not parts:
        raise InputError(f"{name}: no article text found in the page")
    kept = _squash("\n".join(parts))
    dropped = [
        DroppedLine(text, reason)
        for text, reason in _blocks(tree, rules)
        if _squash(text) not in kept
    ]
    scripts = len(tree.xpath("//script|//style"))
    if scripts:
        dropped.append(DroppedLine(f"{scripts} <script>/<style> element(s)", SCRIPT))
    return Source(name, "\n\n".join(parts).encode("utf-8"), tuple(_unique(dropped)), "html")


def _squash(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def _unique(items: list[DroppedLine]) -> Iterator[DroppedLine]:
    seen: set[str] = set()
    for d in items:
        if d.text not in seen:
            seen.add(d.text)
            yield d


def _text(el) -> str:
    return " ".join(unicodedata.normalize("NFC", el.text_content()).split())


def _headline(tree, title: str | None) -> str:
    """The article's h1 when there is one (page titles carry the site name), else the
    metadata title."""
    for h1 in tree.xpath("//body//h1"):
        text = _text(h1)
        if len(text) >= 10:
            return text
    return " ".join((title or "").split())


def _classes(el) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}".lower()


def _lead(tree, rules: HtmlRules, description: str | None, body: list[str]) -> str:
    """The sapo: the first element whose class or id names a lead, else the page's
    description; skipped when the body already starts with it."""
    lead = ""
    for el in tree.xpath("//body//*[@class or @id]"):
        tokens = re.split(r"[\s_]+", _classes(el))
        if any(t in rules.lead_classes for t in tokens) and el.tag not in (
            "body",
            "html",
            "main",
            "article",
        ):
            lead = _text(el)
            if len(lead) >= 30:
                break
            lead = ""
    if not lead and description and len(description) >= 60:
        lead = " ".join(description.split())
    body_text = _squash(" ".join(body[:3]))
    return "" if lead and _squash(lead)[:60] in body_text else lead


def _blocks(tree, rules: HtmlRules) -> Iterator[tuple[str, str]]:
    """Each visible text block of the page with the reason it would be dropped."""
    (body,) = tree.xpath("//body") or [tree]

    def own_text(el) -> list[str]:
        out = [el.text or ""]
        for child in el:
            if (
                isinstance(child.tag, str)
                and child.tag not in _BLOCK_TAGS
                and child.tag not in _SKIP_TAGS
            ):
                out.append(child.text_content())
            out.append(child.tail or "")
        return out

    def walk(el, reason: str | None) -> Iterator[tuple[str, str]]:
        if not isinstance(el.tag, str) or el.tag in _SKIP_TAGS:
            return
        reason = reason or _reason(el, rules)
        text = " ".join(unicodedata.normalize("NFC", "".join(own_text(el))).split())
        if text and any(c.isalpha() for c in text):
            yield text, reason or rules.default_reason
        for child in el:
            if isinstance(child.tag, str) and (child.tag in _BLOCK_TAGS or child.tag in _SKIP_TAGS):
                yield from walk(child, reason)

    yield from walk(body, None)


def _reason(el, rules: HtmlRules) -> str | None:
    if el.tag in rules.reasons_by_tag:
        return rules.reasons_by_tag[el.tag]
    classes = _classes(el)
    if not classes.strip():
        return None
    tokens = set(re.split(r"[\s_]+", classes)) | set(re.split(r"[\s_\-]+", classes))
    return next((reason for tok, reason in rules.reasons_by_class if tok in tokens), None)
