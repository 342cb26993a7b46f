"""Subtitle cues cut from the word timeline, timed on the frame grid by broadcast rules.

A cue may be cut between any two words: where the reader pauses (clause
punctuation) is best, then before a connector; never inside a word (by a real
word segmenter), a number and its unit, a date, code or name. A cut where the
voice runs on is allowed but costs more, the more so where the audio has no
dip. Cue in is the first word's onset snapped down to the grid; cue out is the
last word's end plus what the gap rule allows. Nothing is estimated from text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from fractions import Fraction

import numpy as np

from newsvoice.audio.levels import frame_db
from newsvoice.findings import WARNING, Finding
from newsvoice.speech.timeline import TimedWord, sentence_spans
from newsvoice.subtitles.rules import Cue, CueResult, CueRules, CutCosts
from newsvoice.text.words import boundary_costs, default_rules, layout, text_len
from newsvoice.text.wordseg import inside_words

INF = float("inf")
_PUNCT_END = re.compile(r"""[,.;:!?…)\]"”'»–-]$""")


Segment = Callable[[Sequence[Sequence[str]]], list[list[bool]]]


def word_costs(words: Sequence[TimedWord], segment: Segment = inside_words) -> list[float]:
    """Cost of a cut after each word (INF across sentences): text rules plus the segmenter
    (``segment``: each sentence's boundaries inside a word, see text.wordseg)."""
    rules = default_rules()
    out: list[float] = []
    spans = sentence_spans(words)
    inside_by_sentence = segment([[w.word.written for w in words[a:b]] for a, b in spans])
    for (a, b), insides in zip(spans, inside_by_sentence, strict=True):
        ws = [w.word for w in words[a:b]]
        costs = boundary_costs(ws, rules)
        for k, inside in enumerate(insides):
            if inside:
                costs[k] = max(costs[k], rules.cost["inside_word"])
        if a > 0:
            out.append(INF)  # never cut a cue across sentences
        out += costs
    return out


def speech_dips(pcm: np.ndarray, rate: int, times: Sequence[float]) -> Dips:
    """:func:`dips_from_db` of ``pcm``'s 10 ms levels."""
    return dips_from_db(frame_db(pcm, rate), times)


def dips_from_db(db: np.ndarray, times: Sequence[float]) -> Dips:
    """The longest run of sub-speech level (s) shortly before each time (a word onset):
    a cue boundary with a dip falls in a pause, as a viewer's eye expects (one under
    :attr:`CutCosts.min_dip` is a consonant's closure and does not count); a long one
    is a pause a listener hears. ``db``: 10 ms frame levels."""
    k = len(db)
    if k == 0:
        return Dips([1.0] * len(times), [None] * len(times))
    thr = max(float(np.percentile(db, 95)) - 35.0, -60.0)
    quiet = db <= thr
    out = []
    for t in times:
        a, b = max(0, int((t - 0.4) * 100)), min(k, int((t + 0.04) * 100) + 1)
        run = best = 0
        for q in quiet[a:b]:
            run = run + 1 if q else 0
            best = max(best, run)
        near = quiet[max(0, int((t - 0.12) * 100)) : b].any()
        out.append(best / 100 if near else 0.0)
    centres = np.flatnonzero(quiet) / 100 + 0.005
    return Dips(out, [nearest_quiet(centres, t) for t in times], centres)


def nearest_quiet(quiet: np.ndarray, t: float, reach: float | None = None) -> float | None:
    """The quiet frame centre (sorted ``quiet``, s) nearest ``t`` within ``reach``
    (default ``SNAP_S``), or None."""
    reach = SNAP_S if reach is None else reach
    i = int(np.searchsorted(quiet, t))
    near = [float(quiet[j]) for j in (i - 1, i) if 0 <= j < len(quiet)]
    best = min(near, key=lambda q: abs(q - t), default=None)
    return best if best is not None and abs(best - t) <= reach else None


class Dips(list[float]):
    """Each word's dip (s, see :func:`dips_from_db`), and in ``pauses`` the centre (s)
    of the quiet 10 ms frame nearest its onset within ``SNAP_S`` (None: the voice runs
    on): a cue boundary before the word is put there, so it falls in a pause even where
    the word times are a few frames off or the voice barely stops (a slow voice)."""

    def __init__(
        self,
        dips: Sequence[float],
        pauses: Sequence[float | None],
        quiet: np.ndarray | None = None,
    ) -> None:
        super().__init__(dips)
        self.pauses = list(pauses)
        self.quiet = np.zeros(0) if quiet is None else np.asarray(quiet, float)

    def joined(self, other: Dips, shift: float) -> Dips:
        """This followed by ``other``, whose times are moved by ``shift`` seconds."""
        return Dips(
            [*self, *other],
            [*self.pauses, *(None if p is None else p + shift for p in other.pauses)],
            np.sort(np.concatenate([self.quiet, other.quiet + shift])),
        )


NO_PAUSE = 40.0  # cut cost where no quiet frame is within SNAP_S of the word onset
IN_PAUSE_S = 0.11  # a quiet frame this far before an onset: a cut there is already in a pause
SNAP_S = 0.5  # how far a run-on cue boundary may move to reach a quiet frame


def cut_pieces(
    words: Sequence[TimedWord],
    costs: Sequence[float],
    rules: CueRules,
    dips: Sequence[float] | None = None,
    weights: CutCosts | None = None,
) -> list[tuple[int, int]]:
    """Cut each sentence's words into cue pieces [a, b) by dynamic programming over cuts."""
    w8 = weights or CutCosts()
    pieces: list[tuple[int, int]] = []
    for a, b in sentence_spans(words):
        pieces += _cut_sentence(words, costs, dips, rules, w8, a, b)
    return pieces


def _layout_cost(
    lens: Sequence[int], costs: Sequence[float], a: int, b: int, rules: CueRules, words
) -> float | None:
    """What :func:`layout` would cost for words[a:b] (None: they do not fit), in O(b - a)
    for the usual two lines: ``lens`` are prefix sums of word lengths, so no text is joined."""
    total = lens[b] - lens[a] + (b - a - 1)
    if total <= rules.max_chars:
        return 0.0
    if rules.max_lines != 2:
        lay = layout(
            [w.word for w in words[a:b]], rules.max_chars, rules.max_lines, costs[a : b - 1]
        )
        return None if lay is None else lay[0]
    best = None
    for k in range(a + 1, b):
        head = lens[k] - lens[a] + (k - a - 1)
        if head > rules.max_chars:
            break
        tail = total - head - 1
        if tail > rules.max_chars:
            continue
        c = costs[k - 1] + abs(head - tail) / 12
        if best is None or c < best:
            best = c
    return best


def _cut_sentence(
    words, costs, dips, rules: CueRules, w8: CutCosts, s0: int, s1: int
) -> list[tuple[int, int]]:
    n = s1 - s0
    pauses = dips.pauses if isinstance(dips, Dips) else None
    best = [INF] * (n + 1)
    back = [0] * (n + 1)
    best[0] = 0.0
    cap = rules.max_chars * rules.max_lines
    max_dur = rules.max_dur - 0.2  # frame rounding and the tail the gap rule allows
    lens = [0] * (s1 + 1)
    for k in range(s0, s1):
        lens[k + 1] = lens[k] + len(words[k].text)  # written text is NFC already
    for j in range(1, n + 1):
        for i in range(j - 1, -1, -1):
            a, b = s0 + i, s0 + j
            length = lens[b] - lens[a] + (b - a - 1)
            dur = words[b - 1].end - words[a].start
            fits = length <= cap and dur <= max_dur
            if not fits and j - i > 1:
                break
            if best[i] == INF:
                continue
            lay = _layout_cost(lens, costs, a, b, rules, words) if fits else 0.0
            if lay is None:
                continue
            cost = w8.piece + lay
            if not fits:
                cost += 1000.0  # one word longer than a cue: allowed, reported later
            if b < s1:
                cost += w8.cut_weight * costs[b - 1]
                pause = words[b].unit != words[b - 1].unit
                if not pause:
                    dipped = dips is None or dips[b] >= w8.min_dip - 1e-9
                    cost += w8.run_on + (0.0 if dipped else w8.no_dip)
                    if pauses is not None and pauses[b] is None:
                        cost += NO_PAUSE  # no quiet frame in reach: the boundary would be heard
                    if (
                        dips is not None
                        and dips[b] >= 0.13
                        and not _PUNCT_END.search(words[b - 1].text)
                    ):
                        cost += w8.heard_pause  # the engine paused mid-clause: a cut here shows it
                if dur < rules.min_dur and not pause:
                    cost += w8.short * (rules.min_dur - dur)
            if length < w8.min_chars:
                cost += (w8.min_chars - length) / 2
            if dur > 0 and length / dur > rules.max_cps:
                cost += w8.cps_over * (length / dur - rules.max_cps)
            total = best[i] + cost
            if total < best[j]:
                best[j], back[j] = total, i
    out: list[tuple[int, int]] = []
    j = n
    while j > 0:
        out.append((s0 + back[j], s0 + j))
        j = back[j]
    return out[::-1]


def _frames(seconds: float, fps: Fraction, up: bool) -> int:
    x = Fraction(seconds).limit_denominator(10**9) * fps
    return math.ceil(x) if up else math.floor(x)


def time_cues(
    words: Sequence[TimedWord],
    costs: Sequence[float],
    pieces: Sequence[tuple[int, int]],
    audio_s: float,
    rules: CueRules,
    pauses: Sequence[float | None] | None = None,
    quiet: np.ndarray | None = None,
) -> CueResult:
    """Time pieces on the frame grid: merge a piece too short to read into a neighbour of
    its sentence, hold cues into the following pause, keep the gap, warn on the rest.
    ``pauses`` (see :class:`Dips`): where a cue that follows its neighbour without a
    pause starts, so the boundary between them falls in the voice's nearest quiet frame."""
    fps = rules.fps_exact
    gap = rules.gap_frames
    groups: list[tuple[int, int]] = list(pieces)
    min_f = _frames(rules.min_dur - 1e-9, fps, up=True)
    max_f = _frames(rules.max_dur + 1e-9, fps, up=False)
    audio_f = _frames(audio_s, fps, up=False)
    findings: list[Finding] = []

    def g_start(g: tuple[int, int]) -> int:
        a = g[0]
        t = words[a].start
        # an engine's own word events (confidence 1) are exact: cue in stays on the onset;
        # an estimated onset (aligner) moves to the voice's pause
        snap = pauses[a] if pauses is not None and a > 0 and words[a].confidence < 1.0 else None
        prev_end = words[a - 1].end if a > 0 else 0.0
        if snap is not None:  # the boundary stays inside the two words around it
            lo, hi = words[a - 1].start, words[a].end
            # a boundary already in a pause stays on the onset (cue in = first word's onset)
            snap = snap if lo <= snap <= hi and not _in_pause(quiet, t) else None
        # only where the cues chain either way, so no gap between them can hold speech
        if snap is not None and max(t, snap) - prev_end < rules.chain_within - 2 * gap / float(fps):
            return _frames(snap + gap / 2 / float(fps), fps, up=False)
        return _frames(t, fps, up=False)

    def g_end(g: tuple[int, int]) -> int:
        return _frames(words[g[1] - 1].end, fps, up=True)

    def lines_for(g: tuple[int, int]) -> list[str] | None:
        lay = layout(
            [w.word for w in words[g[0] : g[1]]],
            rules.max_chars,
            rules.max_lines,
            costs[g[0] : g[1] - 1],
        )
        return lay[1] if lay else None

    changed = True
    while changed:
        changed = False
        for k, g in enumerate(groups):
            room_after = (g_start(groups[k + 1]) - gap if k + 1 < len(groups) else audio_f) - g_end(
                g
            )
            room_before = g_start(g) - (g_end(groups[k - 1]) + gap if k > 0 else 0)
            if g_end(g) - g_start(g) + max(0, room_after) + max(0, room_before) >= min_f:
                continue
            for j in (k - 1, k + 1) if room_before < room_after else (k + 1, k - 1):
                if not 0 <= j < len(groups):
                    continue
                a, b = (groups[j], g) if j < k else (g, groups[j])
                if words[a[1] - 1].sentence != words[b[0]].sentence:
                    continue
                merged = (a[0], b[1])
                if g_end(merged) - g_start(merged) > max_f or lines_for(merged) is None:
                    continue
                lo = min(j, k)
                groups[lo : lo + 2] = [merged]
                changed = True
                break
            if changed:
                break

    cues: list[Cue] = []
    prev_held = False  # the cue before is the last of a word held over several cues
    for k, g in enumerate(groups):
        start, end = g_start(g), g_end(g)
        nxt = g_start(groups[k + 1]) if k + 1 < len(groups) else audio_f + gap
        if cues and start < cues[-1].end_f + gap:
            start = cues[-1].end_f + gap
        elif (
            cues
            and words[g[0]].confidence < 1.0  # an engine's own onset is exact: cue in on it
            and _speech_between(quiet, cues[-1].end_f / fps, start / fps)
        ):
            # the cue before stopped at max-dur with the voice still going (a slow voice,
            # a late estimated onset): this one comes in early, so no gap holds speech
            start = max(cues[-1].end_f + gap, end - max_f, start - round(rules.chain_within * fps))
        if nxt - end <= round(rules.chain_within * fps):
            end = nxt - gap
        else:
            end = min(end + round(rules.linger * fps), nxt - gap)
        if g_end(g) - start <= max_f:  # a held word (below) is re-cued, so it chains as is
            end = max(min(end, start + max_f), min(g_end(g), nxt - gap))
        if end - start < min_f:
            end = min(start + min_f, nxt - gap)
        if end - start < min_f:
            prev_end = cues[-1].end_f + gap if cues else 0
            start = max(prev_end, end - min_f)
        if end - start < min_f and k + 1 < len(groups):
            nx = groups[k + 1]  # a long cue next (a held word) lends its first frames
            if g_end(nx) - g_start(nx) > max_f and g_end(nx) - (start + min_f + gap) >= max_f:
                end = start + min_f
        if end - start < min_f and cues and prev_held:
            need = min_f - (end - start)  # ... or the held cue before lends its last ones
            if cues[-1].end_f - cues[-1].start_f - need >= min_f:
                cues[-1] = replace(cues[-1], end_f=cues[-1].end_f - need)
                start -= need
        if (
            end - start < min_f
            and cues
            and not prev_held
            and k > 0
            and words[g[0]].confidence < 1.0
        ):
            # ... or the cue before gives back the frames it was held past its own speech
            # (chained or lingering into this one's pause)
            prev = cues[-1]
            floor = max(g_end(groups[k - 1]), prev.start_f + min_f)
            give = min(min_f - (end - start), prev.end_f - floor)
            if give > 0:
                cues[-1] = replace(prev, end_f=prev.end_f - give)
                start -= give
        lines = lines_for(g)

        def bent(rule: str, message: str) -> None:
            n = len(cues) + 1  # the cue about to be added (after any held ones)
            findings.append(Finding(f"cue {n}", WARNING, rule, message, cue=n))

        if lines is None:
            lines = [" ".join(w.text for w in words[g[0] : g[1]])]
            bent("lines", f"text does not fit {rules.max_lines} lines of {rules.max_chars}")
        held = end - start > max_f
        for h0, h1 in held_spans(start, end, max_f, gap, quiet, fps, min_f)[:-1]:
            cues.append(Cue(h0, h1, lines, g, fps))  # one word said longer than a cue: held
            start = h1 + gap
        cue = Cue(start, end, lines, g, fps)
        if end - start < min_f:
            bent("min-duration", f"{cue.end - cue.start:.2f}s is shorter than {rules.min_dur:.2f}s")
        if end - start > max_f:
            bent("max-duration", f"{cue.end - cue.start:.2f}s is longer than {rules.max_dur:.2f}s")
        if cue.cps > rules.max_cps:
            bent("reading-speed", f"reading speed {cue.cps:.1f} cps above {rules.max_cps:g}")
        cues.append(cue)
        prev_held = held
    return CueResult(cues, findings)


def _speech_between(quiet: np.ndarray | None, t0: Fraction | float, t1: Fraction | float) -> bool:
    """Is the voice heard between ``t0`` and ``t1`` (s), beyond check_subs.py's 100 ms at
    either edge, for more than 30 ms (frames not in the sorted quiet centres ``quiet``)?
    Unknown (no levels) is no."""
    a, b = float(t0) + 0.1, float(t1) - 0.1
    if quiet is None or not len(quiet) or b - a <= 0.03:
        return False
    frames = int(round((b - a) * 100))
    silent = int(np.searchsorted(quiet, b)) - int(np.searchsorted(quiet, a))
    return frames - silent > 3


def _in_pause(quiet: np.ndarray | None, t: float) -> bool:
    """Does a cue boundary put on onset ``t`` (the gap ends on it) already lie within
    check_subs.py's 80 ms of a quiet frame (sorted centres ``quiet``, s)?"""
    if quiet is None or not len(quiet):
        return False
    i = int(np.searchsorted(quiet, t - IN_PAUSE_S))
    return i < len(quiet) and quiet[i] <= t - 0.01


def held_spans(
    start: int,
    end: int,
    max_f: int,
    gap: int,
    quiet: np.ndarray | None = None,
    fps: Fraction | None = None,
    min_f: int = 0,
) -> list[tuple[int, int]]:
    """[start, end) frames cut into the fewest cues of at most ``max_f`` frames, ``gap``
    apart: a word said for longer than any cue may last (a long number at a slow pace)
    stays on screen as the same text re-cued, and no cue breaks the duration rule. Each
    re-cue moves to the quiet frame (``quiet``, s) nearest its even share, where one
    keeps every cue between ``min_f`` and ``max_f`` frames."""
    if end - start <= max_f:
        return [(start, end)]
    k = -(-(end - start + gap) // (max_f + gap))
    step = (end - start + gap) / k
    edges = [start + round(i * step) for i in range(k + 1)]
    if quiet is not None and fps is not None and len(quiet):
        for i in range(1, k):
            lo = max(edges[i - 1] + min_f + gap, end + gap - (k - i) * (max_f + gap))
            hi = min(edges[i - 1] + max_f + gap, end + gap - (k - i) * (min_f + gap))
            q = nearest_quiet(quiet, edges[i] / float(fps), reach=float(step) / float(fps))
            if q is not None:
                f = round(q * float(fps)) + gap // 2
                if lo <= f <= hi:
                    edges[i] = f  # and the rest share what is left evenly
                    rest = (end + gap - f) / (k - i)
                    for j in range(i + 1, k):
                        edges[j] = f + round((j - i) * rest)
    return [(edges[i], edges[i + 1] - gap if i + 1 < k else end) for i in range(k)]


def make_cues(
    words: Sequence[TimedWord],
    audio_s: float,
    rules: CueRules,
    dips: Sequence[float] | None = None,
    segment: Segment = inside_words,
) -> CueResult:
    """Cues for a timed narration: cut, then time."""
    costs = word_costs(words, segment)
    pieces = cut_pieces(words, costs, rules, dips)
    if isinstance(dips, Dips):
        return time_cues(words, costs, pieces, audio_s, rules, dips.pauses, dips.quiet)
    return time_cues(words, costs, pieces, audio_s, rules)


__all__ = [
    "Cue",
    "CueResult",
    "CueRules",
    "CutCosts",
    "Dips",
    "cut_pieces",
    "make_cues",
    "speech_dips",
    "dips_from_db",
    "text_len",
    "time_cues",
    "word_costs",
]
