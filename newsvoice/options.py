"""What shapes a render, declared once: the option table, RenderOptions, and the one
key of an output.

Every option a render takes is one :class:`Spec` in :data:`SPECS` (flag, kind, range,
default, help, the commands that take it, the RenderOptions field it sets, and whether
it shapes the output or only how the render runs). The CLI builds its Click options
from the table (``newsvoice.cli.options``), config files take exactly those options,
:func:`from_values` turns option values into RenderOptions for the CLI, batch and the
service alike, and :func:`validate` checks ranges and combinations for any caller.

:func:`output_key`, like black's ``Mode.get_cache_key``, is the one definition of "what
made this output": the render memo, the batch stamp and the service's job cache use it.

Plain values only (stdlib, no numerics), so the CLI's fast paths can read the table.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from newsvoice.audio.targets import FIT_RANGE, SPEED_RANGE, LoudnessTarget, Measurement, presets  # noqa: F401
from newsvoice.errors import UsageError
from newsvoice.subtitles.formats import NAMES as SUB_FORMATS
from newsvoice.subtitles.rules import CueRules
from newsvoice.text.pauses import Pauses

AUDIO_FORMATS = ("wav", "mp3")
FPS_CHOICES = ("23.976", "24", "25", "29.97", "30", "50", "59.94", "60")
# progress(stage, done, total): "synthesising" counts units; later stages are one step each
Progress = Callable[[str, int, int | None], None]

# which commands take an option
RENDER, BATCH, ALIGN, CHECK, SERVE = "render", "batch", "align", "check", "serve"
OUTPUT_COMMANDS = frozenset({RENDER, BATCH, SERVE})  # render's output options, exactly
ALIGNED = OUTPUT_COMMANDS | {ALIGN}  # also shape align's subtitles
CUE_COMMANDS = ALIGNED | {CHECK}  # the broadcast preset


@dataclass(frozen=True)
class Spec:
    """One option, declared once.

    ``kind``: int, float, choice, flag, switch (--x/--no-x), text, duration (seconds or
    M:SS), formats (a list of subtitle formats), paths (repeatable file option), folder,
    engine, bitrate, texts (a repeatable text option). ``field``: the RenderOptions attribute it sets ("cues.max_chars" for a
    nested one; "!use_cache" sets the negation). ``shapes``: part of the output key."""

    flag: str
    kind: str
    default: Any
    help: str
    field: str
    commands: frozenset[str] = OUTPUT_COMMANDS
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] | Callable[[], Iterable[str]] = ()
    shapes: bool = True
    show_default: str | bool = True
    metavar: str | None = None

    @property
    def name(self) -> str:
        """The option's name: its flag without dashes (also its config key)."""
        return self.flag.lstrip("-")

    @property
    def param(self) -> str:
        """The Python identifier Click passes the value as."""
        return self.name.replace("-", "_")

    def choice_list(self) -> tuple[str, ...]:
        return tuple(self.choices() if callable(self.choices) else self.choices)


def _presets() -> tuple[str, ...]:
    return tuple(presets())


SPECS: tuple[Spec, ...] = (
    # ---- voice
    Spec(
        "--engine",
        "engine",
        "auto",
        "Speech engine (see `newsvoice voices`). auto: Google when "
        "reachable and willing (probed once, ~2 s), else offline espeak-ng.",
        "engine",
    ),
    Spec(
        "--voice",
        "text",
        None,
        "Voice name (piper: PATH.onnx); see `newsvoice voices`.",
        "voice",
        show_default=False,
    ),
    Spec(
        "--speed",
        "float",
        1.0,
        "Speaking pace; pitch is kept (applied to every engine).",
        "speed",
        lo=SPEED_RANGE[0],
        hi=SPEED_RANGE[1],
    ),
    Spec(
        "--fit",
        "duration",
        None,
        f"Narrate into this slot, e.g. 1:30 or 90 (s): pace and pauses "
        f"scale within {FIT_RANGE[0]}-{FIT_RANGE[1]}.",
        "fit_s",
        lo=1,
        hi=24 * 3600,
        show_default=False,
        metavar="DURATION",
    ),
    # ---- audio
    Spec("--format", "choice", "wav", "Audio file format.", "audio_format", choices=AUDIO_FORMATS),
    Spec("--bit-depth", "choice", "24", "WAV sample size.", "bit_depth", choices=("16", "24")),
    Spec("--bitrate", "bitrate", "192k", "MP3 bit rate (CBR), 8k-320k.", "bitrate"),
    Spec("--channels", "choice", "1", "2 = dual mono.", "channels", choices=("1", "2")),
    Spec(
        "--loudness",
        "choice",
        "ebu-r128",
        "Loudness preset: -23 LUFS/-1 dBTP, -24 LKFS/-2 dBTP, -16 LUFS/-1 dBTP, or leave (none).",
        "loudness",
        choices=_presets,
    ),
    Spec(
        "--lufs",
        "float",
        None,
        "Integrated loudness target (overrides --loudness).",
        "lufs",
        lo=-40,
        hi=-5,
        show_default=False,
    ),
    Spec(
        "--true-peak",
        "float",
        None,
        "True-peak ceiling, dBTP.",
        "true_peak",
        lo=-12,
        hi=0,
        show_default=False,
    ),
    # ---- subtitles
    Spec(
        "--subs",
        "formats",
        ("srt",),
        "Subtitle formats, comma-separated (or a TOML list): srt, vtt, ttml (EBU-TT-D).",
        "subs",
        commands=ALIGNED,
        show_default="srt",
    ),
    Spec(
        "--srt-bom",
        "flag",
        False,
        "Start the SRT with a UTF-8 BOM (some editing tools want it).",
        "srt_bom",
        commands=ALIGNED,
        show_default=False,
    ),
    Spec(
        "--fps",
        "fps",
        "25",
        "Frame grid for cue times.",
        "cues.fps",
        commands=CUE_COMMANDS,
        choices=FPS_CHOICES,
    ),
    Spec(
        "--max-chars",
        "int",
        42,
        "Characters per cue line.",
        "cues.max_chars",
        commands=CUE_COMMANDS,
        lo=10,
        hi=200,
    ),
    Spec(
        "--max-lines",
        "int",
        2,
        "Lines per cue.",
        "cues.max_lines",
        commands=CUE_COMMANDS,
        lo=1,
        hi=4,
    ),
    Spec(
        "--min-dur",
        "float",
        5 / 6,
        "Shortest cue, s.",
        "cues.min_dur",
        commands=CUE_COMMANDS,
        lo=0,
        hi=10,
        show_default="0.833",
    ),
    Spec(
        "--max-dur",
        "float",
        7.0,
        "Longest cue, s.",
        "cues.max_dur",
        commands=CUE_COMMANDS,
        lo=1,
        hi=60,
    ),
    Spec(
        "--gap-frames",
        "int",
        2,
        "Frames between cues.",
        "cues.gap_frames",
        commands=CUE_COMMANDS,
        lo=0,
        hi=25,
    ),
    Spec(
        "--max-cps",
        "float",
        20.0,
        "Reading speed (chars/s) above which a cue is reported.",
        "cues.max_cps",
        commands=CUE_COMMANDS,
        lo=1,
        hi=100,
    ),
    # ---- text
    Spec(
        "--headline",
        "switch",
        True,
        "Narrate the headline (--no-headline: leave it out).",
        "narrate_headline",
        commands=ALIGNED,
    ),
    Spec(
        "--keep-all",
        "flag",
        False,
        "Keep every line of the source (drop no web junk).",
        "keep_all",
        commands=ALIGNED,
        show_default=False,
    ),
    Spec(
        "--keep-line",
        "texts",
        (),
        "A line to read although a rule drops it (as `sentences --show-dropped` shows it). "
        "Repeatable.",
        "keep_lines",
        commands=ALIGNED,
        show_default=False,
        metavar="LINE",
    ),
    Spec(
        "--lexicon",
        "paths",
        (),
        "Extra TSV lexicon (written<TAB>spoken), overrides built-ins. Repeatable.",
        "lexicons",
        commands=ALIGNED,
        show_default=False,
    ),
    Spec("--pause-comma", "int", 300, "ms after , ; :", "pauses.comma", lo=0, hi=5000),
    Spec("--pause-sentence", "int", 600, "ms after a sentence.", "pauses.sentence", lo=0, hi=5000),
    Spec(
        "--pause-paragraph",
        "int",
        1000,
        "ms after a paragraph.",
        "pauses.paragraph",
        lo=0,
        hi=10000,
    ),
    Spec("--pause-head", "int", 300, "ms of silence before.", "pauses.head", lo=0, hi=10000),
    Spec("--pause-tail", "int", 700, "ms of silence after.", "pauses.tail", lo=0, hi=10000),
    # ---- delivery (issue 26)
    Spec(
        "--no-bwf",
        "flag",
        False,
        "Write a plain WAV, without the Broadcast WAV bext and iXML chunks.",
        "!bwf",
        show_default=False,
    ),
    Spec(
        "--start-tc",
        "text",
        None,
        "Timecode of the first sample, HH:MM:SS:FF (e.g. 10:00:00:00; "
        "29.97 drop-frame takes ';'): every subtitle file and the bext TimeReference.",
        "start_tc",
        commands=ALIGNED,
        show_default=False,
        metavar="TIMECODE",
    ),
    Spec(
        "--station",
        "text",
        None,
        "Station or originator name: bext Originator, iXML, MP3 publisher.",
        "station",
        show_default=False,
    ),
    # ---- how a render runs (not part of the output key)
    Spec(
        "--fallback",
        "engine",
        None,
        "When the online engine is unreachable, timing out or refusing, "
        "render with this engine instead (recorded in the manifest and report).",
        "fallback",
        shapes=False,
        show_default=False,
    ),
    Spec(
        "--max-retry-after",
        "float",
        60.0,
        "Longest Retry-After (s) to wait for; a service asking more fails (or falls back) at once.",
        "max_retry_after",
        lo=0,
        hi=3600,
        shapes=False,
    ),
    Spec(
        "--retries",
        "int",
        4,
        "Online engines: retries per phrase.",
        "retries",
        lo=0,
        hi=20,
        shapes=False,
    ),
    Spec(
        "--timeout",
        "float",
        10.0,
        "Online engines: longest time for one whole request, s.",
        "timeout",
        lo=0.1,
        hi=120,
        shapes=False,
    ),
    Spec(
        "--min-interval",
        "float",
        0.3,
        "Seconds between Google requests (batch: across the whole batch).",
        "min_interval",
        lo=0,
        hi=10,
        shapes=False,
    ),
    Spec(
        "--cache-dir",
        "folder",
        None,
        "Cache folder: phrases and memoised renders (default: the platform cache folder).",
        "cache_dir",
        commands=ALIGNED,
        shapes=False,
        show_default=False,
    ),
    Spec(
        "--no-cache",
        "flag",
        False,
        "Neither read nor write the phrase cache or the render memo (render everything again).",
        "!use_cache",
        commands=ALIGNED,
        shapes=False,
        show_default=False,
    ),
    # ---- align only (AlignOptions fields; the CLI takes them out before RenderOptions)
    Spec(
        "--asr",
        "choice",
        "auto",
        "Sentence anchors from a speech recogniser (speaker-robust): auto uses it when "
        "the asr extra or --asr-model is there, on requires it, off aligns by MFCC only.",
        "asr",
        commands=frozenset({ALIGN}),
        choices=("auto", "on", "off"),
    ),
    Spec(
        "--asr-model",
        "folder",
        None,
        "A CTranslate2 Whisper model folder for --asr (default: the asr extra's Whisper base).",
        "asr_model",
        commands=frozenset({ALIGN}),
        show_default=False,
        metavar="DIR",
    ),
)
ALIGN_ONLY = ("asr", "asr-model")  # table rows that set AlignOptions, not RenderOptions
BY_NAME: dict[str, Spec] = {s.name: s for s in SPECS}


def specs_for(command: str) -> tuple[Spec, ...]:
    """The options ``command`` takes, in the table's order."""
    return tuple(s for s in SPECS if command in s.commands)


@dataclass(frozen=True)
class RenderOptions:
    """Everything that shapes a render (also recorded in the manifest); fields whose
    ``run`` metadata is set say only how it runs (never part of the output key)."""

    engine: str = "auto"
    voice: str | None = None
    speed: float = 1.0
    fit_s: float | None = None  # narrate into this many seconds (overrides speed)
    audio_format: str = "wav"
    bit_depth: int = 24  # WAV only
    channels: int = 1  # 2 = dual mono
    bitrate: str = "192k"  # MP3 only, CBR
    loudness: str = "ebu-r128"  # preset name (assets/loudness.toml) or "none"
    lufs: float | None = None  # explicit target overrides the preset
    true_peak: float | None = None
    subs: tuple[str, ...] = ("srt",)
    srt_bom: bool = False
    narrate_headline: bool = True
    keep_all: bool = False
    keep_lines: tuple[str, ...] = ()  # dropped lines the producer keeps (text/article.py)
    pauses: Pauses = field(default_factory=Pauses)
    cues: CueRules = field(default_factory=CueRules)
    cache_dir: Path | None = field(default=None, metadata={"run": True})
    use_cache: bool = field(default=True, metadata={"run": True})
    lexicons: tuple[Path, ...] = ()  # keyed by their contents
    retries: int = field(default=4, metadata={"run": True})
    timeout: float = field(default=10.0, metadata={"run": True})
    min_interval: float = field(default=0.3, metadata={"run": True})
    backoff: float = field(default=1.0, metadata={"run": True})
    max_retry_after: float = field(default=60.0, metadata={"run": True})
    # engine to use when an online one is unusable; such renders are never stored
    fallback: str | None = field(default=None, metadata={"run": True})
    # processes for one render: 2 = a sidecar for an offline engine (byte-identical)
    jobs: int = field(default=2, metadata={"run": True})
    # issue 26 (broadcast delivery)
    bwf: bool = True  # WAV as Broadcast WAV (bext v2 + iXML); False: --no-bwf, plain WAV
    start_tc: str | None = (
        None  # HH:MM:SS:FF of the first sample: every subtitle file and bext TimeReference
    )
    station: str | None = None  # bext Originator, iXML and MP3 ID3 publisher (TPUB)


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
    fallback: dict | None = None  # {"from", "to", "reason"} when a fallback engine rendered it
    sidecar: dict | None = None  # {"units", "chunks"} the sidecar process did, when there was one
    restored: bool = False  # copied from the render memo (memo.py), not rendered
    checks: int = 0  # readings to check (plan.findings), for the stderr line


# ---------------------------------------------------------------- values -> RenderOptions


def _convert(spec: Spec, value: Any) -> Any:
    """An option's value as RenderOptions holds it (Click has checked its form)."""
    if value is None:
        return None
    if spec.kind == "fps":
        return float(value)
    if spec.kind == "choice" and spec.name in ("bit-depth", "channels"):
        return int(value)
    if spec.kind == "paths":
        return tuple(Path(p) for p in value)
    if spec.kind in ("formats", "texts"):
        return tuple(value)
    if spec.kind == "folder":
        return Path(value)
    if spec.kind == "duration" and isinstance(value, str):
        return parse_duration(value)
    return value


def from_values(
    values: Mapping[str, Any], base: RenderOptions | None = None, **run: Any
) -> RenderOptions:
    """RenderOptions from option values by name ("max-chars" or "max_chars"); options not
    given keep ``base``'s (default: RenderOptions()). ``run``: more fields set as they are
    (jobs, backoff). Unknown names are a UsageError naming them (the service's 422)."""
    base = base or RenderOptions()
    top: dict[str, Any] = {}
    nested: dict[str, dict[str, Any]] = {"cues": {}, "pauses": {}}
    for key, value in values.items():
        spec = BY_NAME.get(key.replace("_", "-"))
        if spec is None:
            raise UsageError(f"unknown option {key!r}", option=key)
        target, value = spec.field, _convert(spec, value)
        if target.startswith("!"):
            target, value = target[1:], not value
        if "." in target:
            group, attr = target.split(".")
            nested[group][attr] = value
        else:
            top[target] = value
    for group, attrs in nested.items():
        if attrs:
            top[group] = replace(getattr(base, group), **attrs)
    return replace(base, **top, **run)


def parse_duration(text: str) -> float:
    """``90``, ``90.5``, ``1:30`` or ``0:01:30`` -> seconds; minutes and seconds after
    the first part must be below 60 and nothing may be negative (ValueError)."""
    parts = str(text).strip().split(":")
    if not 1 <= len(parts) <= 3 or any(not p.strip() for p in parts):
        raise ValueError(f"not a duration: {text!r}")
    secs = 0.0
    for i, p in enumerate(parts):
        try:
            x = float(p)
        except ValueError:
            raise ValueError(f"not a duration: {text!r}") from None
        if (
            not math.isfinite(x)
            or x < 0
            or (i > 0 and x >= 60)
            or (i < len(parts) - 1 and x != int(x))
        ):
            raise ValueError(f"not a duration: {text!r} (use seconds or [H:]M:SS)")
        secs = secs * 60 + x
    return secs


# ---------------------------------------------------------------- validation


def _value_at(opts: RenderOptions, path: str) -> Any:
    obj: Any = opts
    for part in path.lstrip("!").split("."):
        obj = getattr(obj, part)
    return obj


def _check_range(spec: Spec, value: Any) -> None:
    if value is None or spec.kind in ("flag", "switch", "paths", "folder", "text", "texts"):
        return
    if spec.kind in ("choice", "fps"):
        allowed = spec.choice_list()
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        if spec.kind == "fps":
            ok = any(abs(float(c) - float(value)) < 1e-6 for c in allowed)
        else:
            ok = shown in allowed
        if not ok:
            raise UsageError(
                f"{spec.flag} {shown!r}: choose from {', '.join(allowed)}", option=spec.flag
            )
        return
    if spec.kind == "formats":
        bad = [s for s in value if s not in SUB_FORMATS]
        if bad or not value:
            raise UsageError(
                f"{spec.flag}: unknown subtitle format {bad[0] if bad else ''!r} "
                f"(choose from {', '.join(SUB_FORMATS)})",
                option=spec.flag,
            )
        return
    if spec.lo is None or not isinstance(value, int | float) or isinstance(value, bool):
        return
    if not math.isfinite(value) or not spec.lo <= value <= (
        spec.hi if spec.hi is not None else math.inf
    ):
        raise UsageError(
            f"{spec.flag} {value:g} is outside {spec.lo:g}-{spec.hi:g}", option=spec.flag
        )


def conflicts(opts: RenderOptions, defaults: RenderOptions | None = None) -> str | None:
    """The first pair of options that cannot both be meant, or None."""
    d = defaults or RenderOptions()
    c = opts.cues
    if c.min_dur > c.max_dur:
        return f"--min-dur {c.min_dur:g} is longer than --max-dur {c.max_dur:g}"
    if opts.fit_s is not None and opts.speed != d.speed:
        return "--fit sets the pace itself: give --fit or --speed, not both"
    if opts.loudness == "none" and (opts.lufs is not None or opts.true_peak is not None):
        return "--loudness none leaves levels as they are: --lufs/--true-peak would be ignored"
    if opts.audio_format == "mp3" and opts.bit_depth != d.bit_depth:
        return "--bit-depth is for WAV; MP3 takes --bitrate"
    if opts.audio_format == "wav" and opts.bitrate != d.bitrate:
        return "--bitrate is for MP3; WAV takes --bit-depth"
    if opts.voice is not None and not opts.voice.strip():
        return "--voice is empty (leave it out for the engine's default voice)"
    return None


def loudness_target(opts: RenderOptions) -> LoudnessTarget | None:
    """The target from --lufs/--true-peak, else from the named preset (None: leave levels)."""
    if opts.lufs is not None:
        return LoudnessTarget(opts.lufs, opts.true_peak if opts.true_peak is not None else -1.0)
    table = presets()
    if opts.loudness not in table:
        raise UsageError(
            f"unknown loudness preset {opts.loudness!r} (choose from {', '.join(table)})",
            option="--loudness",
        )
    target = table[opts.loudness]
    if target is not None and opts.true_peak is not None:
        target = replace(target, true_peak=opts.true_peak)
    return target


def start_frames(opts: RenderOptions) -> int:
    """Frames before the programme's first sample on the cue grid (``--start-tc``)."""
    if opts.start_tc is None:
        return 0
    from newsvoice.timecode import FrameRate, parse

    try:
        return parse(opts.start_tc, FrameRate(opts.cues.fps_exact))
    except ValueError as e:
        raise UsageError(f"--start-tc: {e}", option="--start-tc") from None


def validate(opts: RenderOptions) -> LoudnessTarget | None:
    """Refuse impossible options before any work (UsageError, exit 2); return the
    loudness target. The same checks for the CLI, batch, library callers and the service."""
    for spec in specs_for(RENDER):
        if spec.kind != "engine":  # engines and voices: the registry decides (check_choice)
            _check_range(spec, _value_at(opts, spec.field))
    why = conflicts(opts)
    if why:
        raise UsageError(why)
    start_frames(opts)
    return loudness_target(opts)


# ---------------------------------------------------------------- the output key

# third-party packages whose version can change the bytes (decoding, DSP, encoding, voices)
KEY_DEPENDENCIES = (
    "numpy",
    "scipy",
    "pydub",
    "srt",
    "espeakng-loader",
    "imageio-ffmpeg",
    "underthesea",
)
KEYED_APART = frozenset({"engine", "voice", "lexicons"})  # keyed as resolved / by content


def shaping_values(opts: Any) -> dict[str, Any]:
    """Every field of an options dataclass that can change an output (not ``run``
    metadata, not keyed apart), as JSON-able values."""
    out = {}
    for f in fields(opts):
        if f.metadata.get("run") or f.name in KEYED_APART:
            continue
        value = getattr(opts, f.name)
        out[f.name] = (
            asdict(value) if is_dataclass(value) and not isinstance(value, type) else value
        )
    return out


@functools.cache
def code_digest() -> str:
    """sha256 of every file of the newsvoice package and its assets (paths and bytes),
    the version and the output-shaping dependencies' versions; once per process (~10 ms)."""
    import newsvoice
    import newsvoice.assets

    h = hashlib.sha256(f"{newsvoice.__version__}\0{sys.version_info[:2]}\0".encode())
    versions = installed_versions(KEY_DEPENDENCIES)
    for name in KEY_DEPENDENCIES:
        h.update(f"{name}={versions.get(name, '-')}\0".encode())
    for top in (Path(newsvoice.__file__).parent, Path(newsvoice.assets.__file__).parent):
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for fn in sorted(filenames):
                path = Path(dirpath, fn)
                if fn.endswith((".pyc", ".pyo")):
                    continue
                h.update(os.fsencode(path.relative_to(top.parent)) + b"\0")
                h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def installed_versions(names: tuple[str, ...]) -> dict[str, str]:
    """Each distribution's version from its ``<name>-<version>.dist-info`` folder, the
    first on sys.path as importlib.metadata finds it, without importing that (~40 ms,
    on every render)."""

    def norm(name: str) -> str:
        return name.lower().replace("-", "_").replace(".", "_")

    wanted = {norm(n): n for n in names}
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            listing = os.listdir(entry or ".")
        except OSError:
            continue
        for d in listing:
            if d.endswith(".dist-info"):
                name, _, version = d[: -len(".dist-info")].partition("-")
                key = wanted.get(norm(name))
                if key is not None and key not in found:
                    found[key] = version
    return found


def voice_files(voice: str) -> list:
    """A voice that is a model file (piper): its size and mtime, and its config's."""
    import stat

    sig = []
    for p in (voice, f"{voice}.json"):
        try:
            st = os.stat(p)
        except (OSError, ValueError):
            continue
        if stat.S_ISREG(st.st_mode):
            sig.append([p, st.st_size, st.st_mtime_ns])
    return sig


def output_key(
    source: bytes,
    opts: Any,
    *,
    engine: str,
    voice: str,
    lexicons: Iterable[bytes],
    name: str = "",
    stem: str = "",
    kind: str = "render",
    extra: Mapping[str, Any] | None = None,
) -> str:
    """The one key of an output: the input bytes (and the name and stem the outputs carry),
    every output-shaping setting, the lexicon contents, the engine and voice that speak
    (and a voice model file's identity), and the package's code and data with the
    dependency versions. ``kind`` keeps different products of the same input apart
    (a render, an alignment); ``extra``: more inputs of that product (a recording's bytes
    digest)."""
    doc = {
        "kind": kind,
        "code": code_digest(),
        "name": name,
        "stem": stem,
        "engine": engine,
        "voice": voice,
        "voice_files": voice_files(voice),
        "options": shaping_values(opts),
        "lexicons": [hashlib.sha256(b).hexdigest() for b in lexicons],
        "source": hashlib.sha256(source).hexdigest(),
        "extra": dict(extra or {}),
    }
    blob = json.dumps(doc, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8", "surrogateescape")).hexdigest()
