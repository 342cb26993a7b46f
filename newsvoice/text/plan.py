"""The plan: article -> sentences -> prosodic synthesis units (written + spoken).

A unit ends only where a newsreader pauses: sentence end, paragraph, clause
punctuation, a closing parenthesis or quote, a ``<break>`` mark. Subtitle cues
are cut later from the word timeline, anywhere between two words, so cutting
a cue never cuts the voice. An engine that cannot take long text (gTTS) gets a
long clause cut at its weakest boundary, with no pause added there.

Every written token knows which spoken words say it (``Token.spoken``), so a
token such as "1.250.000" spans exactly "một triệu hai trăm năm mươi nghìn".
The plan is final once built: nothing later re-plans.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from newsvoice.findings import WARNING, Finding
from newsvoice.inputs.sources import DroppedLine
from newsvoice.text.article import Article, line_findings
from newsvoice.text.marks import leading_break, parse_marks
from newsvoice.text.normalize import Normalizer
from newsvoice.text.normalize.syllables import is_caps_line
from newsvoice.text.pauses import Pauses
from newsvoice.text.sentences import split_sentences
from newsvoice.text.words import Word, boundary_costs, tokenize


@dataclass(frozen=True)
class Token:
    """A written word of the narrated text and the spoken words that say it."""

    word: Word
    spoken: tuple[str, ...]

    @property
    def written(self) -> str:
        return self.word.written


@dataclass(frozen=True)
class Unit:
    """One call to the engine: a prosodic phrase of one sentence and the pause after it."""

    tokens: tuple[Token, ...]
    spoken: str
    paragraph: int
    sentence: int
    pause_after_ms: int
    ends_sentence: bool

    @property
    def written(self) -> str:
        return " ".join(t.written for t in self.tokens)

    @property
    def words(self) -> tuple[Word, ...]:
        return tuple(t.word for t in self.tokens)


@dataclass(frozen=True)
class Plan:
    units: list[Unit]
    headline: str | None
    dropped: list[DroppedLine] = field(default_factory=list)
    notices: list[Finding] = field(default_factory=list)  # what the plan had to decide (warnings)
    findings: list[Finding] = field(default_factory=list)  # readings to check (severity "check")

    @property
    def warnings(self) -> list[str]:
        """The notices as the one-line texts the CLI prints."""
        return [str(f) for f in self.notices]


def looks_like_headline(line: DroppedLine) -> bool:
    """A dropped line above the headline that reads like Vietnamese prose may be the real
    headline taken for navigation: worth telling the producer (not for English web UI)."""
    words = line.text.split()
    menu = len(re.findall(r"\s[>»›|/]\s|[»›|]", line.text)) >= 2  # three or more parts: a menu
    return (
        line.before_headline
        and len(words) >= 5
        and not menu
        and any(ch in _VI_LETTERS for ch in line.text.lower())
    )


_VI_LETTERS = set("đăâêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ")


def spoken_text(text: str, normalizer: Normalizer) -> str:
    """Spoken form of a written line with inline marks: plain runs are normalised,
    <sub> spans speak their alias, <break> spans say nothing."""
    parts: list[str] = []
    for span in parse_marks(text):
        if span.alias is not None:
            parts.append(span.alias)
        elif span.written.strip():
            parts.append(normalizer.normalize(span.written))
    spoken = " ".join(" ".join(parts).split())
    if is_caps_line(text):
        # an ALL-CAPS headline: acronyms are already words, so lower case keeps
        # engines from spelling "TỈNH" letter by letter
        spoken = spoken.lower()
    # quotation marks are not said, and engines pause at them mid-clause
    spoken = " ".join(w for w in (w.strip(_QUOTES) for w in spoken.split()) if w)
    return unicodedata.normalize("NFC", spoken)


_QUOTES = '“”"‘’«»'


def spoken_findings(
    text: str, normalizer: Normalizer, *, sentence: int | None = None
) -> tuple[str, list[Finding]]:
    """spoken_text plus the readings of plain runs a producer should check (flags.py)."""
    found: list[Finding] = []
    for span in parse_marks(text):
        if span.alias is None and span.written.strip():
            found += normalizer.normalize_with_findings(span.written, sentence=sentence)[1]
    return spoken_text(text, normalizer), found


_KEY = re.compile(r"\w+")
_PLAIN = re.compile(r"^[^\W\d_]+$")


def word_key(text: str) -> str:
    """Comparison key of a word: its letters, lower case ("viên," -> "viên")."""
    return "".join(_KEY.findall(text.lower()))


def _standalone(word: Word, normalizer: Normalizer, memo: dict[str, list[str]]) -> list[str]:
    """How a token would be said on its own (context-free guess for the map)."""
    core = word.source.strip("“”\"'‘’()[]«»,;:.!?…")
    if _PLAIN.match(core) and not (len(core) > 1 and core.isupper()):
        return [core]  # an ordinary word is said as written
    if word.source not in memo:
        memo[word.source] = spoken_text(word.source, normalizer).split()
    return memo[word.source]


def map_spoken(
    words: Sequence[Word],
    spoken: str,
    normalizer: Normalizer,
    memo: dict[str, list[str]] | None = None,
) -> list[tuple[str, ...]]:
    """Which spoken words say each written word (in order, covering ``spoken`` exactly).

    Each token is first said on its own; that guess is matched to the spoken
    text by sequence alignment, and spoken words between matches go to the
    unmatched tokens there, in proportion to their guessed lengths. Context
    rules (dates, ranges, units) change words only inside such gaps."""
    memo = {} if memo is None else memo
    spoken_words = spoken.split()
    guess: list[str] = []
    owner: list[int] = []
    for k, w in enumerate(words):
        for s in _standalone(w, normalizer, memo):
            guess.append(word_key(s))
            owner.append(k)
    target = [word_key(s) for s in spoken_words]
    out: list[list[str]] = [[] for _ in words]
    sm = difflib.SequenceMatcher(None, guess, target, autojunk=False)
    gi = ti = 0

    def fill_gap(g0: int, g1: int, t0: int, t1: int) -> None:
        if t0 >= t1:
            return
        owners = sorted(set(owner[g0:g1]))
        if not owners:
            # spoken words no token guessed: they belong to the token before (or after)
            k = owner[g0 - 1] if g0 > 0 else (owner[g0] if g0 < len(owner) else len(words) - 1)
            out[max(0, k)].extend(spoken_words[t0:t1])
            return
        weights = [sum(1 for o in owner[g0:g1] if o == k) for k in owners]
        total, n, pos = sum(weights), t1 - t0, t0
        for i, (k, wt) in enumerate(zip(owners, weights, strict=True)):
            take = n - (pos - t0) if i == len(owners) - 1 else round(n * wt / total)
            take = max(0, min(take, t1 - pos))
            out[k].extend(spoken_words[pos : pos + take])
            pos += take

    for blk in sm.get_matching_blocks():
        fill_gap(gi, blk.a, ti, blk.b)
        for i in range(blk.size):
            out[owner[blk.a + i]].append(spoken_words[blk.b + i])
        gi, ti = blk.a + blk.size, blk.b + blk.size
    return [tuple(o) for o in out]


_CLAUSE_END = (",", ";", ":", "…", "...")
_CLOSERS = ("”", '"', "’", ")", "»", "]")
_DASHES = {"-", "–", "—"}
_DIGIT = re.compile(r"\d")


def pause_after(word: Word, nxt: Word | None, pauses: Pauses) -> int | None:
    """The pause a reader makes after ``word`` inside a sentence, or None (no pause).
    A dash between numbers is a range ("2020 - 2025"), said in one breath."""
    text = word.written
    bare = text.rstrip('”"’)»]')
    if word.break_ms:
        base = pauses.comma if bare.endswith(_CLAUSE_END) else 0
        return max(base, word.break_ms)
    if bare.endswith(_CLAUSE_END):
        return pauses.comma
    if text.endswith(_CLOSERS):
        return pauses.phrase
    if (text in _DASHES or text.endswith(("–", "—"))) and not (nxt and _DIGIT.search(nxt.written)):
        return pauses.phrase
    return None


def prosodic_units(
    words: Sequence[Word], pauses: Pauses, max_spoken: int | None, spoken_len: Callable[[Word], int]
) -> list[tuple[list[Word], int | None]]:
    """Cut a sentence where a reader pauses: (words, pause after or None at the end).

    A clause longer than ``max_spoken`` spoken characters is cut again at its
    cheapest boundaries (the subtitle costs: never inside a word or a number
    and its unit) with no pause, so the engine hears it as one breath."""
    groups: list[tuple[list[Word], int | None]] = []
    cur: list[Word] = []
    for i, w in enumerate(words):
        cur.append(w)
        p = pause_after(w, words[i + 1], pauses) if i < len(words) - 1 else None
        if p is not None:
            groups.append((cur, p))
            cur = []
    if cur:
        groups.append((cur, None))
    if max_spoken is None:
        return groups
    out: list[tuple[list[Word], int | None]] = []
    for ws, p in groups:
        parts = _cut_long(ws, max_spoken, spoken_len)
        out.extend((part, p if k == len(parts) - 1 else 0) for k, part in enumerate(parts))
    return out


def _cut_long(
    words: list[Word], max_spoken: int, spoken_len: Callable[[Word], int]
) -> list[list[Word]]:
    """Fewest, cheapest cuts that keep every part within ``max_spoken`` characters."""
    n = len(words)
    lens = [spoken_len(w) + 1 for w in words]
    if sum(lens) <= max_spoken or n < 2:
        return [words]
    costs = boundary_costs(words)
    best = [float("inf")] * (n + 1)
    back = [0] * (n + 1)
    best[0] = 0.0
    for j in range(1, n + 1):
        total = 0
        for i in range(j - 1, -1, -1):
            total += lens[i]
            if total > max_spoken and j - i > 1:
                break
            if best[i] == float("inf"):
                continue
            c = best[i] + 1.0 + (costs[j - 1] if j < n else 0.0)
            if c < best[j]:
                best[j], back[j] = c, i
    parts: list[list[Word]] = []
    j = n
    while j > 0:
        parts.append(words[back[j] : j])
        j = back[j]
    return parts[::-1]


def plan_sentence(
    sentence: str,
    normalizer: Normalizer,
    pauses: Pauses,
    *,
    paragraph: int,
    index: int,
    end_pause: int,
    max_spoken: int | None,
    memo: dict[str, list[str]],
) -> list[Unit]:
    """Cut one sentence into prosodic units and say each, token by token."""
    words = tokenize(sentence)
    if not words:
        return []

    def spoken_len(w: Word) -> int:
        return len(" ".join(_standalone(w, normalizer, memo)))

    units: list[Unit] = []
    for ws, pause in prosodic_units(words, pauses, max_spoken, spoken_len):
        spoken = spoken_text(" ".join(w.source for w in ws), normalizer)
        said = map_spoken(ws, spoken, normalizer, memo)
        tokens = tuple(Token(w, s) for w, s in zip(ws, said, strict=True))
        last = pause is None
        after = max(end_pause, ws[-1].break_ms) if pause is None else pause
        units.append(Unit(tokens, spoken, paragraph, index, after, last))
    return units


def build_plan(
    article: Article,
    normalizer: Normalizer,
    *,
    pauses: Pauses | None = None,
    narrate_headline: bool = True,
    max_spoken: int | None = None,
) -> Plan:
    """Every unit of the article in reading order, with the pause after each.

    ``max_spoken`` caps a unit's spoken characters for engines with a text limit."""
    pauses = pauses or Pauses()
    paragraphs = list(article.paragraphs)
    if narrate_headline and article.headline:
        paragraphs.insert(0, article.headline)
    units: list[Unit] = []
    memo: dict[str, list[str]] = {}
    findings: list[Finding] = []
    n_sent = 0
    for p_idx, para in enumerate(paragraphs):
        sents = split_sentences(para)
        for s_idx, sent in enumerate(sents):
            lead_ms, sent = leading_break(sent)
            if lead_ms and units:
                units[-1] = replace(
                    units[-1], pause_after_ms=max(units[-1].pause_after_ms, lead_ms)
                )
            end_pause = pauses.paragraph if s_idx == len(sents) - 1 else pauses.sentence
            got = plan_sentence(
                sent,
                normalizer,
                pauses,
                paragraph=p_idx,
                index=n_sent,
                end_pause=end_pause,
                max_spoken=max_spoken,
                memo=memo,
            )
            units.extend(u for u in got if u.written.strip() or u.spoken.strip())
            n_sent += 1
            findings += sentence_findings(sent, normalizer, n_sent)
    notices = [
        Finding(
            f"sentence {u.sentence + 1}",
            WARNING,
            "nothing-to-say",
            f"nothing to say for {u.written!r}",
            sentence=u.sentence + 1,
            token=u.written,
        )
        for u in units
        if not u.spoken.strip()
    ]
    notices += [
        Finding(
            "article",
            WARNING,
            "dropped-headline",
            f"a line above the headline was dropped as {d.reason}: {d.text[:70]!r} "
            "(--keep-all keeps it)",
            token=d.text,
        )
        for d in article.dropped
        if looks_like_headline(d)
    ]
    return Plan(
        units=units,
        headline=article.headline,
        dropped=list(article.dropped),
        notices=notices,
        findings=first_of_each(findings + line_findings(article)),
    )


def first_of_each(findings: list[Finding]) -> list[Finding]:
    """One finding per (rule, token): a producer checks a reading once, not at every repeat."""
    seen: set[tuple[str, str | None]] = set()
    out = []
    for f in findings:
        if (f.rule, f.token) not in seen:
            seen.add((f.rule, f.token))
            out.append(f)
    return out


def sentence_findings(sentence: str, normalizer: Normalizer, number: int) -> list[Finding]:
    """The readings of one narrated sentence (1-based ``number``) a producer should check."""
    return spoken_findings(sentence, normalizer, sentence=number)[1]


def explain_lines(
    paragraphs: list[str], normalizer: Normalizer, article: Article | None = None
) -> list[str]:
    """`sentences --explain`: each sentence followed by its flagged readings, one
    '#   check RULE: TOKEN -> READING' line each (paragraphs of newline-joined sentences);
    with the ``article``, its weak line decisions close the list ('#   check
    weak-line-decision: ...')."""
    out, n = [], 0
    for para in paragraphs:
        lines = []
        for sent in para.split("\n"):
            n += 1
            lines.append(sent)
            lines += [
                f"#   check {f.rule}: {f.token} -> {f.reading}"
                for f in sentence_findings(sent, normalizer, n)
            ]
        out.append("\n".join(lines))
    if article is not None:
        weak = [f"#   check {f.rule}: {f.message}" for f in line_findings(article)]
        if weak:
            out.append("\n".join(weak))
    return out
