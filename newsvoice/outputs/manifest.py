"""The JSON manifest of a render: what was said, when, by which engine, and why.

Built from the stages' outputs only (plan, unit spans, word timeline, cues,
loudness), so it is a faithful record and review tools need nothing else.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from newsvoice import __version__
from newsvoice.audio.targets import LoudnessTarget, Measurement
from newsvoice.findings import CHECK, Finding
from newsvoice.options import RenderOptions
from newsvoice.outputs.files import display_path
from newsvoice.speech.timeline import TimedWord
from newsvoice.subtitles.cutter import CueResult
from newsvoice.text.plan import Plan


@dataclass(frozen=True)
class Speaker:
    """Who spoke the programme and how much it cost."""

    engine: str
    voice: str
    engine_calls: int
    cache_hits: int
    aligned_units: int  # units whose word times came from the aligner, not the engine
    fallback: dict | None = None  # {"from", "to", "reason"} when a fallback engine spoke


@dataclass(frozen=True)
class Programme:
    """The finished programme, one record: what the manifest describes (the render
    builds it once, after loudness, before writing)."""

    source: str
    plan: Plan
    spans_s: list[tuple[float, float]]  # each unit's [start, end) in the delivered audio
    words: list[TimedWord]
    cues: CueResult
    findings: list[Finding]
    speaker: Speaker
    speed: float
    duration_s: float
    samples: int
    rate: int
    loudness: Measurement
    target: LoudnessTarget | None


def build_manifest(prog: Programme, opts: RenderOptions, outputs: dict[str, str]) -> dict:
    """The manifest of a render. ``prog.findings``: the plan's notices, the cutter's bent
    rules, the render's own check and the readings to check, written whole under
    "findings" (the review page reads them there); "warnings" keeps the one-line texts
    of those that are not readings to check."""
    plan, cues, words, sp = prog.plan, prog.cues, prog.words, prog.speaker
    target, loud, findings = prog.target, prog.loudness, prog.findings
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
        for u, (s, e) in zip(plan.units, prog.spans_s, strict=True)
    ]
    return {
        "newsvoice": __version__,
        "source": display_path(prog.source),
        "engine": sp.engine,
        "voice": sp.voice,
        "fallback": sp.fallback,
        "word_timing": "aligner" if sp.aligned_units else "engine",
        "speed": round(prog.speed, 4),
        "fit_s": opts.fit_s,
        "sample_rate": prog.rate,
        "bit_depth": opts.bit_depth if opts.audio_format == "wav" else None,
        "channels": opts.channels,
        "bitrate": opts.bitrate if opts.audio_format == "mp3" else None,
        "loudness": {
            "preset": "custom" if opts.lufs is not None else opts.loudness,
            "target_lufs": target.lufs if target else None,
            "target_true_peak_dbtp": target.true_peak if target else None,
            **loud.as_dict(),
        },
        "duration_s": round(prog.duration_s, 6),
        "samples": prog.samples,
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
            "engine_calls": sp.engine_calls,
            "cache_hits": sp.cache_hits,
            "aligned_units": sp.aligned_units,
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
