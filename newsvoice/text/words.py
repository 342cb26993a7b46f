"""Words of a sentence, what it costs to cut between two of them, and line layout.

One scoring of word boundaries serves cue cuts (newsvoice.subtitles.cutter), line breaks
and long-clause cuts for engines with a text limit (newsvoice.text.plan): clause
punctuation is the best place to cut, then before a conjunction or
preposition, and never (unless nothing else fits) between a number and its
unit, inside a date, code or range, or inside a run of capitalised name
syllables or a place name after its head word.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from newsvoice.text.marks import parse_marks


@dataclass(frozen=True)
class Word:
    """One whitespace token of a sentence (or one atomic <sub> mark).

    ``source`` keeps inline marks for the speech side; ``written`` is what a
    viewer sees; ``break_ms`` is an explicit <break> right after the word.
    """

    source: str
    written: str
    break_ms: int = 0


@dataclass(frozen=True)
class BreakRules:
    """Costs of cutting at a word boundary (from assets/cue_breaks.toml)."""

    cost: dict[str, float]
    connectors: frozenset[str]
    connector_pairs: frozenset[tuple[str, str]]
    compounds: frozenset[tuple[str, str]] = frozenset()
    heads: frozenset[str] = frozenset()


def compound_pairs(lines: Sequence[str]) -> frozenset[tuple[str, str]]:
    """Adjacent syllable pairs of multi-syllable words ("công tác" -> ("công", "tác")):
    Vietnamese writes syllables, not words, with spaces, so a word boundary is data."""
    pairs: set[tuple[str, str]] = set()
    for line in lines:
        syl = unicodedata.normalize("NFC", line.strip().lower()).split()
        if line.lstrip().startswith("#") or len(syl) < 2:
            continue
        pairs.update(zip(syl, syl[1:], strict=False))
    return frozenset(pairs)


@lru_cache(maxsize=1)
def default_rules() -> BreakRules:
    """The shipped rules (immutable, so loading them once is safe)."""
    assets = resources.files("newsvoice.assets")
    data = tomllib.loads(assets.joinpath("cue_breaks.toml").read_text("utf-8"))
    words = data["words"]["connectors"]
    singles = frozenset(w for w in words if " " not in w)
    pairs = frozenset(tuple(w.split(" ", 1)) for w in words if " " in w)
    compounds = assets.joinpath("compounds.txt")
    comp = (
        compound_pairs(compounds.read_text("utf-8").splitlines())
        if compounds.is_file()
        else frozenset()
    )
    return BreakRules(
        cost={k: float(v) for k, v in data["cost"].items()},
        connectors=singles,
        connector_pairs=pairs,
        compounds=comp,  # type: ignore[arg-type]
        heads=frozenset(data["words"].get("name_heads", [])),
    )


def tokenize(sentence: str) -> list[Word]:
    """Whitespace tokens; a <sub> mark is one token, a <break> attaches to the word before."""
    words: list[Word] = []
    pending_break = 0
    at_space = True  # whether the text so far ends in whitespace (or is empty)

    def add(source: str, written: str, glue: bool) -> None:
        if glue and words and not words[-1].break_ms:
            last = words[-1]
            words[-1] = Word(last.source + source, last.written + written)
        else:
            words.append(Word(source, written))

    for span in parse_marks(sentence):
        if span.is_break:
            if words:
                last = words[-1]
                words[-1] = Word(last.source, last.written, last.break_ms + span.break_ms)
            else:
                pending_break += span.break_ms
            at_space = True
            continue
        if span.alias is not None:
            src = f'<sub alias="{span.alias}">{span.written}</sub>'
            add(src, " ".join(span.written.split()), glue=not at_space)
            at_space = False
            continue
        text = span.written
        for i, tok in enumerate(text.split()):
            add(tok, tok, glue=i == 0 and not at_space and not text[:1].isspace())
        if text.strip():
            at_space = text[-1].isspace()
        elif text:
            at_space = True
    if pending_break and words:
        # a break before the first word has nothing to follow; keep it as a pause after it
        first = words[0]
        words[0] = Word(first.source, first.written, first.break_ms + pending_break)
    return words


_DIGIT = re.compile(r"\d")
_CLAUSE_END = (",", ";", ":")
_OPENERS = ("“", '"', "(", "‘", "'", "[", "«")
_DASHES = {"-", "–", "—"}


def _core(tok: str) -> str:
    return tok.strip("“”\"'‘’()[]«»,;:.!?…")


def _is_capitalised(tok: str) -> bool:
    core = _core(tok)
    return bool(core) and core[0].isupper() and not _DIGIT.search(core)


def break_cost(prev: Word, nxt: Word, rules: BreakRules, after_next: Word | None = None) -> float:
    """Cost of cutting between ``prev`` and ``nxt`` (lower is better)."""
    c = rules.cost
    p, n = prev.written, nxt.written
    if prev.break_ms:
        return c["clause"]
    if p.endswith(("…", "...")):
        return c["ellipsis"]
    if p.endswith(_CLAUSE_END) or p.rstrip('”"’)').endswith(_CLAUSE_END):
        return c["clause"]
    p_num, n_num = bool(_DIGIT.search(p)), bool(_DIGIT.search(n))
    low = _core(n).lower()
    is_connector = low in rules.connectors or (
        after_next is not None and (low, _core(after_next.written).lower()) in rules.connector_pairs
    )
    if n in _DASHES:
        return c["number_dash"] if p_num else c["dash"]
    if p in _DASHES:
        return c["number_dash"] if n_num else c["dash"]
    if p.endswith("."):
        return c["after_dot"]
    if n.startswith("(") and n.rstrip(",;:.").endswith(")"):
        return c["gloss"]  # "(GRDP)", "(+6,2%)" belong to the words they gloss
    if (_core(p).lower(), low) in rules.compounds and p == _core(p) and n == _core(n):
        return c["inside_word"]
    if is_connector and not n_num and _core(p).lower() not in rules.connectors:
        return c["connector"]  # not between two function words: "sẽ | được"
    if p_num:
        return c["number_unit"]
    if n_num:
        return c["before_number"]
    if n.startswith(_OPENERS):
        return c["quote_open"]
    if _is_capitalised(n) and (_is_capitalised(p) or _core(p).lower() in rules.heads):
        return c["name_run"]  # "Nguyễn | Hảo", "huyện | Tuy An"
    return c["plain"]


def boundary_costs(words: Sequence[Word], rules: BreakRules | None = None) -> list[float]:
    """costs[i] is the cost of cutting between words[i] and words[i+1]."""
    rules = rules or default_rules()
    return [
        break_cost(words[i], words[i + 1], rules, words[i + 2] if i + 2 < len(words) else None)
        for i in range(len(words) - 1)
    ]


def display_width(text: str) -> int:
    """Columns ``text`` takes on screen: a combining mark that NFC cannot fold into its
    letter takes none (nor does a zero-width or format character), a wide or full-width
    character (CJK) takes two. Code points overcount the first and undercount the second."""
    text = unicodedata.normalize("NFC", text)
    if text.isascii():
        return len(text)
    return sum(map(_char_width, text))


@lru_cache(maxsize=4096)
def _char_width(ch: str) -> int:
    """One NFC character's columns (the cutter asks for the same few letters thousands of
    times a render)."""
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def text_len(words: Sequence[Word]) -> int:
    """Columns a viewer sees for these words on one line (:func:`display_width`)."""
    return display_width(" ".join(w.written for w in words))


def layout(
    words: Sequence[Word], max_chars: int, max_lines: int = 2, costs: Sequence[float] | None = None
) -> tuple[float, list[str]] | None:
    """Best way to lay words into at most ``max_lines`` lines of ``max_chars``:
    (cost, lines), cutting at good places and keeping lines balanced; None when
    they cannot fit."""
    if not words:
        return 0.0, []
    if text_len(words) <= max_chars:
        return 0.0, [" ".join(w.written for w in words)]
    if max_lines < 2:
        return None
    costs = list(costs) if costs is not None else boundary_costs(words)
    best: tuple[float, list[str]] | None = None
    for k in range(1, len(words)):
        head = text_len(words[:k])
        if head > max_chars:
            break
        rest = layout(words[k:], max_chars, max_lines - 1, costs[k:])
        if rest is None:
            continue
        lens = [head] + [display_width(r) for r in rest[1]]
        score = rest[0] + costs[k - 1] + (max(lens) - min(lens)) / 12
        if best is None or score < best[0]:
            best = (score, [" ".join(w.written for w in words[:k])] + rest[1])
    return best
