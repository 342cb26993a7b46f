"""Forced alignment: spoken text + audio -> each spoken word's onset, with a confidence.

The reference is espeak-ng saying the same text, whose word onsets it reports
itself. Both signals become MFCC frames (mean/variance normalised, so voice
and channel differences matter less), dynamic time warping pairs their frames,
and each reference onset is carried through the warping path. DTW is computed
one row at a time with a vectorised min-plus scan, inside a band around the
diagonal, so memory is O(rows × band), never the full matrix when the band is set.

Used by render for engines that report no word times (gTTS, Piper) and by
``newsvoice align`` for human recordings.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from newsvoice.audio.track import ffmpeg_exe
from newsvoice.errors import InputError, ffmpeg_reason

FEAT_RATE = 16000
HOP = 80  # 5 ms frames
WIN = 400  # 25 ms window
N_MELS = 40
N_MFCC = 13


@dataclass(frozen=True)
class Alignment:
    """Onset (s) of every spoken word in the target audio and how sure we are (0..1)."""

    starts: np.ndarray
    confidence: float


def to_feat_rate(x: np.ndarray, rate: int) -> np.ndarray:
    """Mono float32 at 16 kHz (features need no more)."""
    y = np.asarray(x, dtype=np.float32)
    if y.dtype.kind == "i" or np.abs(y).max(initial=0) > 2.0:
        y = y / 32768.0
    if rate == FEAT_RATE:
        return y
    from math import gcd

    from scipy.signal import resample_poly

    g = gcd(rate, FEAT_RATE)
    return resample_poly(y, FEAT_RATE // g, rate // g).astype(np.float32)


@lru_cache(maxsize=1)
def _mel_dct() -> tuple[np.ndarray, np.ndarray]:
    """Mel filterbank (HTK scale, 40 bands, 0–8 kHz) and DCT-II matrix."""
    n_fft = 512
    freqs = np.linspace(0, FEAT_RATE / 2, n_fft // 2 + 1)

    def mel(f):
        return 2595 * np.log10(1 + f / 700)

    pts = 700 * (10 ** (np.linspace(mel(60), mel(7600), N_MELS + 2) / 2595) - 1)
    fb = np.zeros((N_MELS, len(freqs)), np.float32)
    for m in range(N_MELS):
        lo, c, hi = pts[m], pts[m + 1], pts[m + 2]
        up = (freqs - lo) / (c - lo)
        down = (hi - freqs) / (hi - c)
        fb[m] = np.maximum(0, np.minimum(up, down))
    k = np.arange(N_MELS)
    dct = np.cos(np.pi / N_MELS * (k[None, :] + 0.5) * np.arange(N_MFCC)[:, None]).astype(
        np.float32
    )
    return fb, dct


def mfcc_raw(y: np.ndarray, chunk: int = 8192) -> np.ndarray:
    """(frames, 2 × 13) MFCCs plus deltas of 16 kHz audio, one frame per 5 ms, not normalised.

    Computed ``chunk`` frames at a time, so a 30-minute recording never holds
    more than one chunk of spectra (the features themselves are ~37 MB)."""
    if len(y) < WIN:
        y = np.pad(y, (0, WIN - len(y)))
    n = 1 + (len(y) - WIN) // HOP
    fb, dct = _mel_dct()
    from scipy import fft as sfft  # loaded only when aligning (engines without word events)

    window = np.hanning(WIN).astype(np.float32)
    c = np.empty((n, N_MFCC), np.float32)
    for f0 in range(0, n, chunk):
        f1 = min(n, f0 + chunk)
        a, b = f0 * HOP, (f1 - 1) * HOP + WIN
        seg = np.asarray(y[max(0, a - 1) : b], np.float32)
        pre = (
            seg[1:] - np.float32(0.97) * seg[:-1]
            if a
            else np.append(seg[:1], seg[1:] - 0.97 * seg[:-1])
        )
        view = np.lib.stride_tricks.sliding_window_view(pre.astype(np.float32, copy=False), WIN)[
            ::HOP
        ]
        spec = sfft.rfft(view * window, 512, workers=2)
        power = spec.real**2 + spec.imag**2
        c[f0 : f0 + chunk] = np.log(power @ fb.T + 1e-8) @ dct.T
    d = np.gradient(c, axis=0) if n > 1 else np.zeros_like(c)
    return np.hstack([c, d])


def cmvn(f: np.ndarray, frames: np.ndarray | None = None) -> np.ndarray:
    """Mean/variance normalised features; statistics from ``frames`` (a mask) if given,
    e.g. only the speech of a recording, so long silences or music do not set the scale."""
    ref = f if frames is None or not frames.any() else f[frames]
    return ((f - ref.mean(0)) / (ref.std(0) + 1e-6)).astype(np.float32)


def mfcc(y: np.ndarray) -> np.ndarray:
    """(frames, 2 × 13) MFCCs plus deltas of 16 kHz audio, one frame per 5 ms, normalised."""
    return cmvn(mfcc_raw(y))


def dtw_path(a: np.ndarray, b: np.ndarray, band: int | None = None) -> tuple[np.ndarray, float]:
    """Warping path of feature sequences a (n×d) and b (m×d): for every frame of a,
    the frame of b it maps to (monotone); and the mean frame cost on the path.

    Each row is solved at once: D[i, j] = C[i, j] + min(D[i-1, j-1], D[i-1, j], D[i, j-1])
    is a running minimum of (A[k] - S[k-1]) plus the row's prefix sums S."""
    n, m = len(a), len(b)
    band = max(band or max(n, m), abs(n - m) + 8)
    lo = np.clip(np.round(np.arange(n) * (m - 1) / max(1, n - 1)).astype(int) - band, 0, m - 1)
    hi = np.clip(np.round(np.arange(n) * (m - 1) / max(1, n - 1)).astype(int) + band + 1, 1, m)
    big = np.float32(1e30)
    prev = np.full(m, big, np.float32)
    rows: list[np.ndarray] = []
    bn = np.linalg.norm(b, axis=1)
    an = np.linalg.norm(a, axis=1)
    for i in range(n):
        j0, j1 = lo[i], hi[i]
        # cosine distance of frame i against the band of b
        cost = 1.0 - (b[j0:j1] @ a[i]) / (bn[j0:j1] * an[i] + 1e-6)
        cost = cost.astype(np.float32)
        if i == 0:
            diag_up = np.full(j1 - j0, big, np.float32)
            diag_up[0] = 0.0 if j0 == 0 else big
        else:
            up = prev[j0:j1]
            diag = np.concatenate(([prev[j0 - 1]] if j0 > 0 else [big], prev[j0 : j1 - 1]))
            diag_up = np.minimum(up, diag)
        s = np.cumsum(cost)
        shifted = np.concatenate(([0.0], s[:-1])).astype(np.float32)
        row = s + np.minimum.accumulate(diag_up - shifted)
        cur = np.full(m, big, np.float32)
        cur[j0:j1] = row
        rows.append(row)
        prev = cur
    # backtrack
    path = np.zeros(n, int)
    i, j = n - 1, m - 1
    total = float(rows[-1][j - lo[-1]]) if hi[-1] == m else float("inf")

    def d(ii: int, jj: int) -> float:
        if ii < 0 or jj < lo[ii] or jj >= hi[ii]:
            return float("inf")
        return float(rows[ii][jj - lo[ii]])

    steps = 1
    path[i] = j
    while i > 0 or j > 0:
        cands = ((d(i - 1, j - 1), i - 1, j - 1), (d(i - 1, j), i - 1, j), (d(i, j - 1), i, j - 1))
        _, i, j = min(cands)
        path[i] = j  # walking back, the last j seen in row i is its first
        steps += 1
    return path, total / max(1, steps)


def word_char_offsets(text: str) -> list[int]:
    """Character offset of every whitespace-separated word of ``text``."""
    out, pos = [], 0
    for w in text.split():
        pos = text.index(w, pos)
        out.append(pos)
        pos += len(w)
    return out


def starts_from_events(text: str, events: list[tuple[int, float]], duration_s: float) -> np.ndarray:
    """Onset of every word of ``text`` from engine events (char offset, seconds);
    words the engine reported nothing for are placed by interpolation."""
    offs = word_char_offsets(text)
    starts = np.full(len(offs), np.nan)
    ends = [o + len(w) for o, w in zip(offs, text.split(), strict=True)]
    for off, t in events:
        k = next((i for i, (o, e) in enumerate(zip(offs, ends, strict=True)) if o <= off < e), None)
        if k is not None and np.isnan(starts[k]):
            starts[k] = t
    known = ~np.isnan(starts)
    if not known.any():
        return np.linspace(0, duration_s, len(offs), endpoint=False)
    x = np.asarray(offs, float)
    starts = np.interp(x, x[known], starts[known])
    return np.maximum.accumulate(np.clip(starts, 0, duration_s))


def align_words(
    reference: np.ndarray,
    ref_rate: int,
    ref_starts: np.ndarray,
    target: np.ndarray,
    target_rate: int,
    *,
    band_s: float | None = None,
) -> Alignment:
    """Carry word onsets known in ``reference`` audio over to ``target`` audio of the same words."""
    fa = mfcc(to_feat_rate(reference, ref_rate))
    fb = mfcc(to_feat_rate(target, target_rate))
    band = None if band_s is None else int(band_s * FEAT_RATE / HOP)
    path, cost = dtw_path(fa, fb, band)
    hop_s = HOP / FEAT_RATE
    ref_frames = np.clip(np.round(np.asarray(ref_starts) / hop_s).astype(int), 0, len(fa) - 1)
    starts = path[ref_frames] * hop_s
    confidence = float(np.clip(1.0 - cost / 0.6, 0.0, 1.0))
    return Alignment(np.maximum.accumulate(starts), confidence)


def align_text(
    spoken: str, target: np.ndarray, target_rate: int, *, voice: str = "vi"
) -> Alignment:
    """Word onsets of ``spoken`` in ``target`` (e.g. a gTTS unit): espeak-ng says the same
    text as the reference, then :func:`align_words`."""
    from newsvoice.speech.engines.espeak import EspeakEngine

    ref = EspeakEngine(voice).synthesize(spoken)
    events = [(w.text_offset, w.start_s) for w in ref.words]
    ref_starts = starts_from_events(spoken, events, ref.duration_s)
    return align_words(ref.samples, ref.rate, ref_starts, target, target_rate)


# ---------------------------------------------------------------- long-form alignment
#
# A human voice-over of a whole article: minutes of audio, pauses, a skipped or
# added sentence, music under the voice. Sentence by sentence, each reference
# sentence is searched in a window of the recording that only moves forward
# (coarse pass, 20 ms frames, subsequence DTW: free start and end), then
# aligned again at 5 ms in a band around the coarse path. Long silences are cut
# out of the recording's frame sequence first, so a pause of any length maps to
# nothing. Memory per sentence is rows x window, never recording x article.

VAD_S = 0.01  # energy detector frame
COARSE = 4  # coarse frame = 4 fine frames = 20 ms
FINE_BAND = 30  # fine pass: ±150 ms around the coarse path
MAX_RATIO = 1.66  # match cost / best-frames baseline above which a sentence was not read
ADAPT = 0.35  # ... or this much over the median ratio of the sentences found so far
LOOK = 0.15  # a match this close to the usual ratio needs no look at the next sentence
SLACK_S = 20.0  # search window beyond twice the pending reference speech


@dataclass(frozen=True)
class Match:
    """All of a reference matched inside a target: for every reference frame, the
    target frame it maps to (monotone), the mean frame cost, and each frame's cost."""

    path: np.ndarray
    cost: float
    local: np.ndarray
    ratio: float = 1.0  # cost over the window's best-frames baseline (see :func:`baseline`)

    @property
    def start(self) -> int:
        return int(self.path[0])

    @property
    def end(self) -> int:
        return int(self.path[-1]) + 1


def unit_rows(f: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, so 1 - a @ b is the cosine distance."""
    return (f / (np.linalg.norm(f, axis=1, keepdims=True) + 1e-6)).astype(np.float32)


def pool(f: np.ndarray, k: int) -> np.ndarray:
    """Mean of every ``k`` frames (a coarser frame rate), rows back to unit length."""
    n = len(f) // k
    if n == 0:
        return unit_rows(f.mean(0, keepdims=True)) if len(f) else f
    return unit_rows(f[: n * k].reshape(n, k, -1).mean(1))


def subseq_dtw(
    a: np.ndarray, b: np.ndarray, lo: np.ndarray | None = None, hi: np.ndarray | None = None
) -> Match | None:
    """Best match of all of ``a`` somewhere inside ``b`` (both unit-norm rows).

    Start and end in ``b`` are free. Steps (1,1), (1,2), (2,1) keep the local pace
    between half and double the reference's, so a sentence cannot collapse onto a
    few frames; their weights give every reference row a weight of 2 whatever the
    path, so the cost divided by 2 × rows is the mean frame cost, comparable between
    candidate ends. ``lo``/``hi`` restrict row i to columns [lo[i], hi[i]) (a band).
    Rows are solved one at a time, vectorised; memory is one byte per cell for the path."""
    n, m = len(a), len(b)
    if n == 0 or m < (n + 1) // 2:
        return None
    lo = np.zeros(n, int) if lo is None else np.clip(lo, 0, m)
    hi = np.full(n, m) if hi is None else np.clip(hi, 0, m)
    inf = np.float32(np.inf)
    P = 2  # padding: column j lives at index j + 2
    # rotating buffers (rows i, i-1, i-2); only the slice a row wrote is reset, so a
    # banded row costs its band, not the window
    dbuf = [np.full(m + P, inf, np.float32) for _ in range(3)]
    cbuf = [np.full(m + P, inf, np.float32) for _ in range(2)]
    dspan = [(0, 0)] * 3
    cspan = [(0, 0)] * 2
    choice = np.zeros((n, m), np.int8)
    # every cost the rows will read, in one product: the whole window, or each row's band
    base = lo - 1
    width = int((hi - lo).max()) + 1
    if width >= m:
        base = np.full(n, -1)
        cost = np.concatenate([np.full((n, 1), inf, np.float32), 1.0 - a @ b.T], axis=1)
    else:
        idx = np.clip(base[:, None] + np.arange(width)[None, :], 0, m - 1)
        cost = 1.0 - np.einsum("nwd,nd->nw", b[idx], a)
    two = np.int8(2)
    for i in range(n):
        d0, c0 = dbuf[i % 3], cbuf[i % 2]
        d1, c1, d2 = dbuf[(i - 1) % 3], cbuf[(i - 1) % 2], dbuf[(i - 2) % 3]
        x0, x1 = dspan[i % 3]
        d0[x0:x1] = inf
        x0, x1 = cspan[i % 2]
        c0[x0:x1] = inf
        j0, j1 = int(lo[i]), int(hi[i])
        dspan[i % 3] = (j0 + P, max(j0, j1) + P)
        if j1 <= j0:
            cspan[i % 2] = (0, 0)
            continue
        k0 = max(0, j0 - 1)
        c0[k0 + P : j1 + P] = cost[i, k0 - base[i] : j1 - base[i]]
        cspan[i % 2] = (k0 + P, j1 + P)
        c = c0[j0 + P : j1 + P]
        if i == 0:
            np.multiply(c, 2, out=d0[j0 + P : j1 + P])
            continue
        diag = d1[j0 + 1 : j1 + 1] + 2 * c
        h = d1[j0:j1] + c0[j0 + 1 : j1 + 1] + c  # from (i-1, j-2) through (i, j-1)
        v = d2[j0 + 1 : j1 + 1] + 2 * (c1[j0 + P : j1 + P] + c)  # from (i-2, j-1) through (i-1, j)
        w1 = h < diag
        m1 = np.minimum(diag, h)
        w2 = v < m1
        np.minimum(m1, v, out=d0[j0 + P : j1 + P])
        choice[i, j0:j1] = np.where(w2, two, w1)
    last = dbuf[(n - 1) % 3][P:]
    j = int(np.argmin(last))
    if not np.isfinite(last[j]):
        return None
    path = np.zeros(n, int)
    i = n - 1
    path[i] = j
    while i > 0:
        k = choice[i, j]
        if k == 0:
            i, j = i - 1, j - 1
        elif k == 1:
            path[i] = j - 1
            i, j = i - 1, j - 2
        else:
            path[i - 1] = j
            i, j = i - 2, j - 1
            if i < 0:
                break
        path[i] = j
    local = 1.0 - np.einsum("ij,ij->i", a, b[path])
    return Match(path, float(last[int(path[-1])]) / (2 * n), local.astype(np.float32))


def decode(path: Path) -> np.ndarray:
    """The first audio track of anything ffmpeg reads (audio or video), as mono float32
    at 16 kHz. Unreadable input is an :class:`InputError` naming the file."""
    cmd = [
        ffmpeg_exe(),
        "-nostdin",
        "-v",
        "error",
        "-i",
        str(path),
        "-vn",
        "-map",
        "0:a:0?",
        "-ac",
        "1",
        "-ar",
        str(FEAT_RATE),
        "-f",
        "s16le",
        "pipe:1",
    ]
    try:
        p = subprocess.run(cmd, capture_output=True, check=False)
    except OSError as e:
        raise InputError(f"cannot run ffmpeg to decode {path}: {e}") from e
    if p.returncode != 0:
        why = ffmpeg_reason(p.stderr)
        raise InputError(f"cannot decode recording {path}: {why}")
    if len(p.stdout) < 2 * FEAT_RATE // 10:
        raise InputError(f"recording {path} has no audio track (or under 0.1 s of audio)")
    return np.frombuffer(p.stdout, np.int16).astype(np.float32) / np.float32(32768.0)


def frame_db(y: np.ndarray, step_s: float = VAD_S) -> np.ndarray:
    """Level (dBFS) of every ``step_s`` frame."""
    n = int(FEAT_RATE * step_s)
    k = len(y) // n
    x = y[: k * n].reshape(k, n)
    return 10 * np.log10(np.einsum("ij,ij->i", x, x) / n + 1e-12)


def speech_mask(db: np.ndarray) -> np.ndarray:
    """Speech per frame from an energy detector: 35 dB under the loud frames, and
    8 dB over the floor, so a music bed or room tone under the voice is not speech."""
    floor = float(np.percentile(db, 10))
    thr = max(float(np.percentile(db, 95)) - 35.0, floor + 8.0, -60.0)
    return db > thr


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of every run of True."""
    d = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist(), strict=True))


@dataclass(frozen=True)
class Recording:
    """A recording ready to align: unit-norm 5 ms features of the kept frames (silences
    longer than ``min_gap_s`` are cut down to their edges), the original frame index of
    each kept frame, the speech mask (10 ms frames) and the duration."""

    feats: np.ndarray
    frames: np.ndarray
    speech: np.ndarray
    duration_s: float

    def seconds(self, kept: np.ndarray) -> np.ndarray:
        """Kept-frame indices -> seconds in the recording."""
        return self.frames[np.clip(kept, 0, len(self.frames) - 1)] * (HOP / FEAT_RATE)


def prepare_recording(y: np.ndarray, *, min_gap_s: float = 0.4, edge_s: float = 0.1) -> Recording:
    """Features and speech mask of a decoded recording (see :class:`Recording`)."""
    db = frame_db(y)
    speech = speech_mask(db) if len(db) else np.zeros(0, bool)
    keep = np.ones(len(speech), bool)
    e = int(edge_s / VAD_S)
    for a, b in runs(~speech):
        if (b - a) * VAD_S > min_gap_s:
            keep[a + e : b - e] = False
    raw = mfcc_raw(y)
    per = int(VAD_S * FEAT_RATE / HOP)
    sp = np.zeros(len(raw), bool)
    kp = np.ones(len(raw), bool)
    n = min(len(raw), len(speech) * per)
    sp[:n] = np.repeat(speech, per)[:n]
    kp[:n] = np.repeat(keep, per)[:n]
    frames = np.flatnonzero(kp)
    ref = raw[sp] if sp.any() else raw
    mu, sd = ref.mean(0), ref.std(0) + 1e-6
    del ref
    feats = raw[frames]
    del raw
    feats -= mu
    feats /= sd
    feats = unit_rows(feats)
    return Recording(feats, frames, speech, len(y) / FEAT_RATE)


def pooled_cmvn(raws: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Unit-norm features of each reference sentence (from :func:`mfcc_raw`), normalised
    with statistics pooled over all of them, as the recording is over all its speech."""
    n = sum(len(r) for r in raws)
    mu = sum(r.sum(0, dtype=np.float64) for r in raws) / max(1, n)
    var = sum(((r - mu) ** 2).sum(0) for r in raws) / max(1, n)
    sd = np.sqrt(var) + 1e-6
    return [unit_rows((r - mu) / sd) for r in raws]


def _fine(ref: np.ndarray, rec: np.ndarray, coarse: Match, c0: int) -> Match:
    """Re-align a coarse match at 5 ms, inside a band around the coarse path."""
    n = len(ref)
    rows = np.arange(len(coarse.path)) * COARSE + (COARSE - 1) / 2
    centre = np.interp(np.arange(n), rows, (coarse.path + c0) * COARSE + (COARSE - 1) / 2)
    centre = np.round(centre).astype(int)
    w0 = max(0, int(np.min(centre)) - FINE_BAND)
    w1 = min(len(rec), int(np.max(centre)) + FINE_BAND + 1)
    m = subseq_dtw(ref, rec[w0:w1], centre - FINE_BAND - w0, centre + FINE_BAND + 1 - w0)
    if m is None:
        path = np.clip(centre, 0, len(rec) - 1)
        local = 1.0 - np.einsum("ij,ij->i", ref, rec[path])
        return Match(path, float(local.mean()), local.astype(np.float32))
    return Match(m.path + w0, m.cost, m.local)


def baseline(a: np.ndarray, b: np.ndarray, share: float = 0.02) -> float:
    """Mean cost of each reference frame's best ``share`` of the window's frames, order
    ignored. The match cost over this is ~1.1-1.6 for the right speech whatever the
    channel (noise, reverb, pitch, music), and over ~1.75 for unrelated speech, where
    absolute costs overlap between a clean mismatch and a reverberant match."""
    k = max(5, min(len(b), int(len(b) * share)))
    c = 1.0 - a[::2] @ b.T  # every other row is plenty for a mean
    return float(np.partition(c, k - 1, axis=1)[:, :k].mean())


def align_long(
    refs: Sequence[np.ndarray],
    rec: Recording,
    *,
    max_ratio: float = MAX_RATIO,
    slack_s: float = SLACK_S,
) -> list[Match | None]:
    """Each reference sentence's match in the recording (paths in kept 5 ms frames), or
    None where it was not read. The search only moves forward: sentence k is looked
    for after the end of the last match, in a window twice the reference speech since
    then plus ``slack_s``. It is found if its cost over the window's baseline is under
    ``max_ratio``, or under the median of those found so far plus ``ADAPT`` (a
    reverberant room raises every ratio; unrelated speech stays well above). A
    candidate that the next sentence matches better, starting before its middle, is
    a skipped sentence; so a local failure never drags the rest. (Only an unusual
    ratio is checked so: a skipped sentence's best stretch is never a typical match.)"""
    coarse_rec = pool(rec.feats, COARSE)
    coarse_refs = [pool(r, COARSE) for r in refs]
    cfr = HOP * COARSE / FEAT_RATE  # seconds per coarse frame
    out: list[Match | None] = []
    cursor = 0  # in coarse frames
    pending = 0  # coarse reference frames since the last match
    found: list[
        float
    ] = []  # ratios of the sentences found: a hard channel (reverb) raises them all
    memo: dict[int, tuple[int, int, Match | None]] = {}

    def search(k: int, start: int, span: int) -> Match | None:
        hit = memo.get(k)
        end = min(len(coarse_rec), start + span)
        if hit is not None and hit[0] == start and hit[1] >= end:
            return hit[2]
        win = coarse_rec[start:end]
        m = subseq_dtw(coarse_refs[k], win)
        if m is not None:
            m = Match(
                m.path + start, m.cost, m.local, m.cost / max(1e-6, baseline(coarse_refs[k], win))
            )
        memo[k] = (start, end, m)
        return m

    for k, ref in enumerate(refs):
        limit = (
            max(max_ratio, float(np.median(found[-20:])) + ADAPT) if len(found) >= 3 else max_ratio
        )
        pending += len(coarse_refs[k])
        span = 2 * pending + int(slack_s / cfr)
        m = search(k, cursor, span)
        usual = (
            len(found) >= 3 and m is not None and m.ratio <= float(np.median(found[-20:])) + LOOK
        )
        if m is not None and m.ratio <= limit and k + 1 < len(refs) and not usual:
            nxt = search(k + 1, cursor, span + 2 * len(coarse_refs[k + 1]))
            if nxt is not None and nxt.ratio < m.ratio and nxt.start < (m.start + m.end) / 2:
                m = None  # the next sentence is found before this one's middle: k was skipped
        if m is None or m.ratio > limit:
            out.append(None)
            continue
        found.append(m.ratio)
        fine = _fine(ref, rec.feats, Match(m.path - cursor, m.cost, m.local), cursor)
        fine = Match(fine.path, fine.cost, fine.local, m.ratio)
        out.append(fine)
        cursor = max(cursor, fine.end // COARSE)
        pending = 0
        memo = {j: v for j, v in memo.items() if j > k}
    if len(found) >= 3:
        _second_chance(
            out,
            refs,
            coarse_refs,
            coarse_rec,
            rec,
            max(max_ratio, float(np.median(found)) + ADAPT),
            int(2.0 / cfr),
        )
    return out


def _second_chance(
    out: list[Match | None],
    refs: Sequence[np.ndarray],
    coarse_refs: Sequence[np.ndarray],
    coarse_rec: np.ndarray,
    rec: Recording,
    limit: float,
    slack: int,
) -> None:
    """Look again for each missing sentence in the gap between its found neighbours, with
    the recording's settled limit: a short first line is judged before the running
    median exists. A gap much longer than the sentence is left alone (a skip stays a skip)."""
    for k, m in enumerate(out):
        if m is not None:
            continue
        before = [o.end for o in out[:k] if o is not None]
        after = [o.start for o in out[k + 1 :] if o is not None]
        a = (before[-1] if before else 0) // COARSE
        b = (after[0] if after else len(rec.feats)) // COARSE
        if not 0 < b - a <= 3 * len(coarse_refs[k]) + slack:
            continue
        win = coarse_rec[a:b]
        c = subseq_dtw(coarse_refs[k], win)
        if c is None:
            continue
        ratio = c.cost / max(1e-6, baseline(coarse_refs[k], win))
        if ratio <= limit:
            fine = _fine(refs[k], rec.feats, c, a)
            out[k] = Match(fine.path, fine.cost, fine.local, ratio)


def uncovered_speech(
    rec: Recording,
    spans: Sequence[tuple[float, float]],
    *,
    min_s: float = 1.0,
    margin_s: float = 0.25,
    join_s: float = 0.5,
) -> list[tuple[float, float]]:
    """Stretches of speech (seconds) that no matched span covers, longer than ``min_s``
    of speech: ad-libs, another voice, a sentence not in the article."""
    speech = rec.speech.copy()
    for a, b in spans:
        speech[max(0, int((a - margin_s) / VAD_S)) : int((b + margin_s) / VAD_S) + 1] = False
    out: list[list[int]] = []
    for a, b in runs(speech):
        if out and (a - out[-1][1]) * VAD_S <= join_s:
            out[-1][1] = b
        else:
            out.append([a, b])
    return [(a * VAD_S, b * VAD_S) for a, b in out if speech[a:b].sum() * VAD_S >= min_s]
