"""Long-form alignment (``newsvoice align``): word-onset error and speed on whole readings.

A "reading" is an article said by espeak-ng in a voice and pace other than the
aligner's reference (which is espeak-ng ``vi`` at 1.0×), sentence by sentence,
with the plan's pauses stretched at random (0.5–2×) as a reader would; the pace
is changed on the whole reading with ffmpeg atempo (pitch kept). Truth is
espeak's own word events. Conditions: other voices and speeds, pitch changed
(asetrate + atempo: same duration, other pitch), telephone band, noise at
20 dB SNR, MP3 64 kbit/s (a file, so the gapless header removes encoder delay),
reverb (aecho), a music bed (synthesised chords + pink-ish noise at -15 dB
under the speech). Speed: a 30-minute reading (the examples repeated, other
voices) through the whole ``align`` pipeline, warm reference cache.

    python bench/align_longform.py accuracy
    python bench/align_longform.py speed [--minutes 30]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from newsvoice.audio.track import RATE, tempo
from newsvoice.speech.engines.espeak import EspeakEngine
from newsvoice.speech.synth import Synthesizer, synthesize_units
from newsvoice.speech.timeline import build_timeline
from newsvoice.text.article import parse_article
from newsvoice.text.normalize import Normalizer
from newsvoice.text.plan import build_plan

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_align", ROOT / "bench" / "align.py")
bench_align = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_align)  # type: ignore[union-attr]


def reading(
    article: Path, voice: str, speed: float, rng: np.random.Generator, lead_s: float = 0.5
) -> tuple[np.ndarray, list[tuple[str, float]]]:
    """(int16 audio at RATE, [(written word, onset s)]) of ``article`` read by espeak."""
    plan = build_plan(parse_article(article.read_bytes()), Normalizer())
    speech = synthesize_units(
        [u.spoken for u in plan.units], Synthesizer(EspeakEngine(voice), None)
    )
    parts, spans, pos = [np.zeros(int(lead_s * RATE), np.int16)], [], int(lead_s * RATE)
    for u, s in zip(plan.units, speech, strict=True):
        parts.append(s.samples)
        spans.append((pos / RATE, (pos + len(s.samples)) / RATE))
        pos += len(s.samples)
        gap = int(RATE * u.pause_after_ms / 1000 * rng.uniform(0.5, 2.0))
        parts.append(np.zeros(gap, np.int16))
        pos += gap
    words = build_timeline(
        plan.units,
        [s.starts for s in speech],
        [s.duration_s for s in speech],
        spans,
        [1.0] * len(speech),
        [1.0] * len(speech),
    )
    x = np.concatenate(parts)
    y = tempo(
        x, speed
    )  # the other pace, pitch kept (espeak's own rate is not an engine option now)
    k = len(y) / len(x)
    return y, [(w.text, w.start * k) for w in words]


def pitch(x: np.ndarray, factor: float) -> np.ndarray:
    """Pitch up by ``factor`` at the same duration (asetrate, then atempo back)."""
    return bench_align.ffmpeg_filter(
        x, ["-af", f"asetrate={int(RATE * factor)},aresample={RATE},atempo={1 / factor:.6f}"]
    )


def music_bed(x: np.ndarray, rng: np.random.Generator, db: float = -15.0) -> np.ndarray:
    """Chords (A minor / F / C / G, 2 s each, with harmonics) and soft noise under the speech."""
    t = np.arange(len(x)) / RATE
    chords = [
        (220.0, 261.6, 329.6),
        (174.6, 220.0, 261.6),
        (261.6, 329.6, 392.0),
        (196.0, 246.9, 293.7),
    ]
    which = (t // 2).astype(int) % 4
    bed = np.zeros(len(x))
    for c, freqs in enumerate(chords):
        sel = which == c
        for f in freqs:
            for h, amp in ((1, 1.0), (2, 0.4), (3, 0.2)):
                bed[sel] += amp * np.sin(2 * np.pi * f * h * t[sel])
    noise = np.cumsum(rng.normal(0, 1, len(x)))
    noise -= np.convolve(noise, np.ones(200) / 200, mode="same")
    bed += 0.3 * noise / (noise.std() + 1e-9) * bed.std()
    sp = x.astype(np.float64)
    p_speech = np.mean(sp[np.abs(sp) > 300] ** 2)
    bed *= np.sqrt(p_speech * 10 ** (db / 10) / np.mean(bed**2))
    return np.clip(sp + bed, -32768, 32767).astype(np.int16)


CONDITIONS = {
    "clean": lambda x, rng: x,
    "pitch +15%": lambda x, rng: pitch(x, 1.15),
    "pitch -12%": lambda x, rng: pitch(x, 0.88),
    "telephone 300-3400 Hz": bench_align.CONDITIONS["telephone 300-3400 Hz"],
    "noise 20 dB SNR": bench_align.noise_20db,
    "MP3 64 kbit/s": lambda x, rng: bench_align.mp3_64k(x),
    "reverb (aecho)": lambda x, rng: bench_align.ffmpeg_filter(
        x, ["-af", "aecho=0.8:0.7:40|70|110:0.35|0.25|0.15"]
    ),
    "music bed -15 dB": music_bed,
}


def write_wav(path: Path, x: np.ndarray) -> None:
    import wave

    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(x.astype(np.int16).tobytes())


def run_align(article: Path, rec: Path, out: Path):
    import json

    from newsvoice.pipeline.voiceover import AlignOptions, align

    res = align(article, rec, out, AlignOptions())
    return res, json.loads((out / f"{rec.stem}.json").read_text(encoding="utf-8"))


def errors_ms(got: list[dict], truth: list[tuple[str, float]]) -> np.ndarray:
    """|onset error| of every word (the lists are the same words in the same order)."""
    assert [w["text"] for w in got] == [t for t, _ in truth], "word lists differ"
    return np.abs(np.array([w["start"] for w in got]) - np.array([s for _, s in truth])) * 1000


def accuracy(args) -> None:
    rng = np.random.default_rng(11)
    arts = sorted((ROOT / "examples").glob("*.txt"))
    voices = [("vi-VN-x-south", 1.15), ("vi-VN-x-central", 0.9), ("vi", 1.25)]
    cases = []
    for k, art in enumerate(arts):
        v, s = voices[k % len(voices)]
        x, truth = reading(art, v, s, rng)
        cases.append((art, v, s, x, truth))
    print(
        f"{len(cases)} readings ({', '.join(f'{c[1]} {c[2]}x' for c in cases)}), "
        f"{sum(len(c[3]) for c in cases) / RATE:.0f} s, {sum(len(c[4]) for c in cases)} words\n"
    )
    print("| condition | mean ms | p95 ms | max ms | words | unmatched | extra |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as d:
        for name, degrade in CONDITIONS.items():
            if args.only and args.only not in name:
                continue
            errs, um, ex = [], 0, 0
            for i, (art, _v, _s, x, truth) in enumerate(cases):
                rec = Path(d) / f"rec{i}.wav"
                write_wav(rec, degrade(x, rng))
                _, man = run_align(art, rec, Path(d) / "out")
                um += len(man["unmatched"])
                ex += len(man["extra"])
                if man["unmatched"]:
                    continue
                errs += list(errors_ms(man["words"], truth))
            e = np.sort(np.array(errs))
            print(
                f"| {name} | {e.mean():.1f} | {e[int(0.95 * (len(e) - 1))]:.0f} | {e.max():.0f} | {len(e)} | "
                f"{um} | {ex} |",
                flush=True,
            )


def speed(args) -> None:
    rng = np.random.default_rng(5)
    arts = sorted((ROOT / "examples").glob("*.txt"))
    text = "\n\n".join(a.read_text(encoding="utf-8").split("\n", 1)[1] for a in arts)
    with tempfile.TemporaryDirectory() as d:
        big = Path(d) / "bulletin.txt"
        parts, n = [], 0
        while True:
            body = f"Bản tin số {n + 1}\n\n{text}"
            parts.append(body)
            n += 1
            if n * 400 >= args.minutes * 60:  # a bulletin (the 3 examples) reads in ~7 min
                break
        big.write_text("\n\n".join(parts), encoding="utf-8")
        x, truth = reading(big, "vi-VN-x-south", 1.15, rng)
        rec = Path(d) / "bulletin.wav"
        write_wav(rec, x)
        minutes = len(x) / RATE / 60
        print(f"reading: {minutes:.1f} min, {len(truth)} words; article {len(parts)} bulletins")
        out = Path(d) / "out"
        cmd = [
            sys.executable,
            "-m",
            "newsvoice",
            "-q",
            "align",
            str(big),
            str(rec),
            "-o",
            str(out),
            "--cache-dir",
            str(Path(d) / "cache"),
        ]
        subprocess.run(cmd, check=True)  # fills the reference cache
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True)
        wall = time.perf_counter() - t0
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        man = json.loads((out / "bulletin.json").read_text(encoding="utf-8"))
        err = errors_ms(list(man["words"]), truth) if not man["unmatched"] else np.array([np.nan])
        print(
            "| audio min | wall s | x real time | peak RSS MB | unmatched | extra | mean ms | p95 ms |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        print(
            f"| {minutes:.1f} | {wall:.1f} | {minutes * 60 / wall:.0f}x | {rss:.0f} | "
            f"{len(man['unmatched'])} | {len(man['extra'])} | {np.mean(err):.1f} | "
            f"{np.percentile(err, 95):.0f} |"
        )
        for u in man["unmatched"]:
            print("unmatched:", u)


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("accuracy")
    a.add_argument("--only", default="")
    s = sub.add_parser("speed")
    s.add_argument("--minutes", type=float, default=30.0)
    args = ap.parse_args()
    {"accuracy": accuracy, "speed": speed}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
