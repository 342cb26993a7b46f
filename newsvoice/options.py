"""What shapes a render, and what a render returns: the one source that the CLI,
config files, batch and ``check`` read, so no module has to import render to learn them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from newsvoice.audio.targets import LoudnessTarget, Measurement, presets
from newsvoice.errors import InputError
from newsvoice.subtitles.formats import NAMES as SUB_FORMATS
from newsvoice.subtitles.rules import CueRules
from newsvoice.text.pauses import Pauses

AUDIO_FORMATS = ("wav", "mp3")
# progress(stage, done, total): "synthesising" counts units; later stages are one step each
Progress = Callable[[str, int, int | None], None]
SPEED_RANGE = (0.8, 1.3)   # --speed: pitch-preserving tempo
FIT_RANGE = (0.85, 1.15)   # --fit may change the pace only this much


@dataclass(frozen=True)
class RenderOptions:
    """Everything that shapes a render (also recorded in the manifest)."""

    engine: str = "auto"
    voice: str | None = None
    speed: float = 1.0
    fit_s: float | None = None          # narrate into this many seconds (overrides speed)
    audio_format: str = "wav"
    bit_depth: int = 24                  # WAV only
    channels: int = 1                    # 2 = dual mono
    bitrate: str = "192k"                # MP3 only, CBR
    loudness: str = "ebu-r128"           # preset name (assets/loudness.toml) or "none"
    lufs: float | None = None            # explicit target overrides the preset
    true_peak: float | None = None
    subs: tuple[str, ...] = ("srt",)
    srt_bom: bool = False
    narrate_headline: bool = True
    keep_all: bool = False
    pauses: Pauses = field(default_factory=Pauses)
    cues: CueRules = field(default_factory=CueRules)
    cache_dir: Path | None = None
    use_cache: bool = True
    lexicons: tuple[Path, ...] = ()
    retries: int = 4
    timeout: float = 10.0
    min_interval: float = 0.3
    backoff: float = 1.0
    max_retry_after: float = 60.0
    fallback: str | None = None          # engine to use when an online one is unusable
    jobs: int = 2                        # processes for one render: 2 = a sidecar for an offline engine


@dataclass
class RenderResult:
    outputs: dict[str, Path]
    duration_s: float
    cues: int
    units: int
    words: int
    engine: str
    voice: str
    engine_calls: int
    cache_hits: int
    warnings: list[str]
    seconds: float
    loudness: Measurement | None = None
    fallback: dict | None = None         # {"from", "to", "reason"} when a fallback engine rendered it
    sidecar: dict | None = None          # {"units", "chunks"} the sidecar process did, when there was one
    restored: bool = False               # copied from the render memo (memo.py), not rendered
    checks: int = 0                      # readings to check (plan.findings), for the stderr line


def loudness_target(opts: RenderOptions) -> LoudnessTarget | None:
    """The target from --lufs/--true-peak, else from the named preset (None: leave levels)."""
    if opts.lufs is not None:
        return LoudnessTarget(opts.lufs, opts.true_peak if opts.true_peak is not None else -1.0)
    table = presets()
    if opts.loudness not in table:
        raise InputError(f"unknown loudness preset {opts.loudness!r} (choose from {', '.join(table)})")
    target = table[opts.loudness]
    if target is not None and opts.true_peak is not None:
        target = replace(target, true_peak=opts.true_peak)
    return target


def validate(opts: RenderOptions) -> LoudnessTarget | None:
    """Refuse impossible options before any work; return the loudness target."""
    if opts.audio_format not in AUDIO_FORMATS:
        raise InputError(f"unknown audio format {opts.audio_format!r}")
    bad = [s for s in opts.subs if s not in SUB_FORMATS]
    if bad:
        raise InputError(f"unknown subtitle format {bad[0]!r} (choose from {', '.join(SUB_FORMATS)})")
    if not SPEED_RANGE[0] <= opts.speed <= SPEED_RANGE[1]:
        raise InputError(f"speed {opts.speed} outside {SPEED_RANGE[0]}–{SPEED_RANGE[1]}")
    if opts.fit_s is not None and opts.fit_s <= 0:
        raise InputError(f"--fit must be a positive duration, got {opts.fit_s:g} s")
    return loudness_target(opts)
