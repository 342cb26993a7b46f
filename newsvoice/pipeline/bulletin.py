"""A bulletin from a running order: stories in order, each fitted to its slot, with
stings, beds and pauses between them, delivered as one programme.

Why: a bulletin producer works from a running order, not a folder. Each story renders
through ``render`` (so the render memo restores every story whose text and settings are
unchanged: an edit re-renders only that story); the programme is then laid out once,
loudness-normalised as a whole, and written with one subtitle file per format (each
story's cues moved to where the story sits, on the frame grid), chapters (manifest,
WebVTT chapters, MP3 ID3 CHAP), and a report of planned vs actual durations. A story
that fails leaves silence of its slot and a report line. MOS running orders
(roCreate + roStorySend) are read with the BBC's ``mosromgr``; the durations go back
as a roStoryDuration-style XML.
"""

from __future__ import annotations

import csv
import json
import math
import subprocess
import tempfile
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import escape

import numpy as np

from newsvoice.audio.bwf import write_bwf
from newsvoice.audio.loudness import Source, measure_source, plan_gain
from newsvoice.audio.pace import parse_slot
from newsvoice.audio.track import RATE, Track, ffmpeg_exe, write_audio
from newsvoice.errors import InputError, NewsvoiceError, ffmpeg_reason
from newsvoice.inputs.sources import is_url
from newsvoice.options import RenderOptions, start_frames, validate
from newsvoice.outputs.broadcast import broadcast_wav, mp3_tags
from newsvoice.outputs.files import check_output_dir, write_outputs
from newsvoice.subtitles.formats import encode as encode_subs
from newsvoice.subtitles.formats import get as get_format
from newsvoice.subtitles.formats.vtt import clock
from newsvoice.subtitles.rules import Cue

KINDS = ("story", "sting", "bed", "pause")
LABELS = {
    "sting": "[Nhạc hiệu]",
    "bed": "[Nhạc nền]",
}  # sound labels: music is shown, not left uncaptioned


@dataclass(frozen=True)
class Item:
    """One line of the running order."""

    kind: str  # story | sting | bed | pause
    source: str = ""  # story: file or URL; sting/bed: audio file
    slug: str = ""
    slot_s: float | None = None  # story: fit into this; pause: its length
    voice: str | None = None
    mos_id: str | None = None  # MOS storyID, for the duration write-back


@dataclass(frozen=True)
class Rundown:
    title: str
    items: tuple[Item, ...]
    slot_s: float | None = None  # the programme's slot
    ro_id: str | None = None  # MOS roID


@dataclass
class Placed:
    """What the programme holds for one item, and where (seconds)."""

    kind: str
    slug: str
    start: float
    end: float
    planned_s: float | None = None
    status: str = "ok"  # rendered | restored | failed | ok
    error: str | None = None
    stem: str | None = None  # the story's own render folder

    @property
    def actual_s(self) -> float:
        return round(self.end - self.start, 3)


@dataclass
class BulletinResult:
    placed: list[Placed]
    duration_s: float
    slot_s: float | None
    outputs: dict[str, Path] = field(default_factory=dict)

    @property
    def failed(self) -> list[Placed]:
        return [p for p in self.placed if p.status == "failed"]


# ------------------------------------------------------------------ running orders


def _slot(value: object, where: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value) if isinstance(value, int | float) else parse_slot(str(value))
    except ValueError as e:
        raise InputError(f"{where}: {e}") from None


def _item(d: dict, where: str, base: Path) -> Item:
    """A running-order line from a TOML table or CSV row (paths relative to the rundown)."""
    kind = str(
        d.get("kind")
        or next((k for k in ("story", "sting", "bed", "pause") if d.get(k) not in (None, "")), "")
    )
    if kind not in KINDS:
        raise InputError(f"{where}: say what the item is: story, sting, bed or pause")
    raw = d.get(kind) if d.get(kind) not in (None, "") else d.get("source", "")
    if kind == "pause":
        return Item(
            "pause", slot_s=_slot(raw if raw not in (None, "") else d.get("slot"), where) or 0.0
        )
    src = str(raw or "")
    if not src:
        raise InputError(f"{where}: a {kind} needs a file")
    if not is_url(src) and not Path(src).is_absolute():
        src = str(base / src)
    slug = str(d.get("slug") or (Path(src).stem if kind == "story" else kind))
    return Item(kind, src, slug, _slot(d.get("slot"), where), d.get("voice") or None)


def read_rundown(path: Path) -> Rundown:
    """A TOML (``[[item]]`` tables) or CSV (kind,source,slug,slot,voice) running order,
    or a MOS roCreate XML (with roStorySend files beside it)."""
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror or e}") from e
    base = path.parent
    if raw.lstrip()[:1] == b"<":
        return read_mos(path)
    text = raw.decode("utf-8-sig", errors="replace")
    if path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(text.splitlines()))
        items = tuple(
            _item(
                {k.strip().lower(): (v or "").strip() for k, v in r.items() if k},
                f"{path.name}:{i + 2}",
                base,
            )
            for i, r in enumerate(rows)
        )
        title, slot = path.stem, None
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise InputError(f"{path} is not a valid TOML running order: {e}") from None
        items = tuple(
            _item(d, f"{path.name}: item {i + 1}", base) for i, d in enumerate(data.get("item", []))
        )
        title, slot = (
            str(data.get("title", path.stem)),
            _slot(data.get("slot"), f"{path.name}: slot"),
        )
    if not any(i.kind == "story" for i in items):
        raise InputError(f"{path}: the running order has no story")
    return Rundown(title, items, slot)


def read_mos(path: Path) -> Rundown:
    """A MOS roCreate, merged with the roStorySend files of the same running order in its
    folder (mosromgr); each story's text is written beside the output, its slot is the
    MOS story duration when one is given."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from mosromgr.mostypes import MosFile, RunningOrder, StorySend

    try:
        ro = MosFile.from_file(path)
        if not isinstance(ro, RunningOrder):
            raise InputError(f"{path} is a MOS {type(ro).__name__}, not a roCreate running order")
        # each roStorySend's story body by story id (not mosromgr's merge: it replaces the
        # story with one that may lack the duration metadata, which its offsets then need)
        bodies: dict[str, list[str]] = {}
        for other in sorted(path.parent.glob("*.xml")):
            mf = None if other == path else _mos_or_none(MosFile, other)
            if isinstance(mf, StorySend) and mf.ro_id == ro.ro_id:
                bodies[str(mf.story.id)] = [p for p in mf.story.body if isinstance(p, str)]
        stories = [
            (str(s.id), str(s.slug or s.id), bodies.get(str(s.id), list(s.script)), s.duration)
            for s in ro.stories
        ]
    except InputError:
        raise
    except (
        Exception
    ) as e:  # mosromgr raises its own, xml and (a story without a duration) type errors
        msg = str(e).splitlines()[0][:120] if str(e) else type(e).__name__
        raise InputError(
            f"{path} is not a MOS running order mosromgr can read "
            f"(every story needs mosExternalMetadata/mosPayload/StoryDuration): {msg}"
        ) from None
    # a MOS story's source is its text (from roStorySend); run_bulletin writes it to a file
    items = [
        Item(
            "story",
            "\n\n".join(p for p in script if p.strip()),
            slug,
            float(dur) if dur else None,
            None,
            sid,
        )
        for sid, slug, script, dur in stories
    ]
    if not items:
        raise InputError(f"{path}: the running order has no story")
    return Rundown(str(ro.ro_slug or path.stem), tuple(items), None, str(ro.ro_id))


def _mos_or_none(mos_file, path: Path):
    """The MOS message in ``path``, or None when it is not one (other XML beside it)."""
    try:
        return mos_file.from_file(path)
    except Exception:
        return None


# ------------------------------------------------------------------ the programme


def decode_audio(path: str) -> np.ndarray:
    """Any audio file ffmpeg reads, as float32 mono at 48 kHz (stings, beds, stems)."""
    p = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", path, "-ac", "1", "-ar", str(RATE), "-f", "f32le", "-"],
        capture_output=True,
        timeout=300,
        check=False,
    )
    if p.returncode != 0 or not p.stdout:
        why = ffmpeg_reason(p.stderr) if p.stderr.strip() else "no audio"
        raise InputError(f"cannot read audio {path}: {why}")
    return np.frombuffer(p.stdout, np.float32).copy()


def _frame_samples(n: int, fps) -> int:
    """Samples to the next frame boundary at or after sample ``n`` (stories start on a frame)."""
    f = math.ceil(n * fps / RATE - 1e-9)
    return round(f * RATE / fps) - n


def _int16(x: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(x * 32768.0), -32768, 32767).astype(np.int16)


def _label_cues(
    kind: str, a: int, b: int, fps, gap: int, max_frames: int, min_frames: int
) -> list[Cue]:
    """Sound-label cues over a sting or bed spanning frames [a, b), each at most the
    longest cue, a gap apart; none when it is shorter than the shortest cue."""
    out, s = [], a + gap
    end = b - gap
    while end - s >= min_frames:
        e = min(end, s + max_frames)
        if end - e < min_frames and e < end:  # do not leave a sliver: share the rest
            e = s + (end - s) // 2
        out.append(Cue(s, e, [LABELS[kind]], (0, 0), fps))
        s = e + gap
    return out


def run_bulletin(
    rundown: Rundown,
    out_dir: Path,
    opts: RenderOptions,
    *,
    strict: bool = False,
    progress: Callable[[str], None] | None = None,
) -> BulletinResult:
    """Render every story (through the render memo), lay out the programme and write it."""
    target = validate(opts)
    check_output_dir(out_dir)
    fps = opts.cues.fps_exact
    gap = opts.cues.gap_frames
    track = Track()
    placed: list[Placed] = []
    cues: list[Cue] = []
    texts = out_dir / "stories"
    try:
        for n, item in enumerate(rundown.items, 1):
            if progress:
                progress(f"{n}/{len(rundown.items)} {item.kind} {item.slug}")
            start = track.n_samples
            if item.kind == "pause":
                track.append_silence(round((item.slot_s or 0.0) * RATE))
                placed.append(
                    Placed("pause", "pause", start / RATE, track.n_samples / RATE, item.slot_s)
                )
                continue
            if item.kind in ("sting", "bed"):
                x = decode_audio(item.source)
                track.append(_int16(x))
                a, b = round(start * fps / RATE), int(track.n_samples * fps / RATE)
                cues += _label_cues(
                    item.kind,
                    a,
                    b,
                    fps,
                    gap,
                    math.floor(opts.cues.max_dur * fps),
                    math.ceil(opts.cues.min_dur * fps),
                )
                placed.append(Placed(item.kind, item.slug, start / RATE, track.n_samples / RATE))
                continue
            track.append_silence(_frame_samples(track.n_samples, fps))  # a story starts on a frame
            start = track.n_samples
            p = _story(item, out_dir, texts, opts, track, cues, fps)
            placed.append(p)
            if p.status == "failed" and strict:
                raise InputError(f"story {item.slug}: {p.error} (--strict)")
        return _write_programme(rundown, out_dir, opts, target, track, placed, cues)
    finally:
        track.close()


def _story(
    item: Item, out_dir: Path, texts: Path, opts: RenderOptions, track: Track, cues: list[Cue], fps
) -> Placed:
    """Render one story into ``stories/<slug>/`` and append it (or its slot of silence)."""
    from newsvoice.pipeline.render import render

    start = track.n_samples
    src = item.source
    stem_dir = out_dir / "stories" / item.slug
    try:
        if item.mos_id is not None:  # MOS: the story's text came in the running order
            texts.mkdir(parents=True, exist_ok=True)
            path = texts / f"{item.slug}.txt"
            if not path.exists() or path.read_text("utf-8") != item.source:
                write_outputs({path: item.source.encode("utf-8")})
            src = str(path)
        sopts = replace(
            opts,
            fit_s=item.slot_s,
            voice=item.voice or opts.voice,
            subs=("srt",),
            start_tc=None,
            audio_format="wav",
        )  # stems: WAV whatever the programme is
        res = render(Path(src), stem_dir, sopts)  # a URL survives Path() (source_name restores it)
        manifest = json.loads(Path(res.outputs["json"]).read_text("utf-8"))
        x = decode_audio(str(res.outputs.get("wav") or res.outputs["mp3"]))
    except (NewsvoiceError, OSError, ValueError, KeyError, RuntimeError) as e:
        gap_s = item.slot_s or 0.0
        track.append_silence(round(gap_s * RATE))
        return Placed(
            "story",
            item.slug,
            start / RATE,
            track.n_samples / RATE,
            item.slot_s,
            "failed",
            str(e).splitlines()[0] if str(e) else type(e).__name__,
        )
    track.append(_int16(x))
    off = round(start * fps / RATE)
    for c in manifest["cues"]:
        cues.append(
            Cue(
                off + round(c["start"] * fps),
                off + round(c["end"] * fps),
                c["text"].split("\n"),
                tuple(c["words"]),
                fps,
            )
        )
    return Placed(
        "story",
        item.slug,
        start / RATE,
        track.n_samples / RATE,
        item.slot_s,
        "restored" if getattr(res, "restored", False) else "rendered",
        None,
        str(stem_dir),
    )


def _chapters_vtt(placed: list[Placed], offset_s: float) -> str:
    out = ["WEBVTT", ""]
    for i, p in enumerate([p for p in placed if p.kind == "story"], 1):
        out += [
            f"chapter-{i}",
            f"{clock(p.start + offset_s)} --> {clock(p.end + offset_s)}",
            p.slug,
            "",
        ]
    return "\n".join(out)


def _ffmetadata(tags: dict[str, str], placed: list[Placed]) -> str:
    """ffmpeg's metadata file: the tags and the chapters its MP3 muxer writes as ID3v2
    (title TIT2, publisher TPUB, each chapter a CHAP frame with its TIT2)."""

    def esc(s: str) -> str:
        return "".join("\\" + ch if ch in "=;#\\\n" else ch for ch in s)

    out = [";FFMETADATA1", *(f"{k}={esc(v)}" for k, v in tags.items())]
    for p in placed:
        if p.kind == "story":
            out += [
                "[CHAPTER]",
                "TIMEBASE=1/1000",
                f"START={round(p.start * 1000)}",
                f"END={round(p.end * 1000)}",
                f"title={esc(p.slug)}",
            ]
    return "\n".join(out) + "\n"


def _write_mp3_with_chapters(
    f: BinaryIO, chunks, n: int, opts: RenderOptions, title: str, placed: list[Placed]
) -> None:
    """Encode to MP3 (write_audio), then let ffmpeg add the chapters (copying the audio)."""
    with tempfile.TemporaryDirectory(prefix="newsvoice-bulletin-") as tmp:
        plain, meta = Path(tmp) / "p.mp3", Path(tmp) / "meta.txt"
        with plain.open("wb") as g:
            write_audio(g, chunks, n, "mp3", channels=opts.channels, bitrate=opts.bitrate)
        meta.write_text(_ffmetadata(mp3_tags(opts, headline=title), placed), "utf-8")
        p = subprocess.run(
            [
                ffmpeg_exe(),
                "-v",
                "error",
                "-i",
                str(plain),
                "-i",
                str(meta),
                "-map",
                "0:a",
                "-map_metadata",
                "1",
                "-map_chapters",
                "1",
                "-c",
                "copy",
                "-id3v2_version",
                "4",
                "-f",
                "mp3",
                "pipe:1",
            ],
            capture_output=True,
            timeout=300,
            check=False,
        )
        if p.returncode != 0:
            raise RuntimeError(
                f"ffmpeg chapters failed: {p.stderr.decode(errors='replace')[-300:]}"
            )
        f.write(p.stdout)


def _write_programme(
    rundown: Rundown,
    out_dir: Path,
    opts: RenderOptions,
    target,
    track: Track,
    placed: list[Placed],
    cues: list[Cue],
) -> BulletinResult:
    source = Source(track.n_samples, track.read_float)
    if target is not None:
        gains = plan_gain(source, target, channels=opts.channels)
        loud, chunks = gains.measurement, gains.chunks
    else:
        loud = measure_source(source, channels=opts.channels)

        def chunks(src: Source, size: int = RATE * 10) -> Iterator[np.ndarray]:
            return (track.read_float(a, a + size) for a in range(0, track.n_samples, size))

    stem = "programme"
    audio = out_dir / f"{stem}.{opts.audio_format}"

    def write_audio_file(f: BinaryIO) -> None:
        if opts.audio_format == "wav" and opts.bwf:
            bext, ixml = broadcast_wav(
                opts, story=rundown.ro_id or stem, headline=rundown.title, loud=loud, rate=RATE
            )
            write_bwf(
                f,
                chunks(source),
                track.n_samples,
                bext,
                ixml,
                bit_depth=opts.bit_depth,
                channels=opts.channels,
            )
        elif opts.audio_format == "wav":
            write_audio(
                f,
                chunks(source),
                track.n_samples,
                "wav",
                bit_depth=opts.bit_depth,
                channels=opts.channels,
            )
        else:
            _write_mp3_with_chapters(
                f, chunks(source), track.n_samples, opts, rundown.title, placed
            )

    files: dict[Path, bytes | Callable[[BinaryIO], None]] = {audio: write_audio_file}
    cues.sort(key=lambda c: c.start_f)
    k = start_frames(opts)
    offset_s = float(k / opts.cues.fps_exact)
    for name in opts.subs:
        files[out_dir / f"{stem}{get_format(name).suffix}"] = encode_subs(
            name, cues, start_frames=k, bom=name == "srt" and opts.srt_bom
        )
    files[out_dir / "chapters.vtt"] = _chapters_vtt(placed, offset_s).encode("utf-8")
    duration = track.n_samples / RATE
    report = _report(rundown, placed, duration, loud.as_dict(), opts)
    files[out_dir / "report.csv"] = _report_csv(placed).encode("utf-8")
    if rundown.ro_id is not None:
        files[out_dir / "durations.mos.xml"] = mos_durations(rundown, placed).encode("utf-8")
    files[out_dir / "bulletin.json"] = json.dumps(report, ensure_ascii=False, indent=1).encode(
        "utf-8"
    )
    write_outputs(files)
    return BulletinResult(placed, duration, rundown.slot_s, {p.name: p for p in files})


def _report(
    rundown: Rundown, placed: list[Placed], duration: float, loud: dict, opts: RenderOptions
) -> dict:
    stories = [p for p in placed if p.kind == "story"]
    return {
        "title": rundown.title,
        "ro_id": rundown.ro_id,
        "duration_s": round(duration, 3),
        "slot_s": rundown.slot_s,
        "over_s": round(duration - rundown.slot_s, 3) if rundown.slot_s else None,
        "loudness": loud,
        "start_tc": opts.start_tc,
        "chapters": [
            {"title": p.slug, "start": round(p.start, 3), "end": round(p.end, 3)} for p in stories
        ],
        "items": [
            {
                **{k: v for k, v in asdict(p).items() if k != "end"},
                "end": round(p.end, 3),
                "start": round(p.start, 3),
                "actual_s": p.actual_s,
            }
            for p in placed
        ],
        "failed": [f"{p.slug}: {p.error}" for p in stories if p.status == "failed"],
    }


def _report_csv(placed: list[Placed]) -> str:
    rows = ["kind,slug,status,planned_s,actual_s,start_s,error"]
    for p in placed:
        err = (p.error or "").replace('"', "'")
        rows.append(
            f"{p.kind},{p.slug},{p.status},{'' if p.planned_s is None else p.planned_s},"
            f'{p.actual_s},{round(p.start, 3)},"{err}"'
        )
    return "\n".join(rows) + "\n"


def mos_durations(rundown: Rundown, placed: list[Placed]) -> str:
    """Each story's actual duration, as MOS roStoryDuration-style elements (seconds)."""
    ids = [i.mos_id for i in rundown.items if i.kind == "story"]
    stories = [p for p in placed if p.kind == "story"]
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<mos>",
        "  <roStoryDurations>",
        f"    <roID>{escape(rundown.ro_id or '')}</roID>",
    ]
    for sid, p in zip(ids, stories, strict=True):
        out += [
            "    <roStoryDuration>",
            f"      <storyID>{escape(sid or p.slug)}</storyID>",
            f"      <storySlug>{escape(p.slug)}</storySlug>",
            f"      <storyDuration>{p.actual_s:.3f}</storyDuration>",
            f"      <status>{p.status}</status>",
            "    </roStoryDuration>",
        ]
    out += ["  </roStoryDurations>", "</mos>", ""]
    return "\n".join(out)


__all__ = [
    "BulletinResult",
    "Item",
    "Placed",
    "Rundown",
    "mos_durations",
    "read_mos",
    "read_rundown",
    "run_bulletin",
]
