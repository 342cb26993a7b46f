"""The one list of speech engines: what each is, and how to open one.

Every engine is one module plus one ``EngineSpec`` here. The CLI's ``--engine``
choices, ``newsvoice voices``, batch pools (process or threads), ``auto`` and
``--fallback`` all read this registry, so adding an engine touches no other file.

Third-party engines plug in through the entry-point group ``newsvoice.speech.engines``:
an entry point names an ``EngineSpec`` (or a function returning one), e.g. in
the plugin's pyproject.toml::

    [project.entry-points."newsvoice.speech.engines"]
    mytts = "mytts_newsvoice:SPEC"
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from newsvoice.speech.engines.base import Engine, Speech, Voice, VoiceError
from newsvoice.speech.engines.online import (
    CircuitBreaker,
    OnlinePolicy,
    RateLimit,
    ServiceUnavailable,
    probe,
)
from newsvoice.speech.engines.voices import EDGE, ESPEAK, GOOGLE

log = logging.getLogger("newsvoice")

ENTRY_POINT_GROUP = "newsvoice.speech.engines"
AUTO = "auto"  # Google when reachable and willing, else espeak-ng
AUTO_PRIMARY, AUTO_FALLBACK = "gtts", "espeak"


@dataclass(frozen=True)
class EngineSettings:
    """What a factory may use: the online policy and, in a batch, the shared breaker
    and rate limit (so every thread counts against one budget)."""

    policy: OnlinePolicy = field(default_factory=OnlinePolicy)
    breaker: CircuitBreaker | None = None
    rate: RateLimit | None = None

    @classmethod
    def from_options(cls, opts: Any, **kw: Any) -> EngineSettings:
        """From anything with RenderOptions' timeout/retries/... fields."""
        names = ("timeout", "retries", "backoff", "min_interval", "max_retry_after")
        policy = OnlinePolicy(**{n: getattr(opts, n) for n in names if hasattr(opts, n)})
        return cls(policy, **kw)


@dataclass(frozen=True)
class EngineSpec:
    """One engine as the rest of newsvoice sees it."""

    name: str
    description: str
    voices: Mapping[str, str]  # voice -> description; empty: open-ended (voice_hint)
    word_times: bool  # reports word times itself (else the aligner does)
    online: bool  # needs a network service
    parallel: Literal["process", "threads"]  # batch pool: CPU-bound or network-bound
    factory: Callable[[str, EngineSettings], Engine]
    default_voice: str | None = None
    endpoint: Callable[[str], str] | None = None  # online: the URL the fast probe connects to
    service: str = ""  # online: name in messages ("Google")
    check_voice: Callable[[str | None], str] | None = None  # open-ended voices: validate one
    voice_hint: str = ""  # open-ended voices: what to pass

    def resolve_voice(self, voice: str | None) -> str:
        """The voice to use, or VoiceError (exit 2) naming the choices."""
        if self.check_voice is not None:
            try:
                return self.check_voice(voice)
            except ValueError as e:
                raise VoiceError(str(e)) from None
        v = voice or self.default_voice or next(iter(self.voices), "")
        if v not in self.voices:
            raise VoiceError(
                f"unknown {self.name} voice {v!r}; choose from {', '.join(self.voices)}"
            )
        return v


# ---------------------------------------------------------------- built-in engines


def _espeak(voice: str, s: EngineSettings) -> Engine:
    from newsvoice.speech.engines.espeak import EspeakEngine

    return EspeakEngine(voice)


def _gtts(voice: str, s: EngineSettings) -> Engine:
    from newsvoice.speech.engines.google import GoogleEngine

    return GoogleEngine(voice, policy=s.policy, breaker=s.breaker, rate=s.rate)


def _edge(voice: str, s: EngineSettings) -> Engine:
    from newsvoice.speech.engines.edge import EdgeEngine

    return EdgeEngine(voice, policy=s.policy, breaker=s.breaker, rate=s.rate)


def _piper(voice: str, s: EngineSettings) -> Engine:
    from newsvoice.speech.engines.piper import PiperEngine

    return PiperEngine(voice)


def _gtts_endpoint(voice: str) -> str:
    from newsvoice.speech.engines.google import endpoint

    return endpoint(voice)


def _edge_endpoint(voice: str) -> str:
    from newsvoice.speech.engines.edge import endpoint

    return endpoint(voice)


def _piper_voice(voice: str | None) -> str:
    from newsvoice.speech.engines.piper import check_voice

    return check_voice(voice)


def _builtins() -> list[EngineSpec]:
    return [
        EngineSpec(
            "gtts",
            "Google Translate's voice (gTTS)",
            GOOGLE,
            word_times=False,
            online=True,
            parallel="threads",
            factory=_gtts,
            default_voice="vi",
            endpoint=_gtts_endpoint,
            service="Google",
        ),
        EngineSpec(
            "edge",
            "Microsoft Edge neural voices (edge-tts)",
            EDGE,
            word_times=True,
            online=True,
            parallel="threads",
            factory=_edge,
            default_voice="vi-VN-HoaiMyNeural",
            endpoint=_edge_endpoint,
            service="Edge TTS",
        ),
        EngineSpec(
            "espeak",
            "espeak-ng, in-process",
            ESPEAK,
            word_times=True,
            online=False,
            parallel="process",
            factory=_espeak,
            default_voice="vi",
        ),
        EngineSpec(
            "piper",
            "Piper neural voice model (pip install 'newsvoice[piper]')",
            {},
            word_times=False,
            online=False,
            parallel="process",
            factory=_piper,
            check_voice=_piper_voice,
            voice_hint="PATH.onnx",
        ),
    ]


@functools.lru_cache(maxsize=4)
def _entry_points(path: tuple[str, ...]) -> tuple[Any, ...]:
    """The group's entry points for this import path (scanning every installed
    distribution takes ~7 ms, and a render asks for the engine table six times;
    importing importlib.metadata another 40 ms, so only when a plugin may matter)."""
    from importlib.metadata import entry_points

    return tuple(entry_points(group=ENTRY_POINT_GROUP))


def _plugins(known: set[str]) -> list[EngineSpec]:
    """Specs from the ``newsvoice.speech.engines`` entry points; a broken plugin is skipped
    with a warning, never allowed to stop the built-in engines."""
    found = []
    for ep in _entry_points(tuple(sys.path)):
        try:
            obj = ep.load()
            spec = obj() if callable(obj) and not isinstance(obj, EngineSpec) else obj
        except Exception as e:
            log.warning("engine plugin %s could not be loaded: %s", ep.name, e)
            continue
        if not isinstance(spec, EngineSpec):
            log.warning("engine plugin %s is not an EngineSpec; skipped", ep.name)
        elif spec.name in known or spec.name == AUTO:
            log.warning("engine plugin %s reuses the name %r; skipped", ep.value, spec.name)
        else:
            known.add(spec.name)
            found.append(spec)
    return found


def engines() -> dict[str, EngineSpec]:
    """Every engine by name: built-ins first, then plugins (entry points read once per import path)."""
    specs = _builtins()
    specs += _plugins({s.name for s in specs})
    return {s.name: s for s in specs}


def engine_names() -> list[str]:
    return list(engines())


def builtin_names() -> list[str]:
    """The built-in engines' names (known without looking for plugins)."""
    return [spec.name for spec in _builtins()]


def get_spec(name: str) -> EngineSpec:
    builtin = next((spec for spec in _builtins() if spec.name == name), None)
    if builtin is not None:  # a plugin never takes a built-in's name: no need to look for plugins
        return builtin
    table = engines()
    if name not in table:
        raise VoiceError(f"unknown engine {name!r}; choose from {', '.join([AUTO, *table])}")
    return table[name]


def all_voices() -> list[Voice]:
    out = []
    for spec in engines().values():
        if spec.voices:
            out += [Voice(spec.name, v, d) for v, d in spec.voices.items()]
        else:
            out.append(Voice(spec.name, spec.voice_hint or "-", spec.description))
    return out


# ---------------------------------------------------------------- opening an engine


class FallbackEngine:
    """The fallback engine standing in for an unusable service, saying so: its
    ``fallback`` record (from, to, reason) goes into the manifest and batch report."""

    def __init__(self, engine: Engine, from_engine: str, reason: str) -> None:
        self.engine = engine
        self.name = engine.name
        self.voice = engine.voice
        self.fallback = {"from": from_engine, "to": engine.name, "reason": reason}

    def synthesize(self, text: str) -> Speech:
        return self.engine.synthesize(text)


def fallback_for(engine: str, fallback: str | None) -> str | None:
    """The engine to fall back to: the one asked for, or espeak for ``auto``."""
    if fallback:
        return fallback
    return AUTO_FALLBACK if engine == AUTO else None


def primary_of(engine: str, voice: str | None) -> str:
    """``auto`` means Google, unless an espeak-only voice was asked for."""
    if engine != AUTO:
        return engine
    return (
        AUTO_FALLBACK
        if voice and voice in get_spec(AUTO_FALLBACK).voices and voice != "vi"
        else AUTO_PRIMARY
    )


def check_choice(name: str, voice: str | None) -> None:
    """Raise VoiceError (exit 2) for an unknown engine or voice, before any work is done."""
    get_spec(primary_of(name, voice)).resolve_voice(voice)


def open_fallback(
    fallback: str, from_engine: str, reason: str, settings: EngineSettings, voice: str | None = None
) -> FallbackEngine:
    spec = get_spec(fallback)
    log.warning("%s; using %s instead", reason, spec.name)
    usable = voice if voice in spec.voices else None
    return FallbackEngine(spec.factory(spec.resolve_voice(usable), settings), from_engine, reason)


def unreachable(spec: EngineSpec, voice: str, probe_timeout: float) -> str | None:
    """One fast probe of an online engine's service: None when it answers, else why not."""
    if not spec.online or spec.endpoint is None:
        return None
    why = probe(spec.endpoint(voice), probe_timeout)
    return None if why is None else f"{spec.service or spec.name} is unreachable: {why}"


def open_engine(
    name: str,
    voice: str | None = None,
    settings: EngineSettings | None = None,
    *,
    fallback: str | None = None,
    probe_timeout: float = 2.0,
) -> Engine:
    """Build the engine asked for. An online one is probed once first: when its
    service does not answer, the fallback engine (if any; ``auto`` falls back to
    espeak) is returned, else ServiceUnavailable (exit 3) is raised at once."""
    settings = settings or EngineSettings()
    fb = fallback_for(name, fallback)
    name = primary_of(name, voice)
    spec = get_spec(name)
    voice = spec.resolve_voice(voice)
    why = unreachable(spec, voice, probe_timeout)
    if why is not None:
        if fb is None or fb == name:
            raise ServiceUnavailable(why)
        return open_fallback(fb, name, why, settings, voice)
    if fb is not None and spec.online and settings.breaker is None:
        # with somewhere else to go, two refusals in a row are enough: don't keep knocking
        settings = replace(settings, breaker=CircuitBreaker(limit=2))
    return spec.factory(voice, settings)
