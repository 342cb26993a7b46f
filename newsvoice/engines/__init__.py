"""Speech engines behind one interface (see base.py) and the choice between them."""

from __future__ import annotations

import logging

from newsvoice.engines.base import Engine, Speech, Voice, WordTiming
from newsvoice.errors import EngineError

log = logging.getLogger("newsvoice")

ENGINES = ("auto", "gtts", "espeak")


def all_voices() -> list[Voice]:
    from newsvoice.engines.espeak import VOICES as ESPEAK
    from newsvoice.engines.google import VOICES as GOOGLE

    return [Voice("gtts", v, d) for v, d in GOOGLE.items()] + [
        Voice("espeak", v, d) for v, d in ESPEAK.items()
    ]


def make_engine(name: str = "auto", voice: str | None = None, speed: float = 1.0, *,
                retries: int = 4, timeout: float = 10.0, min_interval: float = 0.3,
                probe_timeout: float = 2.0) -> Engine:
    """Build the engine asked for; ``auto`` probes Google once and falls back to espeak."""
    from newsvoice.engines.espeak import EspeakEngine
    from newsvoice.engines.google import GoogleEngine, probe

    if name == "espeak":
        return EspeakEngine(voice or "vi", speed)
    if name == "gtts":
        return GoogleEngine(voice or "vi", speed, retries=retries, timeout=timeout,
                            min_interval=min_interval)
    if name == "auto":
        from newsvoice.engines.espeak import VOICES as ESPEAK

        if voice in ESPEAK and voice != "vi":
            return EspeakEngine(voice, speed)
        if probe(voice or "vi", timeout=probe_timeout):
            return GoogleEngine(voice or "vi", speed, retries=retries, timeout=timeout,
                                min_interval=min_interval)
        log.warning("Google TTS is unreachable; using the offline espeak-ng voice")
        return EspeakEngine(voice if voice in ESPEAK else "vi", speed)
    raise EngineError(f"unknown engine {name!r}; choose from {', '.join(ENGINES)}")


__all__ = ["ENGINES", "Engine", "Speech", "Voice", "WordTiming", "all_voices", "make_engine"]
