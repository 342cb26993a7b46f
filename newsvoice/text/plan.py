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

import bisect
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


SYNC_WINDOW = 32  # how far ahead a lost alignment looks for the next word both sides say


def matching_blocks(
    a: Sequence[str], b: Sequence[str], window: int = SYNC_WINDOW
) -> list[tuple[int, int, int]]:
    """(i, j, size) runs with ``a[i:i+size] == b[j:j+size]``, in order, ending with
    ``(len(a), len(b), 0)`` like difflib's. Greedy and near-linear: runs are followed
    while equal; where they differ, the next ``window`` words of each side are looked up
    in the other (an index of positions, so a long insertion on either side is found)
    and the nearest equal pair resumes them. difflib's matcher is quadratic in the worst
    case: a 1 MB unpunctuated sentence or a 700 kB lexicon form took minutes (issue 28 #10)."""
    where_a, where_b = _positions(a), _positions(b)
    blocks: list[tuple[int, int, int]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        if a[i] == b[j]:
            i0, j0 = i, j
            while i < len(a) and j < len(b) and a[i] == b[j]:
                i, j = i + 1, j + 1
            blocks.append((i0, j0, i - i0))
            continue
        best: tuple[int, int] | None = None
        for di in range(min(window, len(a) - i)):
            dj = _next_at(where_b.get(a[i + di], ()), j) - j
            if dj >= 0 and (best is None or di + dj < sum(best)):
                best = (di, dj)
        for dj in range(min(window, len(b) - j)):
            di = _next_at(where_a.get(b[j + dj], ()), i) - i
            if di >= 0 and (best is None or di + dj < sum(best)):
                best = (di, dj)
        if best is None:
            break  # nothing left in common: the rest is one gap
        i, j = i + best[0], j + best[1]
    blocks.append((len(a), len(b), 0))
    return blocks


def _positions(seq: Sequence[str]) -> dict[str, list[int]]:
    where: dict[str, list[int]] = {}
    for k, x in enumerate(seq):
        where.setdefault(x, []).append(k)
    return where


def _next_at(positions: Sequence[int], start: int) -> int:
    """The first of the sorted ``positions`` at or after ``start``; -1 if none."""
    k = bisect.bisect_left(positions, start)
    return positions[k] if k < len(positions) else -1


def map_spoken(
    words: Sequence[Word],
    spoken: str,
    normalizer: Normalizer,
    memo: dict[str, list[str]] | None = None,
) -> list[tuple[str, ...]]:
    """Which spoken words say each written word (in order, covering ``spoken`` exactly).

    Each token is first said on its own; that guess is matched to the spoken
    text by a linear alignment (:func:`matching_blocks`), and spoken words between matches go to the
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

    for a, b, size in matching_blocks(guess, target):
        fill_gap(gi, a, ti, b)
        for i in range(size):
            out[owner[a + i]].append(spoken_words[b + i])
        gi, ti = a + size, b + size
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


# Longest unit, in spoken characters, whatever the engine (about 25 s of speech; the
# longest clause of the sample articles has 200): a sentence with no pause points is
# cut into bounded units, so time and memory per unit stay bounded (issue 28 #10).
MAX_UNIT_SPOKEN = 400


def prosodic_units(
    words: Sequence[Word], pauses: Pauses, max_spoken: int | None, spoken_len: Callable[[Word], int]
) -> list[tuple[list[Word], int | None]]:
    """Cut a sentence where a reader pauses: (words, pause after or None at the end).

    A clause longer than ``max_spoken`` spoken characters (at most
    :data:`MAX_UNIT_SPOKEN`) is cut again at its cheapest boundaries (the subtitle
    costs: never inside a word or a number and its unit) with no pause, so the engine
    hears it as one breath."""
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
    limit = MAX_UNIT_SPOKEN if max_spoken is None else min(max_spoken, MAX_UNIT_SPOKEN)
    out: list[tuple[list[Word], int | None]] = []
    for ws, p in groups:
        parts = _cut_long(ws, limit, spoken_len)
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


# Programme length (issue 28 #11), checked on the plan before any synthesis:
MAX_PROGRAMME_S = 3 * 3600  # 3 h; even 24-bit stereo at 48 kHz (3.1 GB) fits a RIFF WAV
MAX_SILENCE_S = 3600  # pauses and <break> marks together: never more than 1 h ...
MIN_SILENCE_ALLOWED_S = 60  # ... nor more than the speech, unless under a minute
FAST_CPS = 25  # spoken characters a second, faster than any engine: a lower bound


def length_problem(plan: Plan, *, head_ms: int = 0, tail_ms: int = 0) -> str | None:
    """Why this plan would make a programme too long to narrate, or None. The speech is
    estimated from below (FAST_CPS), so a refusal is never a guess on the long side;
    thousands of ``<break time="10s"/>`` marks made 8 h of silence and a WAV that
    failed after the whole render."""
    silence = (sum(u.pause_after_ms for u in plan.units) + head_ms + tail_ms) / 1000
    speech = sum(len(u.spoken) for u in plan.units) / FAST_CPS
    allowed = min(MAX_SILENCE_S, max(MIN_SILENCE_ALLOWED_S, speech))
    if silence > allowed:
        return (
            f"pauses and <break> marks add up to {_clock(silence)} of silence; the limit is "
            f"{_clock(allowed)} (as long as the speech, at least 1 min, at most "
            f"{_clock(MAX_SILENCE_S)})"
        )
    if speech + silence > MAX_PROGRAMME_S:
        return (
            f"too long to narrate: at least {_clock(speech + silence)} of audio "
            f"(limit {_clock(MAX_PROGRAMME_S)}); split the article"
        )
    return None


def _clock(seconds: float) -> str:
    s = round(seconds)
    h, m, sec = s // 3600, s // 60 % 60, s % 60
    return f"{h} h {m:02d} min" if h else f"{m} min {sec:02d} s" if m else f"{sec} s"


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
