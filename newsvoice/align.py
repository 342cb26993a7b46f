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

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

FEAT_RATE = 16000
HOP = 80            # 5 ms frames
WIN = 400           # 25 ms window
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
    dct = np.cos(np.pi / N_MELS * (k[None, :] + 0.5) * np.arange(N_MFCC)[:, None]).astype(np.float32)
    return fb, dct


def mfcc(y: np.ndarray) -> np.ndarray:
    """(frames, 2 × 13) MFCCs plus deltas of 16 kHz audio, one frame per 5 ms, normalised."""
    if len(y) < WIN:
        y = np.pad(y, (0, WIN - len(y)))
    y = np.append(y[0], y[1:] - 0.97 * y[:-1]).astype(np.float32)
    n = 1 + (len(y) - WIN) // HOP
    idx = np.arange(WIN)[None, :] + HOP * np.arange(n)[:, None]
    frames = y[idx] * np.hanning(WIN).astype(np.float32)
    power = np.abs(np.fft.rfft(frames, 512)) ** 2
    fb, dct = _mel_dct()
    logmel = np.log(power @ fb.T + 1e-8)
    c = logmel @ dct.T
    d = np.gradient(c, axis=0)
    f = np.hstack([c, d])
    return ((f - f.mean(0)) / (f.std(0) + 1e-6)).astype(np.float32)


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
            diag = np.concatenate(([prev[j0 - 1]] if j0 > 0 else [big], prev[j0:j1 - 1]))
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


def align_words(reference: np.ndarray, ref_rate: int, ref_starts: np.ndarray,
                target: np.ndarray, target_rate: int, *, band_s: float | None = None) -> Alignment:
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


def align_text(spoken: str, target: np.ndarray, target_rate: int, *, voice: str = "vi") -> Alignment:
    """Word onsets of ``spoken`` in ``target`` (e.g. a gTTS unit): espeak-ng says the same
    text as the reference, then :func:`align_words`."""
    from newsvoice.engines.espeak import EspeakEngine

    ref = EspeakEngine(voice).synthesize(spoken)
    events = [(w.text_offset, w.start_s) for w in ref.words]
    ref_starts = starts_from_events(spoken, events, ref.duration_s)
    return align_words(ref.samples, ref.rate, ref_starts, target, target_rate)
