"""The JSON manifest of a render: what was said, when, by which engine, and why.

Built from the stages' outputs only (plan, unit spans, word timeline, cues,
loudness), so it is a faithful record and review tools need nothing else.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from newsvoice import __version__
from newsvoice.audio.targets import LoudnessTarget, Measurement
from newsvoice.findings import CHECK, Finding
from newsvoice.options import RenderOptions
from newsvoice.outputs.files import display_path
from newsvoice.speech.timeline import TimedWord
from newsvoice.subtitles.cutter import CueResult
from newsvoice.text.plan import Plan


def build_manifest(
    src: str,
    plan: Plan,
    spans_s: list[tuple[float, float]],
    words: list[TimedWord],
    cues: CueResult,
    *,
    engine: str,
    voice: str,
    engine_calls: int,
    cache_hits: int,
    aligned_units: int,
    opts: RenderOptions,
    findings: list[Finding],
    speed: float,
    duration_s: float,
    samples: int,
    rate: int,
    target: LoudnessTarget | None,
    loud: Measurement,
    outputs: dict[str, str],
    fallback: dict | None = None,
) -> dict:
    """``findings``: the plan's notices, the cutter's bent rules and the readings to
    check, written whole under "findings" (the review page reads them there); "warnings"
    keeps the one-line texts of those that are not readings to check."""
    units = [
        {
            "written": u.written,
            "spoken": u.spoken,
            "start": round(s, 6),
            "end": round(e, 6),
            "paragraph": u.paragraph,
            "sentence": u.sentence,
            "pause_after_ms": u.pause_after_ms,
        }
        for u, (s, e) in zip(plan.units, spans_s, strict=True)
    ]
    return {
        "newsvoice": __version__,
        "source": display_path(src),
        "engine": engine,
        "voice": voice,
        "fallback": fallback,
        "word_timing": "aligner" if aligned_units else "engine",
        "speed": round(speed, 4),
        "fit_s": opts.fit_s,
        "sample_rate": rate,
        "bit_depth": opts.bit_depth if opts.audio_format == "wav" else None,
        "channels": opts.channels,
        "bitrate": opts.bitrate if opts.audio_format == "mp3" else None,
        "loudness": {
            "preset": "custom" if opts.lufs is not None else opts.loudness,
            "target_lufs": target.lufs if target else None,
            "target_true_peak_dbtp": target.true_peak if target else None,
            **loud.as_dict(),
        },
        "duration_s": round(duration_s, 6),
        "samples": samples,
        "headline": plan.headline,
        "outputs": {k: display_path(v) for k, v in outputs.items()},
        "units": units,
        "words": [w.as_dict() for w in words],
        "cues": [
            {
                "start": round(c.start, 3),
                "end": round(c.end, 3),
                "text": c.text,
                "spoken": " ".join(w.spoken for w in words[c.words[0] : c.words[1]] if w.spoken),
                "words": list(c.words),
            }
            for c in cues.cues
        ],
        "totals": {
            "units": len(plan.units),
            "words": len(words),
            "cues": len(cues.cues),
            "sentences": len({u.sentence for u in plan.units}),
            "engine_calls": engine_calls,
            "cache_hits": cache_hits,
            "aligned_units": aligned_units,
        },
        "dropped": [asdict(d) for d in plan.dropped],
        "warnings": [str(f) for f in findings if f.severity != CHECK],
        "findings": [f.to_dict() for f in findings],
        "settings": {
            "pauses": asdict(opts.pauses),
            "cues": asdict(opts.cues),
            "audio_format": opts.audio_format,
            "subs": list(opts.subs),
            "bwf": opts.bwf and opts.audio_format == "wav",
            "start_tc": opts.start_tc,
            "station": opts.station,
        },
    }


def build_align_manifest(
    article: str,
    recording: Path,
    plan: Plan,
    words: list[TimedWord],
    cues: CueResult,
    confidence: list[float],
    *,
    sentences: list[dict],
    unmatched: list[str],
    extra: list[tuple[float, float]],
    duration_s: float,
    offset_s: float,
    outputs: dict[str, str],
    warnings: list[str],
    settings: dict,
) -> dict:
    """The manifest of ``newsvoice align``: render's word and cue forms, plus what the
    reader skipped ("unmatched") and what they said that the article does not ("extra")."""
    return {
        "newsvoice": __version__,
        "source": display_path(article),
        "recording": display_path(recording),
        "word_timing": "aligner",
        "duration_s": round(duration_s, 6),
        "offset_s": offset_s,
        "headline": plan.headline,
        "outputs": {k: display_path(v) for k, v in outputs.items()},
        "sentences": sentences,
        "words": [w.as_dict() for w in words],
        "cues": [
            {
                "start": round(c.start, 3),
                "end": round(c.end, 3),
                "text": c.text,
                "spoken": " ".join(w.spoken for w in words[c.words[0] : c.words[1]] if w.spoken),
                "words": list(c.words),
                "confidence": round(cf, 2),
            }
            for c, cf in zip(cues.cues, confidence, strict=True)
        ],
        "unmatched": unmatched,
        "extra": [{"start": round(a, 3), "end": round(b, 3)} for a, b in extra],
        "totals": {
            "sentences": len(sentences),
            "matched": len(sentences) - len(unmatched),
            "words": len(words),
            "cues": len(cues.cues),
        },
        "dropped": [asdict(d) for d in plan.dropped],
        "warnings": warnings,
        "settings": {
            k: asdict(v) if hasattr(v, "__dataclass_fields__") else v for k, v in settings.items()
        },
    }
