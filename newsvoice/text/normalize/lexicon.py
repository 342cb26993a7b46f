"""Loading the rule data (TSV files) and turning word lists into fast regexes.

Every data file is UTF-8 ``written<TAB>spoken``; ``#`` lines are comments, blank lines are
ignored. Files that do not exist (yet) load as empty, so the normaliser still runs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path

from newsvoice.errors import InputError

# Data files compiled by the lexicon engineer (read-only here).
LEXICON_FILES = (
    "acronyms_spelled.tsv",
    "markets.tsv",
    "clubs.tsv",
    "newsroom.tsv",
    "lexicon.tsv",
    "foreign.tsv",
    "acronyms.tsv",
)
LETTERS_FILE = "letters.tsv"


def asset_path(name: str) -> Path:
    """Path of a data file shipped as the package newsvoice.assets (the top-level assets/)."""
    return Path(str(resources.files("newsvoice.assets").joinpath(name)))


def decode_table(data: bytes, source: str) -> str:
    """UTF-8 (BOM or not), else decoded like an article (UTF-16, Windows-1258, VNI, TCVN3);
    binary or undecodable data is an InputError naming ``source``."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        from newsvoice.inputs.encoding import decode_bytes

        return decode_bytes(data, source=source)[0]


@lru_cache(maxsize=64)
def _load_tsv_cached(path: str, mtime_ns: int) -> tuple[tuple[str, str], ...]:
    """Parse once per file version; the mtime in the key picks up an edited file."""
    rows: list[tuple[str, str]] = []
    text = decode_table(Path(path).read_bytes(), path)
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        written, sep, spoken = line.partition("\t")
        if not sep or not written.strip():
            continue
        written = unicodedata.normalize("NFC", written.strip())
        spoken = unicodedata.normalize("NFC", " ".join(spoken.split()))
        rows.append((written, spoken))
    return tuple(rows)


def load_rows(path: Path) -> tuple[tuple[str, str], ...]:
    """All (written, spoken) rows of one TSV file, repeats kept (() when missing)."""
    try:
        mtime = path.stat().st_mtime_ns
        return _load_tsv_cached(str(path), mtime)
    except (OSError, UnicodeDecodeError):
        return ()


def load_tsv(path: Path) -> dict[str, str]:
    """written -> spoken of one TSV file ({} when it is missing or unreadable)."""
    return dict(load_rows(path))


_MARK = re.compile(r"<\s*/?\s*(break|sub)\b", re.I)


def user_rows(text: str, source: str) -> list[tuple[str, str]]:
    """A producer's lexicon (--lexicon, the service's per-token one), read strictly: each
    line not blank or a # comment is written<TAB>spoken. An empty spoken form (it would
    silence the word) or a <break>/<sub> mark in it (marks belong in the article; the
    engine would say them) is an InputError naming the line."""
    rows: list[tuple[str, str]] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        written, sep, spoken = line.partition("\t")
        where = f"{source} line {n}"
        if not sep or not written.strip() or "\t" in spoken:
            raise InputError(f"{where}: want written<TAB>spoken")
        if not spoken.strip():
            raise InputError(f"{where}: {written.strip()!r} has an empty spoken form")
        if _MARK.search(spoken):
            raise InputError(
                f"{where}: a spoken form cannot hold a <break> or <sub> mark "
                "(put the mark in the article)"
            )
        rows.append(
            (
                unicodedata.normalize("NFC", written.strip()),
                unicodedata.normalize("NFC", " ".join(spoken.split())),
            )
        )
    return rows


def merge_tables(paths: Iterable[Path]) -> dict[str, str]:
    """Later files override earlier ones (user lexicons come last)."""
    merged: dict[str, str] = {}
    for p in paths:
        merged.update(load_tsv(p))
    return merged


def trie_pattern(words: Iterable[str]) -> str:
    """One regex alternation for many literal words, shaped as a trie so matching is
    fast and always prefers the longest entry (TP.HCM over TP.)."""
    trie: dict = {}
    for word in words:
        if not word:
            continue
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _node_pattern(trie) if trie else "(?!)"


def _node_pattern(node: Mapping[str, dict]) -> str:
    ends = "" in node
    branches = [re.escape(ch) + _node_pattern(child) for ch, child in node.items() if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return "(?:" + body + ")?" if ends else body
