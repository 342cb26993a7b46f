"""Speech engines behind one interface (base.py), listed in one registry (registry.py)."""

from __future__ import annotations

from newsvoice.speech.engines.base import Engine, Speech, Voice, VoiceError, WordTiming
from newsvoice.speech.engines.online import CircuitBreaker, CircuitOpenError, ServiceUnavailable
from newsvoice.speech.engines.registry import (
    AUTO,
    EngineSettings,
    EngineSpec,
    FallbackEngine,
    all_voices,
    builtin_names,
    check_choice,
    engine_names,
    engines,
    fallback_for,
    get_spec,
    open_engine,
    open_fallback,
    primary_of,
)

__all__ = [
    "AUTO",
    "CircuitBreaker",
    "CircuitOpenError",
    "Engine",
    "EngineSettings",
    "EngineSpec",
    "FallbackEngine",
    "ServiceUnavailable",
    "Speech",
    "Voice",
    "VoiceError",
    "WordTiming",
    "all_voices",
    "builtin_names",
    "check_choice",
    "engine_names",
    "engines",
    "fallback_for",
    "get_spec",
    "open_engine",
    "open_fallback",
    "primary_of",
]
