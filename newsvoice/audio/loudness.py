"""Programme loudness: BS.1770-4 measurement, true peak, LRA, and normalisation.

Works on a ``Source``: a mono programme at 48 kHz read by sample range (an
array, or the render's track file), so a programme of any length costs memory
for one chunk and a few numbers per 25 ms.

- One pass measures: K-weighted power per 100 ms step (gated integrated
  loudness, 400 ms blocks at 75 % overlap; EBU Tech 3342 LRA from 3 s windows)
  and, per 25 ms block, the maxima of |x|, |Δx| and |Δ²x|. It agrees with
  pyloudnorm and ffmpeg's ebur128 (checked in the tests). K-weighting is the
  BS.1770 IIR, run by blocks as matrix products (numpy only; see _KBlocks).
- Gain is linear, so a gain's loudness is the measured power times g²: no
  second pass. Only where a 4x-interpolated peak can reach the ceiling (a
  rigorous bound per block from those maxima) is anything oversampled; there a
  look-ahead limiter holds the peaks, and only the 100 ms steps it touches are
  K-weighted again.
- The true peak (4x oversampled) is searched block by block from the highest
  bound down, stopping when no block left can beat the peak found.
The result is a ``GainPlan`` whose ``apply`` gives any range of the output.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache, partial

import numpy as np

from newsvoice.audio.targets import TOLERANCE_LU, LoudnessTarget, Measurement, presets  # noqa: F401

RATE = 48000
STEP = RATE // 10  # 100 ms: BS.1770 sub-block
BLOCK = STEP // 4  # 25 ms: peak bookkeeping
CHUNK = STEP * 100  # 10 s read at a time
_SETTLE = RATE // 5  # 0.2 s: the K-weighting's memory decays below 1e-20 in this time
_LOOKAHEAD_MS = 5.0

# BS.1770-4 K-weighting at 48 kHz: high shelf, then RLB high-pass; run as one 4th-order filter
_SHELF = (
    [1.53512485958697, -2.69169618940638, 1.19839281085285],
    [1.0, -1.69065929318241, 0.73248077421585],
)
_HIGHPASS = ([1.0, -2.0, 1.0], [1.0, -1.99004745483398, 0.99007225036621])


def _interpolator(factor: int = 4, half: int = 10) -> list[np.ndarray]:
    """4x interpolation as ``factor`` polyphase FIRs (Kaiser-windowed sinc, 20 taps
    a phase, the design of scipy's resample_poly). Phase r's taps are centred so that
    ``convolve(x, taps)[half + m]`` is the value at m + r/factor."""
    n = 2 * half * factor + 1
    t = np.arange(n) - half * factor
    h = np.sinc(t / factor) * np.kaiser(n, 5.0)
    h = h / h.sum() * factor
    out = []
    for r in range(factor):
        q = np.arange(-half, half + 1)
        k = factor * q + r + half * factor
        ok = (k >= 0) & (k < n)
        taps = np.zeros(2 * half + 1)
        taps[ok] = h[k[ok]]  # taps[s] multiplies x[m - (s - half)]
        if r == 0:
            taps[np.arange(len(taps)) != half] = 0.0  # sinc's zeros, exactly
        out.append(taps.astype(np.float32))
    return out


_PHASES = _interpolator()
_HALF = 10
# the phases as columns, for sliding windows of 2*_HALF+1 samples (convolution flips the taps)
_PHASE_MATRIX = np.stack([t[::-1] for t in _PHASES], axis=1).astype(np.float32)


def _bound_weights() -> np.ndarray:
    """Per phase, weights (w0, w1, w2, l1) of a rigorous bound on an interpolated value
    from the local maxima of |x|, of its first and of its second difference:
    y = x[m]·Σt − Δ[m]·Σt·q + Σt·e_q with |e_q| <= |q|(|q|+1)/2 · max|Δ²|; and the
    plain |y| <= Σ|t| · max|x|. Speech is smooth at 48 kHz, so the first is tight."""
    q = np.arange(-_HALF, _HALF + 1)
    rows = []
    for t in _PHASES:
        t = t.astype(np.float64)
        rows.append(
            [
                abs(t.sum()),
                abs((t * q).sum()),
                (np.abs(t) * np.abs(q) * (np.abs(q) + 1) / 2).sum(),
                np.abs(t).sum(),
            ]
        )
    return np.array(rows) * (1 + 1e-6)  # float32 rounding of the interpolation itself


_WEIGHTS = _bound_weights()


@dataclass(frozen=True)
class Source:
    """A mono programme at 48 kHz: ``n`` samples, ``read(a, b)`` gives [a, b) as float32
    (full scale 1.0; the range is clipped to the programme)."""

    n: int
    read: Callable[[int, int], np.ndarray]

    @classmethod
    def of(cls, x: np.ndarray) -> Source:
        arr = np.asarray(x, dtype=np.float32)
        return cls(len(arr), lambda a, b: arr[max(0, a) : max(0, b)])

    def padded(self, a: int, b: int) -> np.ndarray:
        """[a, b) with zeros outside the programme."""
        return _zero_padded(self.read, self.n, a, b)


def _zero_padded(read: Callable[[int, int], np.ndarray], n: int, a: int, b: int) -> np.ndarray:
    """``read(a, b)`` of a programme of ``n`` samples, with zeros outside it (interpolation
    at the programme's edges sees silence)."""
    lo, hi = max(0, a), min(n, b)
    x = read(lo, hi) if lo < hi else np.zeros(0, np.float32)
    if lo == a and len(x) == b - a:
        return x
    return np.concatenate(
        [np.zeros(lo - a, np.float32), x, np.zeros(b - a - (lo - a) - len(x), np.float32)]
    )


def _db(power: np.ndarray | float) -> np.ndarray | float:
    return -0.691 + 10 * np.log10(np.maximum(power, 1e-20))


def _biquad(b: list[float], a: list[float]) -> tuple[np.ndarray, ...]:
    """A biquad in transposed direct form II as state space (A, B, C, D):
    y = C.s + D.x, s' = A.s + B.x (what lfilter runs; its states stay near the signal's
    size even with the high-pass's poles next to 1)."""
    b0, b1, b2 = b
    _, a1, a2 = a
    return (
        np.array([[-a1, 1.0], [-a2, 0.0]]),
        np.array([b1 - a1 * b0, b2 - a2 * b0]),
        np.array([1.0, 0.0]),
        np.array(b0),
    )


@dataclass(frozen=True)
class _KBlocks:
    """The K-weighting (shelf, then high-pass: 4 states) as matrices that run it on
    blocks of samples instead of one sample at a time.

    Samples go in sub-blocks of _L1: a sub-block's output is a lower-triangular matrix
    (the impulse response) times its samples plus a 4 x _L1 matrix times the state at
    its start. Those states form a recurrence over sub-blocks, solved the same way on
    groups of _G sub-blocks; the states at group starts are the sum of the last _I
    groups' contributions (A^(_L1*_G) has shrunk below 1e-20 after _I powers, so the
    sum is exact in float64). Everything is float64 matrix products (BLAS), about 5x
    less work than FFT convolution, and it is the BS.1770 filter itself rather than a
    truncated impulse response."""

    taps: np.ndarray  # (_L1 + 4, _L1): [samples, start state] -> outputs of a sub-block
    into_state: np.ndarray  # (_L1, 4): a sub-block's samples -> its end state (zero start)
    group_end: np.ndarray  # (4 _G, 4): the sub-blocks' own end states -> the group's
    carry: np.ndarray  # (4 _I, 4): the last _I groups' end states -> a group's start state
    from_start: np.ndarray  # (4, 4 _G): a group's start state -> each sub-block's start
    within: np.ndarray  # (4 _G, 4 _G): the group's sub-blocks -> each later one's start
    powers: np.ndarray  # (_L1 + 1, 4, 4): A^r
    inputs: np.ndarray  # (_L1, 4): A^j B


_L1, _G, _I = 32, 32, 12


@lru_cache(maxsize=1)
def _k_blocks() -> _KBlocks:
    (a1, b1, c1, d1), (a2, b2, c2, d2) = _biquad(*_SHELF), _biquad(*_HIGHPASS)
    a = np.zeros((4, 4))
    a[:2, :2], a[2:, 2:], a[2:, :2] = a1, a2, np.outer(b2, c1)
    b = np.concatenate([b1, b2 * d1])
    c = np.concatenate([d2 * c1, c2])
    d = float(d2 * d1)
    powers = [np.eye(4)]
    for _ in range(_L1):
        powers.append(a @ powers[-1])
    inputs = np.stack([powers[j] @ b for j in range(_L1)])
    h = np.array([d] + [c @ inputs[m - 1] for m in range(1, _L1)])
    taps = np.zeros((_L1 + 4, _L1))
    for j in range(_L1):
        taps[: j + 1, j] = h[j::-1]
        taps[_L1:, j] = c @ powers[j]
    m1 = [np.eye(4)]
    for _ in range(_G):
        m1.append(powers[_L1] @ m1[-1])
    m2 = [np.eye(4)]
    for _ in range(_I - 1):
        m2.append(m1[_G] @ m2[-1])
    within = np.zeros((4 * _G, 4 * _G))
    for j in range(_G):
        for i in range(j):
            within[4 * i : 4 * i + 4, 4 * j : 4 * j + 4] = m1[j - 1 - i].T
    return _KBlocks(
        taps=taps,
        into_state=inputs[::-1].copy(),
        group_end=np.concatenate([m1[_G - 1 - j].T for j in range(_G)]),
        carry=np.concatenate([m.T for m in m2]),
        from_start=np.concatenate([m1[j].T for j in range(_G)], axis=1),
        within=within,
        powers=np.stack(powers),
        inputs=inputs,
    )


class _KFilter:
    """K-weighting of consecutive pieces of one signal, state carried between calls:
    the exact BS.1770 IIR in float64, computed by blocks (see _KBlocks), numpy only
    (scipy.signal's import, most of a second, would be most of a short render)."""

    def __init__(self) -> None:
        self.state = np.zeros(4)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        k = _k_blocks()
        n = len(x)
        groups = n // (_L1 * _G) + 1  # at least one sub-block past the end: its start state
        sub = np.zeros((groups * _G, _L1 + 4))
        whole, rest = divmod(n, _L1)
        sub[:whole, :_L1] = x[: whole * _L1].reshape(whole, _L1)
        sub[whole, :rest] = x[whole * _L1 :]
        own = (sub[:, :_L1] @ k.into_state).reshape(groups, 4 * _G)
        ends = own @ k.group_end  # each group's end state from its own samples
        back = np.zeros((groups + _I - 1, 4))  # back[g + _I - 1 - i]: group g-1-i's end
        back[_I - 1] = self.state  # the state before the first group
        back[_I:] = ends[:-1]
        hist = np.lib.stride_tricks.sliding_window_view(back, (_I, 4))[:groups, 0, ::-1]
        starts = hist.reshape(groups, 4 * _I) @ k.carry
        sub[:, _L1:] = (starts @ k.from_start + own @ k.within).reshape(-1, 4)
        y = (sub @ k.taps).reshape(-1)[:n]
        self.state = k.powers[rest] @ sub[whole, _L1:] + k.inputs[:rest][::-1].T @ x[
            whole * _L1 :
        ].astype(np.float64)
        return y


def _step_power(y: np.ndarray) -> np.ndarray:
    return (y.astype(np.float64, copy=False).reshape(-1, STEP) ** 2).mean(axis=1)


def _k_power(read: Callable[[int, int], np.ndarray], a: int, b: int) -> np.ndarray:
    """Mean square of the K-weighted signal for each 100 ms step in [a, b) (multiples of
    STEP), starting the filter _SETTLE early (from silence at 0, which is exact)."""
    kf = _KFilter()
    out = [np.zeros(0)]
    pos = max(0, a - _SETTLE)
    while pos < b:
        end = min(b, pos + CHUNK)
        y = kf(read(pos, end))
        if end > a:
            out.append(_step_power(y[max(0, a - pos) :]))
        pos = end
    return np.concatenate(out)


def _block_max(v: np.ndarray) -> np.ndarray:
    """Per 25 ms block: the maximum of ``v`` over the block, its first _HALF and its
    last _HALF samples (an interpolated sample reaches only _HALF into a neighbour)."""
    pad = (-len(v)) % BLOCK
    if pad:
        v = np.concatenate([v, np.zeros(pad, v.dtype)])
    b = v.reshape(-1, BLOCK)
    return np.stack([b.max(axis=1), b[:, :_HALF].max(axis=1), b[:, -_HALF:].max(axis=1)], axis=1)


@dataclass(frozen=True)
class Scan:
    """One pass over a stretch of the programme: K-weighted power per 100 ms step (a
    programme's last partial step is dropped) and, per 25 ms block, the maxima of |x|,
    |Δx| and |Δ²x| (shape (blocks, 3 kinds, 3 parts: whole block, head, tail); see
    _bounds). Stretches of whole CHUNKs scan independently and join exactly, so two
    processes can share the work (see chunk_scan)."""

    power: np.ndarray
    stats: np.ndarray

    @staticmethod
    def join(parts: list[Scan]) -> Scan:
        return Scan(
            np.concatenate([np.zeros(0)] + [p.power for p in parts]),
            np.concatenate([np.zeros((0, 3, 3), np.float32)] + [p.stats for p in parts]),
        )


def chunks_of(n: int) -> int:
    """How many CHUNKs a programme of ``n`` samples has (the unit of chunk_scan)."""
    return -(-n // CHUNK)


def chunk_scan(src: Source, k: int, kf: _KFilter | None = None) -> Scan:
    """The Scan of CHUNK ``k``. Without ``kf`` (the filter state after chunk k-1), the
    filter starts from silence _SETTLE samples early, which is exact: the K-weighting
    forgets in that time (its memory falls below 1e-20)."""
    a = k * CHUNK
    b = min(src.n, a + CHUNK)
    x = src.read(a, b)
    power = _chunk_power(src, k, x, kf)
    prev = src.padded(a - 2, a)
    d1 = np.diff(np.concatenate([prev, x]))
    d2 = np.abs(np.diff(d1))
    stats = np.stack([_block_max(np.abs(x)), _block_max(np.abs(d1[1:])), _block_max(d2)], axis=1)
    return Scan(power, stats)


def scan_forward(src: Source, stop: Callable[[int], bool]) -> dict[int, Scan]:
    """Chunks 0, 1, 2 ... (one filter carried through) until ``stop(k)`` says another
    process has chunk k; see scan_backward."""
    kf = _KFilter()
    out = {}
    for k in range(chunks_of(src.n)):
        if stop(k):
            break
        out[k] = chunk_scan(src, k, kf)
    return out


def scan_backward(src: Source, stop: Callable[[int], bool]) -> dict[int, Scan]:
    """Chunks from the last down until ``stop(k)`` says another process has chunk k
    (each chunk settles its own filter: there is no state to carry backwards)."""
    out = {}
    for k in range(chunks_of(src.n) - 1, -1, -1):
        if stop(k):
            break
        out[k] = chunk_scan(src, k)
    return out


def join_scans(src: Source, *parts: dict[int, Scan]) -> Scan:
    """The whole programme's Scan from chunks scanned by several processes (the first
    part given wins a chunk scanned twice); a chunk nobody scanned is scanned here."""
    got: dict[int, Scan] = {}
    for part in reversed(parts):
        got.update(part)
    return Scan.join([got[k] if k in got else chunk_scan(src, k) for k in range(chunks_of(src.n))])


def _chunk_power(src: Source, k: int, x: np.ndarray, kf: _KFilter | None) -> np.ndarray:
    """K-weighted power of CHUNK ``k``'s 100 ms steps, ``x`` being its samples; see
    chunk_scan for ``kf``."""
    a = k * CHUNK
    if kf is None:
        kf = _KFilter()
        if a:
            kf(src.read(max(0, a - _SETTLE), a))
    m = min(len(x), max(0, src.n // STEP * STEP - a))
    return _step_power(kf(x[:m])) if m else np.zeros(0)


def _reweigh(sub: np.ndarray, spans: list[tuple[int, int]], out: Source, channels: int) -> None:
    """Measure again, in place, the 100 ms steps of ``sub`` that the limiter's ``spans``
    can reach. Under heavy limiting (hundreds of short spans) whole chunks are weighed
    once each: one filter run per span cost far more in calls than in samples."""
    steps = [(s // STEP, min(len(sub), -(-(e + _SETTLE) // STEP))) for s, e in spans]
    per_chunk = CHUNK // STEP
    chunks = sorted({k for a, b in steps for k in range(a // per_chunk, -(-b // per_chunk))})
    if len(spans) > 4 * len(chunks):
        steps = [(k * per_chunk, min(len(sub), (k + 1) * per_chunk)) for k in chunks]
    for a, b in steps:
        if a < b:
            sub[a:b] = _k_power(out.read, a * STEP, b * STEP) * channels


def _scan(src: Source) -> Scan:
    """One pass over the whole programme, one filter carried through."""
    kf = _KFilter()
    return Scan.join([chunk_scan(src, k, kf) for k in range(chunks_of(src.n))])


def _gated_mean(power: np.ndarray, relative_lu: float) -> tuple[np.ndarray, float]:
    """Blocks above −70 LUFS and above (their mean − ``relative_lu``); returns (kept, mean)."""
    kept = power[_db(power) > -70.0]
    if len(kept) == 0:
        return kept, 0.0
    rel = _db(kept.mean()) - relative_lu
    kept = kept[_db(kept) > rel]
    return kept, float(kept.mean()) if len(kept) else 0.0


def integrated_from(sub: np.ndarray) -> float:
    """Gated integrated loudness (BS.1770-4) from 100 ms sub-block powers."""
    if len(sub) < 4:
        return float("-inf")
    blocks = np.convolve(sub, np.ones(4) / 4, mode="valid")  # 400 ms blocks, 75 % overlap
    _, mean = _gated_mean(blocks, 10.0)
    return float(_db(mean)) if mean > 0 else float("-inf")


def lra_from(sub: np.ndarray) -> float:
    """Loudness range (EBU Tech 3342): 3 s windows, −20 LU relative gate, 10–95 % spread."""
    if len(sub) < 30:
        return 0.0
    short = np.convolve(sub, np.ones(30) / 30, mode="valid")
    kept, _ = _gated_mean(short, 20.0)
    if len(kept) == 0:
        return 0.0
    lo, hi = np.percentile(_db(kept), [10, 95])
    return float(hi - lo)


def max_window_from(sub: np.ndarray, steps: int) -> float:
    """The loudest window of ``steps`` 100 ms sub-blocks, LUFS, ungated: 4 = maximum
    momentary, 30 = maximum short-term loudness (EBU Tech 3341; the meter's 10 Hz updates)."""
    if len(sub) < steps:
        return float("-inf")
    return float(_db(float(np.convolve(sub, np.ones(steps) / steps, mode="valid").max())))


def _measured(sub: np.ndarray, peak_dbtp: float) -> Measurement:
    """Every loudness figure of a programme's (gained) sub-block powers."""
    return Measurement(
        integrated_from(sub),
        lra_from(sub),
        peak_dbtp,
        max_window_from(sub, 4),
        max_window_from(sub, 30),
    )


def _peaks(x: np.ndarray) -> np.ndarray:
    """Per sample of ``x[_HALF:-_HALF]``, the largest |value| among its 4 interpolated
    samples (``x`` carries _HALF samples of context on each side)."""
    m = len(x) - 2 * _HALF
    out = (
        np.abs(x[_HALF : _HALF + m]) * _PHASES[0][_HALF]
    )  # phase 0 is the sample itself (sinc zeros)
    for taps in _PHASES[1:]:
        np.maximum(out, np.abs(np.convolve(x, taps, mode="valid")[:m]), out=out)
    return out


def _running_min(x: np.ndarray, w: int) -> np.ndarray:
    """min(x[i:i+w]) for every full window (van Herk / Gil-Werman: 3 ops a sample)."""
    n = len(x) - w + 1
    pad = (-len(x)) % w
    xp = np.concatenate([x, np.full(pad, np.inf, x.dtype)]).reshape(-1, w)
    pre = np.minimum.accumulate(xp, axis=1).ravel()
    suf = np.minimum.accumulate(xp[:, ::-1], axis=1)[:, ::-1].ravel()
    return np.minimum(suf[:n], pre[w - 1 : w - 1 + n])


def _moving_mean(x: np.ndarray, w: int) -> np.ndarray:
    """mean(x[i:i+w]) for every full window."""
    c = np.concatenate([[0.0], np.cumsum(x, dtype=np.float64)])
    return ((c[w:] - c[:-w]) / w).astype(np.float32)


@dataclass(frozen=True)
class Limiter:
    """A look-ahead limiter on the 4x oversampled level of ``gain`` x source.

    Each sample gets at most what every sample within the look-ahead needs, then the
    gain is smoothed, so it is in place before a peak arrives and never above what a
    peak needs (no clipping, no clicks). The gain at a sample depends only on the
    source within ``reach`` samples, so any range can be computed on its own."""

    gain: float
    ceiling: float  # linear
    n: int = int(RATE * _LOOKAHEAD_MS / 1000)

    @property
    def reach(self) -> int:
        return 2 * self.n + 2

    def gains(self, src: Source, a: int, b: int) -> np.ndarray:
        """Limiter gain for samples [a, b) (programme edges held, 'nearest')."""
        n, h = self.n, self.n // 2
        lo, hi = max(0, a - self.reach), min(src.n, b + self.reach)
        peak = _peaks(src.padded(lo - _HALF, hi + _HALF)) * np.float32(self.gain)
        if float(np.max(peak, initial=0.0)) <= self.ceiling:
            return np.ones(b - a, np.float32)
        need = np.minimum(
            np.float32(1.0), np.float32(self.ceiling) / np.maximum(peak, np.float32(1e-12))
        )
        gmin = _running_min(np.pad(need, n, mode="edge"), 2 * n + 1)
        smooth = _moving_mean(np.pad(gmin, (h, n - h), mode="edge"), n + 1)
        return smooth[a - lo : b - lo]


def _spans(flags: np.ndarray, margin: int, size: int, n: int) -> list[tuple[int, int]]:
    """Merged sample spans of the flagged blocks (of ``size`` samples), widened by ``margin``."""
    out: list[tuple[int, int]] = []
    for i in np.flatnonzero(flags):
        a, b = max(0, int(i) * size - margin), min(n, (int(i) + 1) * size + margin)
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _bounds(stats: np.ndarray) -> np.ndarray:
    """Per block, the most any interpolated sample in it can reach: the maxima over the
    block and the _HALF samples either side of it (the tail of the block before, the
    head of the block after), put through both bounds of _bound_weights."""
    m = stats[:, :, 0].astype(np.float64)
    if len(m) > 1:
        m[1:] = np.maximum(m[1:], stats[:-1, :, 2])
        m[:-1] = np.maximum(m[:-1], stats[1:, :, 1])
    w = _WEIGHTS
    smooth = (m[:, :1] * w[:, 0] + m[:, 1:2] * w[:, 1] + m[:, 2:3] * w[:, 2]).max(axis=1)
    plain = m[:, 0] * w[:, 3].max()
    return np.minimum(smooth, plain).astype(np.float32)


def _runs(idx: np.ndarray, longest: int = CHUNK // BLOCK) -> list[tuple[int, int]]:
    """Sorted block indices as [first, last+1) runs of consecutive blocks, none longer
    than ``longest`` (one read each: memory stays bounded)."""
    if len(idx) == 0:
        return []
    cut = np.flatnonzero(np.diff(idx) != 1) + 1
    out = []
    for r in np.split(idx, cut):
        a, b = int(r[0]), int(r[-1]) + 1
        out += [(s, min(b, s + longest)) for s in range(a, b, longest)]
    return out


class _BlockPeaks:
    """The source's 4x-oversampled peak per 25 ms block, computed only for the blocks
    asked about (oversampling the whole programme would cost more than all the rest)."""

    def __init__(self, src: Source, sample_peaks: np.ndarray) -> None:
        self.src = src
        self.bound = _bounds(sample_peaks)
        self.exact = np.full(len(sample_peaks), np.nan, np.float32)

    def fill(self, idx: np.ndarray, batch: int = 64) -> None:
        """Oversample the blocks ``idx`` not done yet, ``batch`` at a time as one matrix
        product (one small convolution per block cost more in calls than in arithmetic)."""
        todo = np.unique(idx[np.isnan(self.exact[idx])])
        for i in range(0, len(todo), batch):
            part = todo[i : i + batch]
            x = np.stack(
                [
                    self.src.padded(int(k) * BLOCK - _HALF, (int(k) + 1) * BLOCK + _HALF)
                    for k in part
                ]
            )
            y = np.abs(
                np.lib.stride_tricks.sliding_window_view(x, 2 * _HALF + 1, axis=1) @ _PHASE_MATRIX
            )
            valid = np.minimum(
                BLOCK, self.src.n - part * BLOCK
            )  # the programme's last block may be short
            y[np.arange(BLOCK)[None, :] >= valid[:, None]] = 0.0
            self.exact[part] = y.max(axis=(1, 2))

    def above(self, level: float) -> np.ndarray:
        """Blocks whose oversampled peak exceeds ``level``."""
        cand = np.flatnonzero(self.bound > level)
        self.fill(cand)
        return cand[self.exact[cand] > level]

    def top(self, skip: np.ndarray | None = None, batch: int = 64) -> float:
        """The largest oversampled peak over blocks not flagged in ``skip``: blocks are
        taken from the highest bound down, until no block left can beat the best."""
        order = np.argsort(self.bound)[::-1]
        if skip is not None:
            order = order[~skip[order]]
        best = 0.0
        for i in range(0, len(order), batch):
            part = order[i : i + batch]
            if self.bound[part[0]] <= best:
                break
            self.fill(part)
            best = max(best, float(np.max(self.exact[part])))
        return best


@dataclass(frozen=True)
class GainPlan:
    """How to turn the source into the delivered programme: ``gain``, the limiter where
    it acts (``spans``), then ``trim``; and what the result measures."""

    gain: float
    limiter: Limiter | None
    spans: tuple[tuple[int, int], ...]
    trim: float
    measurement: Measurement

    def apply(self, src: Source, a: int, b: int) -> np.ndarray:
        """Output samples [a, b) as float32."""
        y = src.read(a, b) * np.float32(self.gain * self.trim)
        if self.limiter is not None:
            first = max(
                0, bisect.bisect_right(self.spans, (a, a)) - 1
            )  # spans are sorted, disjoint
            for s, e in self.spans[first:]:
                if s >= b:
                    break
                lo, hi = max(a, s), min(b, e)
                if lo < hi:
                    y[lo - a : hi - a] *= self.limiter.gains(src, lo, hi)
        return y

    def chunks(self, src: Source, size: int = CHUNK) -> Iterator[np.ndarray]:
        for a in range(0, src.n, size):
            yield self.apply(src, a, min(src.n, a + size))


_NONE = Measurement(float("nan"), float("nan"), float("nan"))  # a plan still being measured


def _dbtp(peak: float) -> float:
    return float(20 * np.log10(max(peak, 1e-12))) if peak > 0 else float("-inf")


def measure_source(src: Source, channels: int = 1, *, scanned: Scan | None = None) -> Measurement:
    """Integrated loudness, LRA and true peak of a mono programme delivered on
    ``channels`` identical channels (BS.1770 sums channel powers: dual mono is +3 dB).
    ``scanned``: the whole programme's Scan, if already made."""
    scan = scanned if scanned is not None else _scan(src)
    sub = scan.power * channels
    return _measured(sub, _dbtp(_BlockPeaks(src, scan.stats).top()))


def _output_peak(src: Source, plan: GainPlan, blocks: _BlockPeaks) -> float:
    """True peak of ``plan``'s output before its trim: blocks the limiter cannot touch
    are the source's peaks times the gain; the others are oversampled from the output."""
    limited = np.zeros(len(blocks.bound), bool)
    for s, e in plan.spans:
        limited[s // BLOCK : -(-e // BLOCK)] = True
    best = blocks.top(skip=limited) * plan.gain
    for r0, r1 in _runs(np.flatnonzero(limited)):
        a, b = r0 * BLOCK, min(src.n, r1 * BLOCK)
        out = _zero_padded(partial(plan.apply, src), src.n, a - _HALF, b + _HALF)
        best = max(best, float(_peaks(out).max(initial=0.0)))
    return best


def plan_gain(
    src: Source,
    target: LoudnessTarget,
    channels: int = 1,
    *,
    tolerance: float = TOLERANCE_LU,
    max_rounds: int = 8,
    scanned: Scan | None = None,
) -> GainPlan:
    """Gain (and limiting where needed) that brings ``src`` within ``tolerance`` of the
    target loudness with the true peak at or under the ceiling. Limiting lowers
    loudness, so the gain is corrected from the last measurement each round.
    ``scanned``: the whole programme's Scan, if already made (by two processes)."""
    scan = scanned if scanned is not None else _scan(src)
    sub0 = scan.power * channels
    blocks = _BlockPeaks(src, scan.stats)
    ceiling = 10 ** ((target.true_peak - 0.2) / 20)  # margin: meters interpolate differently
    top = blocks.top()
    if top <= 0.0:  # digital silence: nothing to scale
        return GainPlan(1.0, None, (), 1.0, Measurement(integrated_from(sub0), 0.0, float("-inf")))
    base = 1.0
    loud = integrated_from(sub0)
    if not np.isfinite(loud):  # all under the -70 LUFS gate: lift the peaks to the ceiling first
        base = ceiling / top
        loud = integrated_from(sub0 * base**2)
        if not np.isfinite(loud):
            return GainPlan(base, None, (), 1.0, Measurement(loud, 0.0, _dbtp(top * base)))
    gain_db, g, sub = 0.0, base, sub0 * base**2
    limiter: Limiter | None = None
    spans: list[tuple[int, int]] = []
    slope, last = 1.0, None  # loudness per dB of gain: 1 until the limiter bites
    for _ in range(max_rounds):
        if last is not None and abs(gain_db - last[0]) > 1e-6:
            slope = min(1.0, max(0.2, (loud - last[1]) / (gain_db - last[0])))
        last = (gain_db, loud)
        gain_db += (target.lufs - loud) / slope
        g = base * 10 ** (gain_db / 20)
        sub = sub0 * g**2
        limiter, spans = None, []
        hot = blocks.above(ceiling / g)
        if len(hot):
            limiter = Limiter(g, ceiling)
            flags = np.zeros(len(blocks.bound), bool)
            flags[hot] = True
            spans = _spans(flags, limiter.reach, BLOCK, src.n)
            out = Source(src.n, partial(GainPlan(g, limiter, tuple(spans), 1.0, _NONE).apply, src))
            _reweigh(sub, spans, out, channels)  # the 100 ms steps the limiter can touch
        loud = integrated_from(sub)
        if abs(loud - target.lufs) <= tolerance / 3:
            break
    tp = _output_peak(src, GainPlan(g, limiter, tuple(spans), 1.0, _NONE), blocks)
    m = _measured(sub, _dbtp(tp))
    trim = 1.0
    if (
        m.true_peak > target.true_peak - 0.1
    ):  # interpolation of a gain edge overshot: trim the excess
        trim_db = target.true_peak - 0.15 - m.true_peak
        trim = 10 ** (trim_db / 20)
        m = Measurement(
            m.integrated + trim_db,
            m.lra,
            m.true_peak + trim_db,  # all scale with a gain
            m.max_momentary + trim_db,
            m.max_short_term + trim_db,
        )
    return GainPlan(g, limiter, tuple(spans), trim, m)


# ----------------------------------------------------------- array conveniences


def measure(x: np.ndarray, rate: int = RATE, channels: int = 1) -> Measurement:
    """``measure_source`` of an array."""
    if rate != RATE:
        raise ValueError("loudness is measured at 48 kHz")
    return measure_source(Source.of(x), channels)


def true_peak(x: np.ndarray) -> float:
    """True peak in dBTP (4x oversampled)."""
    src = Source.of(x)
    return _dbtp(_BlockPeaks(src, _scan(src).stats).top())


def limit(
    x: np.ndarray, ceiling_db: float, rate: int = RATE, *, lookahead_ms: float = _LOOKAHEAD_MS
) -> np.ndarray:
    """Hold the 4x oversampled level of ``x`` at or under ``ceiling_db`` (see Limiter)."""
    src = Source.of(x)
    lim = Limiter(1.0, 10 ** (ceiling_db / 20), int(rate * lookahead_ms / 1000))
    return src.read(0, src.n) * lim.gains(src, 0, src.n)


def normalize(
    x: np.ndarray,
    target: LoudnessTarget,
    rate: int = RATE,
    *,
    channels: int = 1,
    tolerance: float = TOLERANCE_LU,
    max_rounds: int = 8,
) -> tuple[np.ndarray, Measurement]:
    """``plan_gain`` and its output, for a programme held in memory."""
    if rate != RATE:
        raise ValueError("loudness is measured at 48 kHz")
    src = Source.of(x)
    plan = plan_gain(src, target, channels, tolerance=tolerance, max_rounds=max_rounds)
    return plan.apply(src, 0, src.n), plan.measurement
