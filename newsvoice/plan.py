"""The plan of spoken units: article -> sentences -> phrases (written + spoken).

Data flows one way: text -> Plan -> audio + timings -> files. A phrase is the
unit of synthesis and the unit of subtitle timing: it is a cue-sized piece of
one sentence, so every cue boundary is an audio boundary.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace

from newsvoice.article import Article, DroppedLine
from newsvoice.marks import leading_break, parse_marks
from newsvoice.normalize import Normalizer
from newsvoice.normalize.syllables import is_caps_line
from newsvoice.segment import PieceLimits, Word, split_pieces, tokenize
from newsvoice.sentences import split_sentences

_DIGIT_OR_CAPS = re.compile(r"\d|[A-ZĐ]{2}")


@dataclass(frozen=True)
class Pauses:
    """Silence in milliseconds after each kind of boundary (and around the programme)."""

    phrase: int = 200      # a cue cut with no punctuation
    comma: int = 300       # after , ; :
    sentence: int = 600
    paragraph: int = 1000
    head: int = 300        # pre-roll
    tail: int = 700        # post-roll


@dataclass(frozen=True)
class Phrase:
    """One unit of speech: what the subtitle shows and what the engine says."""

    written: str
    spoken: str
    words: tuple[Word, ...]
    paragraph: int
    sentence: int
    pause_after_ms: int
    ends_sentence: bool


@dataclass(frozen=True)
class Plan:
    phrases: list[Phrase]
    headline: str | None
    dropped: list[DroppedLine] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


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
    return unicodedata.normalize("NFC", spoken)


def _spoken_len_fn(normalizer: Normalizer):
    """Estimate a word's spoken length: numbers and acronyms expand when read."""
    memo: dict[str, float] = {}

    def spoken_len(w: Word) -> float:
        if not _DIGIT_OR_CAPS.search(w.source) and "<sub" not in w.source:
            return float(len(w.written))
        if w.source not in memo:
            memo[w.source] = float(len(spoken_text(w.source, normalizer)))
        return memo[w.source]

    return spoken_len


def _pause_after(words: tuple[Word, ...], pauses: Pauses) -> int:
    last = words[-1]
    text = last.written.rstrip("”\"’)»")
    base = pauses.comma if text.endswith((",", ";", ":", "…", "...", "–", "-")) else pauses.phrase
    return max(base, last.break_ms) if last.break_ms else base


def make_phrases(words: tuple[Word, ...], normalizer: Normalizer, *, paragraph: int, sentence: int,
                 pause_after_ms: int, ends_sentence: bool) -> Phrase:
    return Phrase(
        written=" ".join(w.written for w in words),
        spoken=spoken_text(" ".join(w.source for w in words), normalizer),
        words=words, paragraph=paragraph, sentence=sentence,
        pause_after_ms=pause_after_ms, ends_sentence=ends_sentence,
    )


def plan_sentence(sentence: str, normalizer: Normalizer, limits: PieceLimits, pauses: Pauses, *,
                  paragraph: int, index: int, end_pause: int) -> list[Phrase]:
    """Cut one sentence into phrases and say each."""
    words = tokenize(sentence)
    if not words:
        return []
    pieces = split_pieces(words, limits, _spoken_len_fn(normalizer))
    out: list[Phrase] = []
    for k, piece in enumerate(pieces):
        last = k == len(pieces) - 1
        t = tuple(piece)
        pause = max(end_pause, t[-1].break_ms) if last else _pause_after(t, pauses)
        out.append(make_phrases(t, normalizer, paragraph=paragraph, sentence=index,
                                pause_after_ms=pause, ends_sentence=last))
    return out


def build_plan(article: Article, normalizer: Normalizer, *, limits: PieceLimits | None = None,
               pauses: Pauses | None = None, narrate_headline: bool = True) -> Plan:
    """Every phrase of the article in reading order, with the pause after each."""
    limits = limits or PieceLimits()
    pauses = pauses or Pauses()
    paragraphs = list(article.paragraphs)
    if narrate_headline and article.headline:
        paragraphs.insert(0, article.headline)
    phrases: list[Phrase] = []
    n_sent = 0
    for p_idx, para in enumerate(paragraphs):
        sents = split_sentences(para)
        for s_idx, sent in enumerate(sents):
            lead_ms, sent = leading_break(sent)
            if lead_ms and phrases:
                last = phrases[-1]
                phrases[-1] = replace(last, pause_after_ms=max(last.pause_after_ms, lead_ms))
            end_pause = pauses.paragraph if s_idx == len(sents) - 1 else pauses.sentence
            got = plan_sentence(sent, normalizer, limits, pauses, paragraph=p_idx, index=n_sent,
                                end_pause=end_pause)
            phrases.extend(p for p in got if p.written.strip() or p.spoken.strip())
            n_sent += 1
    warnings = [f"phrase has nothing to say: {p.written!r}" for p in phrases if not p.spoken.strip()]
    return Plan(phrases=phrases, headline=article.headline, dropped=list(article.dropped),
                warnings=warnings)


def resplit(phrase: Phrase, normalizer: Normalizer, limits: PieceLimits, pauses: Pauses) -> list[Phrase]:
    """Cut a phrase whose speech came out too long into smaller phrases (same sentence)."""
    pieces = split_pieces(list(phrase.words), limits, _spoken_len_fn(normalizer))
    if len(pieces) < 2:
        return [phrase]
    out = []
    for k, piece in enumerate(pieces):
        t = tuple(piece)
        last = k == len(pieces) - 1
        out.append(make_phrases(t, normalizer, paragraph=phrase.paragraph, sentence=phrase.sentence,
                                pause_after_ms=phrase.pause_after_ms if last else _pause_after(t, pauses),
                                ends_sentence=phrase.ends_sentence and last))
    return out
