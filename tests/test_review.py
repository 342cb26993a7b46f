"""Review pages (issue 13): the pure builder, escaping, the audio envelope, the CLI, and
the page itself in real headless Chromium (Debian's /usr/bin/chromium through
Playwright). Pages come from real offline renders (espeak-ng); nothing leaves the machine.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
import wave
from pathlib import Path
from urllib.parse import unquote, urlparse

import cli
import numpy as np
import pytest
import srt
from browser import CHROMIUM, CHROMIUM_ARGS, image_stats

from newsvoice.errors import InputError
from newsvoice.outputs.review import (
    audio_name,
    audio_peaks,
    build_index,
    build_page,
    cue_views,
    envelope,
    script_json,
)

HOSTILE = (
    '</script><script>window.pwned=1;alert(1)</script><img src=x onerror="window.pwned=2;alert(2)">'
)

ARTICLE = """Báo Quảng Nam
Đại Lộc ra quân nạo vét kênh mương trước mùa khô
Thứ Hai, 11/01/2026 08:30 GMT+7
Sáng 11/01, UBND huyện Đại Lộc tổ chức ra quân nạo vét 12,5 km kênh mương nội đồng.

Hơn 1.200 người dân và đoàn viên thanh niên tham gia, khối lượng đất đá đạt 3.400 m3.

Huyện đặt mục tiêu bảo đảm nước tưới cho 4.500 ha lúa vụ Đông Xuân.
"""


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return cli.run(*args, cwd=cwd, timeout=300)


def manifest(**over) -> dict:
    """A small manifest in today's render format (no words/outputs/per-cue spoken)."""
    m = {
        "newsvoice": "0.1.0",
        "source": "in/story.txt",
        "engine": "espeak",
        "voice": "vi",
        "speed": 1.0,
        "duration_s": 9.0,
        "headline": "Tin thử",
        "loudness": {
            "preset": "ebu-r128",
            "target_lufs": -23.0,
            "target_true_peak_dbtp": -1.0,
            "integrated_lufs": -23.0,
            "lra_lu": 2.1,
            "true_peak_dbtp": -3.5,
        },
        "units": [
            {"written": "Tin thử", "spoken": "Tin thử", "start": 0.3, "end": 1.2},
            {
                "written": "Sáng 11/01,",
                "spoken": "Sáng mười một tháng một,",
                "start": 1.5,
                "end": 3.0,
            },
            {"written": "UBND họp.", "spoken": "ủy ban nhân dân họp.", "start": 3.2, "end": 5.0},
            {"written": "Hết tin.", "spoken": "Hết tin.", "start": 5.6, "end": 8.2},
        ],
        "cues": [
            {"start": 0.28, "end": 1.4, "text": "Tin thử", "phrases": [0]},
            {"start": 1.48, "end": 5.2, "text": "Sáng 11/01,\nUBND họp.", "phrases": [1, 2]},
            {"start": 5.6, "end": 8.4, "text": "Hết tin.", "phrases": [3]},
        ],
        "dropped": [{"text": "Chia sẻ bài viết", "reason": "share"}],
        "warnings": ["cue 2: reading speed 23.1 cps above 20", "phrase has nothing to say: '…'"],
        "findings": [
            {
                "where": "cue 2",
                "severity": "warning",
                "rule": "reading-speed",
                "message": "reading speed 23.1 cps above 20",
                "cue": 2,
            },
            {
                "where": "",
                "severity": "warning",
                "rule": "x",
                "message": "phrase has nothing to say: '…'",
            },
            {
                "where": "sentence 2",
                "severity": "check",
                "rule": "unknown-acronym",
                "message": "capitals in no table, spelled letter by letter",
                "sentence": 2,
                "token": "QWZ",
                "reading": "quy vê kép dét",
            },
        ],
        "settings": {
            "audio_format": "wav",
            "subs": ["srt"],
            "cues": {
                "max_chars": 42,
                "max_lines": 2,
                "min_dur": 5 / 6,
                "max_dur": 7.0,
                "gap_frames": 2,
                "fps": 25.0,
                "max_cps": 20.0,
            },
        },
    }
    m.update(over)
    return m


def cue_items(page: str) -> list[tuple[float, float]]:
    return [
        (float(a), float(b))
        for a, b in re.findall(
            r'<li class="cue[^"]*"[^>]*data-start="([\d.]+)" '
            r'data-end="([\d.]+)"',
            page,
        )
    ]


def script_data(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="review-data">(.*?)</script>', page, re.S)
    assert m, "no data block"
    return json.loads(m.group(1))


# ---------------------------------------------------------------- pure builder


def test_page_has_one_cue_element_per_cue_with_times_text_spoken_and_findings():
    page = build_page(manifest(), "story.wav")
    assert cue_items(page) == [(0.28, 1.4), (1.48, 5.2), (5.6, 8.4)]
    # written text keeps its line break as cut; spoken text is derived from the units
    assert "Sáng 11/01,<br>UBND họp." in page
    assert "Sáng mười một tháng một, ủy ban nhân dân họp." in page
    views = cue_views(manifest())
    assert views[1]["spoken"] == "Sáng mười một tháng một, ủy ban nhân dân họp."
    assert views[1]["cps"] == round(len("Sáng 11/01, UBND họp.") / 3.72, 1)
    # the render's finding is attached to cue 2 (check's same rule is not said twice)
    assert [f["message"] for f in views[1]["findings"] if f["rule"] == "reading-speed"] == [
        "reading speed 23.1 cps above 20"
    ]
    said = "reading speed 23.1 cps above 20"
    assert not any(f["message"] == said for v in (views[0], views[2]) for f in v["findings"])
    # a reading to check has its own list: token, reading, sentence
    assert 'id="readings"' in page and "QWZ" in page and "quy vê kép dét" in page
    assert 'src="story.wav"' in page and "<audio" in page
    assert "Chia sẻ bài viết" in page and "share" in page
    assert "phrase has nothing to say" in page
    assert "-23.0 LUFS" in page and "-3.5 dBTP" in page and "2.1 LU" in page


def test_check_findings_reach_their_cue():
    """A cue that breaks the preset (3 lines, 0.5 s) carries check's findings."""
    m = manifest()
    m["cues"][0] = {"start": 0.28, "end": 0.78, "text": "a\nb\nc", "phrases": [0]}
    rules = {f["rule"] for f in cue_views(m)[0]["findings"]}
    assert {"lines", "min-duration"} <= rules


def test_a_finding_said_by_render_and_check_is_shown_once():
    m = manifest()
    m["cues"][1].update(
        end=4.48, text="Sáng 11/01, UBND huyện Đại Lộc họp bàn\nviệc nạo vét kênh mương nội đồng."
    )
    assert [f["rule"] for f in cue_views(m)[1]["findings"]] == ["reading-speed"]
    m["warnings"] = []
    assert [f["rule"] for f in cue_views(m)[1]["findings"]] == ["reading-speed"]


def test_lead_fields_are_used_when_present():
    m = manifest(
        outputs={"audio": "story.mp3", "srt": "story.srt"},
        words=[{"text": "Tin", "start": 0.3, "end": 0.6}],
    )
    m["cues"][1]["spoken"] = "đọc khác hẳn"
    m["cues"][1]["words"] = [0, 1]
    assert cue_views(m)[1]["spoken"] == "đọc khác hẳn"
    assert audio_name(m, Path("out/x.json")) == "story.mp3"
    assert audio_name(manifest(), Path("out/x.json")) == "x.wav"
    assert audio_name(manifest(settings={"audio_format": "mp3"}), Path("x.json")) == "x.mp3"
    page = build_page(m, "story.mp3", manifest_name="story.json")
    assert 'href="story.srt"' in page and 'href="story.json"' in page
    data = script_data(page)
    assert data["words"] == [{"text": "Tin", "start": 0.3, "end": 0.6}]
    assert data["cues"][1]["words"] == [0, 1] and data["cues"][0]["words"] is None
    m["cues"][0]["words"] = [0, 5]  # out of range: ignored, not trusted
    assert script_data(build_page(m, "story.mp3"))["cues"][0]["words"] is None


def test_a_manifest_without_findings_shows_its_warnings_whole_and_never_parses_them():
    m = manifest()
    del m["findings"]
    m["warnings"] = ["cue 3: reading speed 30 cps above 20", "something else"]
    views = cue_views(m)
    assert not any(
        f["message"].startswith("reading speed 30") for v in views for f in v["findings"]
    )
    page = build_page(m, "story.wav")
    assert "cue 3: reading speed 30 cps above 20" in page and "something else" in page
    assert 'id="readings"' not in page


def hostile_manifest() -> dict:
    """A manifest whose every text field (headline, source, warnings, findings, dropped
    lines, units, cues) carries markup."""
    m = manifest(
        headline=HOSTILE,
        source=HOSTILE,
        warnings=[HOSTILE, f"cue 1: {HOSTILE}"],
        findings=[
            {
                "where": HOSTILE,
                "severity": "warning",
                "rule": HOSTILE,
                "message": HOSTILE,
                "cue": 1,
            },
            {
                "where": "",
                "severity": "check",
                "rule": HOSTILE,
                "message": HOSTILE,
                "sentence": 1,
                "token": HOSTILE,
                "reading": HOSTILE,
            },
        ],
        dropped=[{"text": HOSTILE, "reason": HOSTILE}],
    )
    for u in m["units"]:
        u.update(written=HOSTILE, spoken=HOSTILE)
    for c in m["cues"]:
        c["text"] = HOSTILE
    return m


def test_hostile_article_text_is_escaped_everywhere():
    m = hostile_manifest()
    page = build_page(m, 'a"b<c>.wav')
    # only our own two script elements exist, and nothing the article brought
    assert len(re.findall(r"<script", page, re.I)) == 2
    assert page.lower().count("</script>") == 2
    assert "<img" not in page.lower()
    outside_json = re.sub(r'(id="review-data">).*?(</script>)', r"\1\2", page, flags=re.S)
    assert re.findall(r"onerror=(?!&#34;)", outside_json) == []  # never an attribute
    assert 'src="a%22b%3Cc%3E.wav"' in page
    # the text survives: as escaped HTML and, round-tripped, in the JSON block
    assert html.escape(HOSTILE, quote=False) in page.replace("&#34;", '"')
    assert script_data(page)["cues"][0]["text"] == HOSTILE


def test_script_json_cannot_close_its_element():
    text = script_json({"t": "</script><!-- & \u2028"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"t": "</script><!-- & \u2028"}


def test_a_bare_manifest_still_gives_a_page():
    """Only cue times and text: no units, loudness, settings, warnings or dropped lines."""
    page = build_page({"cues": [{"start": 0.5, "end": 2.0, "text": "Xin chào"}]}, "x.wav")
    assert cue_items(page) == [(0.5, 2.0)] and "Xin chào" in page
    assert "Nothing was left out." in page


def test_not_a_manifest_is_an_input_error():
    with pytest.raises(InputError):
        build_page({"units": []}, "x.wav")


def test_index_lists_every_article_and_escapes():
    rows = [
        {
            "file": HOSTILE,
            "status": "ok",
            "duration": 61.5,
            "cues": 20,
            "loudness": "-23.0",
            "warnings": ["cue 2: fast"],
            "warning_count": 1,
            "error": "",
            "page": "a/a.html",
            "links": [("review", "a/a.html"), ("audio", "a/a.wav")],
        },
        {
            "file": "b.txt",
            "status": "failed",
            "duration": None,
            "cues": None,
            "loudness": "",
            "warnings": [],
            "warning_count": 0,
            "error": "b.txt: empty",
            "page": None,
            "links": [],
        },
    ]
    page = build_index(rows)
    assert page.count('<tr class="article"') == 2
    assert "<img" not in page and 'href="a/a.wav"' in page and "b.txt: empty" in page
    assert "1:01.50" in page


# ---------------------------------------------------------------- audio envelope


def _write_wav(path: Path, x: np.ndarray, width: int) -> None:
    full = (1 << (8 * width - 1)) - 1
    ints = np.round(x * full).astype(np.int32)
    raw = (
        ints.astype("<i2").tobytes()
        if width == 2
        else np.stack([(ints >> s) & 0xFF for s in (0, 8, 16)], axis=1).astype(np.uint8).tobytes()
    )
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(width)
        w.setframerate(48000)
        w.writeframes(raw)


@pytest.mark.parametrize("width", [2, 3])
def test_envelope_follows_the_audio(tmp_path, width):
    """Silence, then a -6 dBFS tone, then a full-scale negative burst: the envelope rises where they are."""
    x = np.zeros(48000 * 3)
    x[48000:96000] = 0.5 * np.sin(np.arange(48000) * 2 * np.pi * 440 / 48000)
    x[120000:121000] = -1.0
    path = tmp_path / "t.wav"
    _write_wav(path, x, width)
    peaks = audio_peaks(path, points=30)
    assert len(peaks) == 30
    assert max(peaks[:10]) == 0.0
    assert all(0.45 <= p <= 0.55 for p in peaks[10:20])
    assert peaks[25] == 1.0 and max(peaks[26:]) == 0.0


def test_envelope_of_mp3_goes_through_ffmpeg(tmp_path):
    from newsvoice.audio.track import ffmpeg_exe

    wav, mp3 = tmp_path / "t.wav", tmp_path / "t.mp3"
    x = np.zeros(48000 * 2)
    x[48000:] = 0.5 * np.sin(np.arange(48000) * 2 * np.pi * 440 / 48000)
    _write_wav(wav, x, 2)
    subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-i", str(wav), "-b:a", "64k", str(mp3)], check=True
    )
    peaks = audio_peaks(mp3, points=20)
    assert max(peaks[:9]) < 0.05 and min(peaks[11:19]) > 0.8
    assert envelope(np.zeros(0)) == []


# ---------------------------------------------------------------- real renders


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    """A real offline render with --review (cps limit lowered so some cues carry warnings)."""
    root = tmp_path_factory.mktemp("review")
    src = root / "dai-loc.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    p = run(
        "render",
        str(src),
        "-o",
        str(root / "out"),
        "--engine",
        "espeak",
        "--subs",
        "srt,vtt",
        "--max-cps",
        "14",
        "--cache-dir",
        str(root / "cache"),
        "--review",
    )
    assert p.returncode == 0, p.stderr.decode()
    page = root / "out" / "dai-loc.html"
    assert str(page) in p.stdout.decode().split()
    return page


@pytest.fixture(scope="module")
def hostile_render(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    src = root / "hostile.txt"
    src.write_text(
        f"Tin nóng {HOSTILE} hôm nay\n\nÔng A viết {HOSTILE} trên mạng vào sáng 11/01.\n",
        encoding="utf-8",
    )
    p = run(
        "render",
        str(src),
        "-o",
        str(root / "out"),
        "--engine",
        "espeak",
        "--cache-dir",
        str(root / "cache"),
        "--review",
    )
    assert p.returncode == 0, p.stderr.decode()
    return root / "out" / "hostile.html"


def test_render_review_page_matches_its_srt_and_audio(rendered):
    page = rendered.read_text(encoding="utf-8")
    subs = list(srt.parse(rendered.with_suffix(".srt").read_text(encoding="utf-8")))
    items = cue_items(page)
    assert len(items) == len(subs) >= 4
    for (s, e), sub in zip(items, subs, strict=True):
        assert (
            abs(s - sub.start.total_seconds()) < 0.002 and abs(e - sub.end.total_seconds()) < 0.002
        )
    assert 'src="dai-loc.wav"' in page and "data:audio" not in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page), "page must not reach the network"
    data = script_data(page)
    assert 200 <= len(data["peaks"]) <= 400 and max(data["peaks"]) == 1.0
    assert "Thứ Hai, 11/01/2026 08:30 GMT+7" in page  # a dropped line, shown with its reason
    assert "cps above 14" in page


def test_review_command_rebuilds_the_page(rendered, tmp_path):
    out = tmp_path / "copy.html"
    p = run("review", str(rendered.with_suffix(".json")), "-o", str(out))
    assert p.returncode == 0, p.stderr.decode()
    assert p.stdout.decode().strip() == str(out)
    page = out.read_text(encoding="utf-8")
    rel = os.path.relpath(rendered.with_suffix(".wav"), tmp_path)
    assert f'src="{rel}"' in page
    assert cue_items(page) == cue_items(rendered.read_text(encoding="utf-8"))


def test_review_command_into_a_missing_folder_fails_cleanly(rendered, tmp_path):
    p = run("review", str(rendered.with_suffix(".json")), "-o", str(tmp_path / "nope" / "x.html"))
    err = p.stderr.decode()
    assert p.returncode == 1 and len(err.strip().splitlines()) == 1 and "nope" in err, err
    assert not (tmp_path / "nope").exists()


@pytest.mark.parametrize(
    "content",
    [
        None,
        b"{not json",
        b'{"units": []}',
        b'{"cues": [{"text": "x"}]}',
        b'{"cues": ["x"]}',
        b"\xff\xfe\x00",
    ],
)
def test_review_command_rejects_bad_manifests(tmp_path, content):
    path = tmp_path / "m.json"
    if content is not None:
        path.write_bytes(content)
    p = run("review", str(path))
    err = p.stderr.decode()
    assert p.returncode == 1, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "m.html").exists()


# ---------------------------------------------------------------- in the browser


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed (apt-get install chromium; .ci/run does)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright not installed (pip install -e '.[dev]')"
    )
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


class Watched:
    """A page with its console errors, uncaught exceptions and dialogs recorded."""

    def __init__(self, browser, path: Path, width: int = 1280, height: int = 720):
        self.context = browser.new_context(
            viewport={"width": width, "height": height}, accept_downloads=True
        )
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

        def on_dialog(d):
            self.dialogs.append(d.message)
            d.dismiss()

        self.page.on("dialog", on_dialog)
        self.page.goto(path.as_uri())
        self.page.wait_for_function(
            "document.getElementById('audio').readyState >= 1", timeout=15000
        )

    def close(self):
        self.context.close()


@pytest.fixture
def review_page(browser, rendered):
    w = Watched(browser, rendered)
    yield w
    w.close()


def test_browser_cues_match_srt_and_clicking_seeks(review_page, rendered):
    page = review_page.page
    subs = list(srt.parse(rendered.with_suffix(".srt").read_text(encoding="utf-8")))
    cues = page.locator("#cues [data-start][data-end]")
    assert cues.count() == len(subs)
    for i in (2, len(subs) - 1):
        cues.nth(i).locator(".written").click()
        t = page.evaluate("document.getElementById('audio').currentTime")
        assert abs(t - subs[i].start.total_seconds()) < 0.01
        assert page.locator("#cues .cue.current").get_attribute("data-n") == str(i + 1)
        # the on-air caption shows the cue's lines as cut
        lines = page.locator("#caption .line").all_inner_texts()
        assert lines == subs[i].content.split("\n")
    assert review_page.errors == []


def test_browser_keyboard_moves_between_cues_and_plays(review_page, rendered):
    page = review_page.page
    subs = list(srt.parse(rendered.with_suffix(".srt").read_text(encoding="utf-8")))
    now = "document.getElementById('audio').currentTime"
    page.locator("#cues .cue").nth(1).locator(".written").click()
    page.keyboard.press("ArrowRight")
    assert abs(page.evaluate(now) - subs[2].start.total_seconds()) < 0.01
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    assert abs(page.evaluate(now) - subs[0].start.total_seconds()) < 0.01
    # play from just before cue 2: the highlight and the caption follow the audio into cue 2
    page.evaluate(
        f"document.getElementById('audio').currentTime = {subs[1].start.total_seconds() - 0.3}"
    )
    page.keyboard.press(" ")
    page.wait_for_function(
        """() => {
        const a = document.getElementById('audio'), c = document.querySelector('#cues .cue.current');
        return !a.paused && c && c.dataset.n === '2' && +c.dataset.start <= a.currentTime
               && a.currentTime < +c.dataset.end; }""",
        timeout=10000,
    )
    assert page.locator("#caption .line").all_inner_texts() == subs[1].content.split("\n")
    page.keyboard.press(" ")
    assert page.evaluate("document.getElementById('audio').paused")
    assert review_page.errors == []


def test_browser_screenshot_is_not_blank(review_page, tmp_path):
    page = review_page.page
    # at 1280x720 the frame, the player and the first cue are all on the first screen
    for sel in ("#frame", "#audio", "#cues .cue >> nth=0"):
        box = page.locator(sel).bounding_box()
        assert (
            box
            and box["y"] >= 0
            and box["y"] + box["height"] <= 720
            and box["x"] + box["width"] <= 1280
        ), sel
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    page.locator("#cues .cue").nth(1).click()
    shot = tmp_path / "page.png"
    review_page.page.screenshot(path=str(shot))
    stats = _image_stats(review_page.context, shot)
    assert stats["std"] > 20, stats
    assert stats["colors"] > 50, stats
    # the waveform canvas has drawn something too
    drawn = review_page.page.evaluate("""() => {
        const c = document.getElementById('wave');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
        return n / (d.length / 4); }""")
    assert drawn > 0.2


def _image_stats(context, png: Path) -> dict:
    """The screenshot's stats, decoded in a page of its own."""
    p = context.new_page()
    try:
        return image_stats(p, png)
    finally:
        p.close()


def test_browser_phone_layout_has_no_sideways_scroll(browser, rendered):
    w = Watched(browser, rendered, 390, 844)
    try:
        assert w.page.evaluate("document.documentElement.scrollWidth <= innerWidth + 1")
        box = w.page.locator("#frame").bounding_box()
        assert box and abs(box["width"] / box["height"] - 16 / 9) < 0.02
        assert w.errors == []
    finally:
        w.close()


def test_browser_lexicon_round_trip(browser, rendered, tmp_path):
    """Select a word in the written text, say how to read it, download the TSV, and the
    normaliser reads the word that way with --lexicon."""
    w = Watched(browser, rendered)
    try:
        page = w.page
        page.evaluate("""() => {
            const p = [...document.querySelectorAll('#cues .written')].find(e => e.textContent.includes('Đại Lộc'));
            const node = [...p.childNodes].find(n => n.nodeType === 3 && n.data.includes('Đại Lộc'));
            const i = node.data.indexOf('Đại Lộc');
            const r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 'Đại Lộc'.length);
            getSelection().removeAllRanges(); getSelection().addRange(r);
        }""")
        page.wait_for_function("document.getElementById('fix-written').value === 'Đại Lộc'")
        assert page.locator("#fix-chip").is_visible()
        page.locator("#fix-chip").click()
        page.keyboard.type("Đại Lộc thân yêu")
        page.keyboard.press("Enter")
        assert page.input_value("#fix-tsv") == "Đại Lộc\tĐại Lộc thân yêu\n"
        with page.expect_download() as dl:
            page.click("#fix-download")
        lexicon = tmp_path / "fixes.tsv"
        dl.value.save_as(lexicon)
        assert lexicon.read_text(encoding="utf-8") == "Đại Lộc\tĐại Lộc thân yêu\n"
        # clicking into the selection did not seek; the fixes survive a reload
        page.reload()
        assert page.input_value("#fix-tsv") == "Đại Lộc\tĐại Lộc thân yêu\n"
        assert w.errors == []
    finally:
        w.close()
    p = subprocess.run(
        [sys.executable, "-m", "newsvoice", "normalize", "--lexicon", str(lexicon)],
        input="Huyện Đại Lộc họp.".encode(),
        capture_output=True,
        timeout=60,
    )
    assert p.returncode == 0, p.stderr.decode()
    assert "Đại Lộc thân yêu" in p.stdout.decode()


def _assert_inert(w: Watched) -> None:
    page = w.page
    page.wait_for_timeout(300)
    assert w.dialogs == []
    assert page.evaluate("window.pwned") is None
    assert page.evaluate("document.querySelectorAll('img, [onerror]').length") == 0
    assert page.evaluate("document.scripts.length") == 2
    assert w.errors == []


def test_browser_hostile_render_stays_inert(browser, hostile_render):
    w = Watched(browser, hostile_render)
    try:
        manifest_cues = json.loads(hostile_render.with_suffix(".json").read_text(encoding="utf-8"))[
            "cues"
        ]
        shown = w.page.locator("#cues .written").all_inner_texts()
        assert shown == [c["text"] for c in manifest_cues]
        assert any("onerror" in t for t in shown)  # the markup is there, as text
        for i in range(len(shown)):
            w.page.locator("#cues .cue").nth(i).locator(".seek").click()
        _assert_inert(w)
    finally:
        w.close()


def test_browser_hostile_manifest_fields_stay_inert(browser, tmp_path):
    """Every text field of a manifest carries markup; the page still has only its own elements."""
    m = hostile_manifest()
    x = np.zeros(48000 * 9)
    _write_wav(tmp_path / "story.wav", x, 2)
    (tmp_path / "story.json").write_text(json.dumps(m), encoding="utf-8")
    p = run("review", str(tmp_path / "story.json"))
    assert p.returncode == 0, p.stderr.decode()
    w = Watched(browser, tmp_path / "story.html")
    try:
        assert w.page.title().startswith(HOSTILE)
        w.page.locator("#cues .cue").nth(0).click()
        assert w.page.locator("#caption").inner_text() == HOSTILE
        _assert_inert(w)
    finally:
        w.close()


def test_batch_review_index_links_resolve(browser, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "Tin sáng #1.txt").write_text(
        "Tin sáng\n\nSáng 11/01, xã Đại Hồng họp dân về đê điều.\n", encoding="utf-8"
    )
    (src / "Tin chiều.txt").write_text(
        "Tin chiều\n\nChiều 12/01, xã Đại Quang dọn kênh.\n", encoding="utf-8"
    )
    (src / "rỗng.txt").write_bytes(b"")
    out = tmp_path / "out"
    p = run(
        "batch",
        str(src),
        "-o",
        str(out),
        "--engine",
        "espeak",
        "--jobs",
        "1",
        "--cache-dir",
        str(tmp_path / "cache"),
        "--review",
    )
    assert p.returncode == 3, p.stderr.decode()  # the empty article failed, the others rendered
    assert p.stdout.decode().strip().splitlines()[-1] == str(out / "index.html")
    ctx = browser.new_context()
    try:
        page = ctx.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto((out / "index.html").as_uri())
        rows = page.locator("tr.article")
        assert rows.count() == 3
        statuses = sorted(rows.nth(i).get_attribute("data-status") for i in range(3))
        assert statuses == ["failed", "ok", "ok"]
        hrefs = page.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.href)")
        files = [Path(unquote(urlparse(h).path)) for h in hrefs]
        assert len(files) >= 2 * 4 + 2
        missing = [f for f in files if not f.is_file()]
        assert missing == []
        pages = sorted({f for f in files if f.suffix == ".html"})
        assert len(pages) == 2
        for f in pages:  # each article page opens cleanly and links back to the index
            page.goto(f.as_uri())
            page.wait_for_function(
                "document.getElementById('audio').readyState >= 1", timeout=15000
            )
            assert page.locator("#cues .cue").count() >= 1
            page.click("a.back")
            assert page.url == (out / "index.html").as_uri()
        assert errors == []
    finally:
        ctx.close()


def test_batch_index_survives_an_unreadable_manifest(tmp_path):
    from newsvoice.outputs.review import write_batch_review
    from newsvoice.pipeline.batch import BatchResult

    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "a.json").write_text("{broken", encoding="utf-8")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "b.json").write_text(json.dumps(manifest()), encoding="utf-8")
    _write_wav(tmp_path / "b" / "b.wav", np.zeros(48000), 2)
    results = [
        BatchResult("in/a.txt", "a", "ok", 1.0, 1),
        BatchResult("in/b.txt", "b", "skipped", 9.0, 3),
        BatchResult("in/c.txt", "c", "failed", error="in/c.txt: empty"),
    ]
    page = write_batch_review(tmp_path, results).read_text(encoding="utf-8")
    assert page.count('<tr class="article"') == 3
    assert "no review page" in page and "in/c.txt: empty" in page
    assert (tmp_path / "b" / "b.html").is_file() and not (tmp_path / "a" / "a.html").exists()
    assert 'href="b/b.html"' in page and 'href="b/b.wav"' in page and 'href="a/' not in page


def test_browser_word_timeline_of_the_current_cue(browser, tmp_path):
    """With the lead's word timeline in the manifest, the current cue lists its words;
    clicking one seeks to it and marks it."""
    m = manifest(
        words=[
            {"text": t, "start": s, "end": e}
            for t, s, e in [
                ("Tin", 0.3, 0.7),
                ("thử", 0.7, 1.2),
                ("Sáng", 1.5, 1.9),
                ("11/01,", 1.9, 3.0),
                ("UBND", 3.2, 4.1),
                ("họp.", 4.1, 5.0),
                ("Hết", 5.6, 6.5),
                ("tin.", 6.5, 8.2),
            ]
        ]
    )
    for c, r in zip(m["cues"], [[0, 2], [2, 6], [6, 8]], strict=True):
        c["words"] = r
    _write_wav(tmp_path / "story.wav", np.zeros(48000 * 9), 2)
    (tmp_path / "story.json").write_text(json.dumps(m, ensure_ascii=False), encoding="utf-8")
    assert run("review", str(tmp_path / "story.json")).returncode == 0
    w = Watched(browser, tmp_path / "story.html")
    try:
        w.page.locator("#cues .cue").nth(1).locator(".seek").click()
        spans = w.page.locator("#cues .cue.current .words span")
        assert spans.all_inner_texts() == ["Sáng", "11/01,", "UBND", "họp."]
        spans.nth(2).click()
        assert w.page.evaluate("document.getElementById('audio').currentTime") == pytest.approx(
            3.2, abs=0.01
        )
        assert w.page.locator(".words span.now").all_inner_texts() == ["UBND"]
        assert w.page.locator("#cues .cue.current").get_attribute("data-n") == "2"
        assert w.errors == []
    finally:
        w.close()


def test_browser_current_cue_lists_its_timed_words(review_page, rendered):
    """The word timeline of the render: the current cue shows its words; a click on one seeks to it."""
    import json

    page = review_page.page
    manifest = json.loads(rendered.with_suffix(".json").read_text(encoding="utf-8"))
    cue = manifest["cues"][2]
    a, b = cue["words"]
    page.locator("#cues .cue").nth(2).locator(".written").click()
    chips = page.locator("#cues .cue.current .words span")
    assert chips.all_inner_texts() == [w["text"] for w in manifest["words"][a:b]]
    chips.nth(2).click()
    t = page.evaluate("document.getElementById('audio').currentTime")
    assert abs(t - manifest["words"][a + 2]["start"]) < 0.01
    # word chips are not cues: only cue elements carry data-start/data-end
    assert page.locator("#cues [data-start][data-end]").count() == len(manifest["cues"])
    assert review_page.errors == []
