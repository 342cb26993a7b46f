"""Markdown articles (.md) as the text a newsreader reads: headings, paragraphs, list
items and quotes become paragraphs of plain text; emphasis, links and inline code keep
only their words; code blocks, images, raw HTML, tables and front matter are dropped
with a reason, so no ``#``, ``*``, ``[]()`` or fence is ever narrated.

markdown-it-py (CommonMark, the parser rich already brings) does the parsing; this
module only walks its tokens.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from newsvoice.inputs.encoding import MAX_BYTES, decode_bytes

if TYPE_CHECKING:
    from markdown_it.token import Token

CODE = "code block"
IMAGE = "image"
HTML = "raw HTML"
TABLE = "table skipped"
FRONT_MATTER = "front matter"

_FRONT = re.compile(
    r"\A(?:---|\+\+\+)[ \t]*\r?\n.*?\r?\n(?:---|\+\+\+|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S
)
_BLOCKS = {"heading_open", "paragraph_open"}  # the blocks whose inline text is read


def markdown_text(text: str) -> tuple[str, list[tuple[str, str]]]:
    """(plain text, one block a paragraph; [(dropped text, reason)]) of Markdown ``text``."""
    from markdown_it import MarkdownIt

    dropped: list[tuple[str, str]] = []
    front = _FRONT.match(text)
    if front:
        dropped.append((" ".join(front.group(0).split())[:200], FRONT_MATTER))
        text = text[front.end() :]
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    paras = list(_paragraphs(tokens, dropped))
    return "\n\n".join(paras), dropped


def _paragraphs(tokens: Sequence[Token], dropped: list[tuple[str, str]]) -> Iterator[str]:
    table = 0
    for i, tok in enumerate(tokens):
        if tok.type == "table_open":
            table += 1
            dropped.append((_first_cell(tokens, i), TABLE))
        elif tok.type == "table_close":
            table -= 1
        elif table:
            continue
        elif tok.type in ("fence", "code_block"):
            dropped.append((" ".join(tok.content.split())[:200], CODE))
        elif tok.type == "html_block":
            dropped.append((" ".join(tok.content.split())[:200], HTML))
        elif tok.type == "inline" and i > 0 and tokens[i - 1].type in _BLOCKS:
            words = " ".join(_inline_text(tok.children or [], dropped).split())
            if words:
                yield words


def _inline_text(children: Sequence[Token], dropped: list[tuple[str, str]]) -> str:
    """The words of an inline run: text and code spans; breaks become spaces; images and
    inline HTML are dropped (a reader does not say them)."""
    out: list[str] = []
    for c in children:
        if c.type in ("text", "code_inline"):
            out.append(c.content)
        elif c.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif c.type == "image":
            dropped.append((c.content or str(c.attrs.get("src", "")), IMAGE))
        elif c.type == "html_inline":
            dropped.append((c.content, HTML))
    return "".join(out)


def _first_cell(tokens: Sequence[Token], i: int) -> str:
    for tok in tokens[i:]:
        if tok.type == "inline":
            return f"[table] {tok.content}"[:200]
    return "[table]"


def markdown_bytes(
    data: bytes, *, source: str = "input", max_bytes: int = MAX_BYTES
) -> tuple[bytes, list[tuple[str, str]]]:
    """Markdown bytes in any encoding an article may have -> UTF-8 plain text bytes."""
    text, _ = decode_bytes(data, source=source, max_bytes=max_bytes)
    plain, dropped = markdown_text(text)
    return plain.encode("utf-8"), dropped
