"""What a delivered audio file says about itself: the Broadcast WAV bext and iXML
fields and the MP3 ID3 tags, filled from the render's measurements and options.

One place, so the WAV, the MP3 and the manifest tell QC the same story.
"""

from __future__ import annotations

import os
import time

from newsvoice import __version__
from newsvoice.audio.bwf import Bext
from newsvoice.audio.targets import Measurement
from newsvoice.options import RenderOptions, start_frames
from newsvoice.outputs.files import display_path
from newsvoice.timecode import FrameRate, format_tc, samples


def origination(now: float | None = None) -> tuple[str, str]:
    """(yyyy-mm-dd, hh:mm:ss) UTC of now, or of $SOURCE_DATE_EPOCH when set (the
    reproducible-builds convention: identical renders give identical files)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    t = float(epoch) if epoch and epoch.strip().isdigit() else (time.time() if now is None else now)
    g = time.gmtime(t)
    return time.strftime("%Y-%m-%d", g), time.strftime("%H:%M:%S", g)


def broadcast_wav(
    opts: RenderOptions, *, story: str, headline: str | None, loud: Measurement | None, rate: int
) -> tuple[Bext, dict]:
    """The bext fields and iXML elements of a render of ``story`` (its id: the stem or slug;
    a file name that is not UTF-8 has its undecodable bytes replaced)."""
    story = display_path(story)
    fps = FrameRate(opts.cues.fps_exact)
    frames = start_frames(opts)
    date, clock = origination()
    station = opts.station or "newsvoice"
    mode = "mono" if opts.channels == 1 else "dual-mono"
    bext = Bext(
        description=f"{story}: {headline}" if headline else story,
        originator=station,
        originator_reference=story,
        date=date,
        time=clock,
        time_reference=samples(frames, fps, rate),
        loudness=loud,
        coding_history=f"A=PCM,F={rate},W={opts.bit_depth},M={mode},T=newsvoice {__version__}\r\n",
    )
    ixml: dict = {
        "PROJECT": station,
        "SCENE": story,
        "TAKE": "1",
        "NOTE": headline,
        "SPEED": {
            "TIMECODE_RATE": f"{fps.fps.numerator}/{fps.fps.denominator}",
            "TIMECODE_FLAG": "DF" if fps.drop else "NDF",
            "TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_LO": str(bext.time_reference & 0xFFFFFFFF),
            "TIMESTAMP_SAMPLES_SINCE_MIDNIGHT_HI": str(bext.time_reference >> 32),
        },
        "TRACK_LIST": {
            "TRACK_COUNT": str(opts.channels),
            "TRACK": [
                {"CHANNEL_INDEX": str(i), "INTERLEAVE_INDEX": str(i), "NAME": "narration"}
                for i in range(1, opts.channels + 1)
            ],
        },
        "USER": f"STORY_ID={story}\nSTART_TC={format_tc(frames, fps)}",
    }
    return bext, ixml


def mp3_tags(opts: RenderOptions, *, headline: str | None) -> dict[str, str]:
    """ffmpeg metadata keys its MP3 muxer writes as ID3v2: title (TIT2), publisher (TPUB)."""
    tags = {"title": headline} if headline else {}
    tags["publisher"] = opts.station or "newsvoice"
    return tags
