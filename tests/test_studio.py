"""The studio page (issue 25) in real headless Chromium (Debian's /usr/bin/chromium
through Playwright) against a real `newsvoice serve` subprocess on a loopback port,
offline (espeak-ng by the server's config). Every request the page makes is routed
through the test and any host other than loopback fails it; console errors, uncaught
exceptions and dialogs fail it too.

Screenshots go to $NEWSVOICE_STUDIO_SHOTS when set (docs/studio/ for the docs), else to
a temporary folder.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, image_stats
from servicekit import Server as Serve
from servicekit import env_for, free_port

LOOPBACK = {"127.0.0.1", "localhost", "::1"}

HOSTILE = (
    '</script><script>window.pwned=1;alert(1)</script><img src=x onerror="window.pwned=2;alert(2)">'
)

# a short article: a dropped dateline, an unknown acronym (VOXA, flagged), a number
ARTICLE = """Đại Lộc ra quân nạo vét kênh mương
Thứ Hai, 11/01/2026 08:30 GMT+7

Sáng 11/01, huyện Đại Lộc và công ty VOXA ra quân nạo vét 12,5 km kênh mương.

Hơn 1.200 người dân tham gia.
"""
FIX_SPOKEN = "vô xa"  # what the producer types for VOXA

# long enough that a render is still running when the test clicks cancel
LONG = "Tin dài để thử huỷ\n\n" + "\n\n".join(
    f"Đoạn {i}: người dân xã Đại Hiệp góp công sửa đường liên thôn, dài thêm {i} km."
    for i in range(1, 121)
)


def wait_for(page, js: str, timeout: float = 10000) -> None:
    """Poll a JS expression until it is truthy. Not Page.wait_for_function: that evaluates
    its predicate with eval(), which the studio's Content-Security-Policy refuses."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(js):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} ms waiting for: {js}")
        time.sleep(0.05)


class Server:
    """The running `newsvoice serve` (servicekit's) and an HTTP client for the checks."""

    def __init__(self, serve: Serve) -> None:
        self.serve, self.url, self.http = serve, serve.url, serve.client()

    def get(self, path: str) -> bytes:
        r = self.http.get(path)
        assert r.status_code == 200, (path, r.status_code, r.text)
        return r.content

    def json(self, path: str):
        return json.loads(self.get(path))

    def spoken(self, job_id: str) -> str:
        """The manifest's spoken text of a job, unit by unit."""
        doc = self.json(f"/v1/jobs/{job_id}")
        manifest = self.json(doc["outputs"]["manifest"])
        return " ".join(u["spoken"] for u in manifest["units"])


# imported by every Python process of the server (PYTHONPATH): the online services' URLs
# point at a closed loopback port, as conftest's no_google/no_edge do in-process
OFFLINE_SHIM = """\
import edge_tts.communicate
import gtts.tts

gtts.tts._translate_url = lambda tld="com", path="": "http://127.0.0.1:{port}/" + path
edge_tts.communicate.WSS_URL = "ws://127.0.0.1:{port}/edge/v1?TrustedClientToken=test"
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Server:
    """`newsvoice serve` with an offline default (espeak) and SRT+VTT from its config file.
    The online engines are 'unreachable' (a closed loopback port): no network at all."""
    root = tmp_path_factory.mktemp("studio")
    config = root / "newsvoice.toml"
    config.write_text('[serve]\nengine = "espeak"\nsubs = ["srt", "vtt"]\n', encoding="utf-8")
    shim = root / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(OFFLINE_SHIM.format(port=free_port()), encoding="utf-8")
    env = env_for(
        PYTHONPATH=os.pathsep.join([str(shim), *filter(None, [os.environ.get("PYTHONPATH")])]),
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        XDG_CACHE_HOME=str(root / "xdg-cache"),
    )
    env.pop("NEWSVOICE_CONFIG", None)
    serve = Serve(
        root / "data", "--config", str(config), "--rate", "1000/min", "--retries", "0", env=env
    )
    srv = Server(serve.start())
    try:
        yield srv
    finally:
        srv.http.close()
        serve.stop()


@pytest.fixture(scope="module")
def article_site():
    """A local web server with one article page (the URL input) and nothing else."""
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Báo Thử</title></head><body>"
        "<nav>Trang chủ | Thời sự | Chia sẻ</nav><article><h1>Cầu mới nối đôi bờ sông Thu Bồn</h1>"
        "<p>Sáng 12/01, tỉnh Quảng Nam khánh thành cây cầu dài 1,2 km nối hai huyện.</p>"
        "<p>Công trình giúp hơn 30.000 người dân đi lại thuận tiện.</p></article></body></html>"
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            if self.path != "/tin/cau-moi.html":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


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


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = os.environ.get("NEWSVOICE_STUDIO_SHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("shots")
    path.mkdir(parents=True, exist_ok=True)
    return path


class Studio:
    """The studio in a fresh browser context: every request routed (non-loopback hosts
    recorded and aborted), console errors, uncaught exceptions and dialogs recorded."""

    def __init__(self, browser, server: Server, width: int = 1280, height: int = 800):
        self.context = browser.new_context(
            viewport={"width": width, "height": height}, accept_downloads=True
        )
        self.external: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.expected: set[int] = set()  # HTTP statuses a test provokes on purpose

        self.requests: list[str] = []

        def route(r):
            self.requests.append(r.request.url)
            u = urlparse(r.request.url)
            if u.scheme in ("http", "https", "ws", "wss") and u.hostname not in LOOPBACK:
                self.external.append(r.request.url)
                r.abort()
            else:
                r.continue_()

        self.context.route("**/*", route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

        def on_dialog(d):
            self.dialogs.append(d.message)
            d.dismiss()

        self.page.on("dialog", on_dialog)
        self.page.goto(server.url + "/")
        wait_for(self.page, "document.querySelectorAll('#voice option').length > 1")

    def paste(self, text: str) -> None:
        """Type the article in as a paste would (one input event), and wait for the preview."""
        self.page.fill("#text", text)
        self.wait_preview()

    def wait_preview(self) -> None:
        wait_for(
            self.page,
            "!document.getElementById('preview-body').hidden"
            " && !document.getElementById('preview').classList.contains('busy')"
            " && document.querySelectorAll('#sentences li.sentence').length > 0",
            timeout=20000,
        )

    def render(self) -> str:
        """Click render, wait for the result screen with its cues; the job id."""
        self.page.click("#render")
        return self.wait_result()

    def wait_result(self) -> str:
        wait_for(
            self.page,
            "!document.getElementById('screen-result').hidden"
            " && document.querySelectorAll('#cues .cue').length > 0"
            " && document.getElementById('audio').readyState >= 1",
            timeout=60000,
        )
        return self.page.evaluate("window.studio.state.job.id")

    def shot(self, path: Path, full: bool = False) -> Path:
        self.page.screenshot(path=str(path), full_page=full)
        return path

    def close(self) -> None:
        self.context.close()

    def expect_status(self, status: int) -> None:
        """Chromium logs every failed fetch as a console error: allow this status."""
        self.expected.add(status)

    def check_clean(self) -> None:
        assert self.external == [], f"external requests: {self.external}"
        failed = re.compile(r"Failed to load resource: the server responded with a status of (\d+)")
        errors = [
            e
            for e in self.errors
            if not ((m := failed.match(e)) and int(m.group(1)) in self.expected)
        ]
        assert errors == [], errors
        assert self.dialogs == [], self.dialogs


@pytest.fixture
def studio(browser, server):
    s = Studio(browser, server)
    yield s
    try:
        s.check_clean()
    finally:
        s.close()


# ---------------------------------------------------------------- the main path


@pytest.mark.browser
def test_paste_fix_reading_render_play_and_cues_follow(studio, server, shots):
    """paste → readings shown (VOXA flagged) → fix it inline → render with progress →
    the audio plays and the highlight follows; the fix is in the manifest's spoken text."""
    page = studio.page
    # defaults come from the server's config: espeak (offline) and SRT + VTT
    assert page.eval_on_selector("#voice", "s => s.value").startswith("espeak\t")
    assert "ngoại tuyến" in page.eval_on_selector("#voice", "s => s.selectedOptions[0].textContent")
    subs = page.eval_on_selector_all("#subs input:checked", "xs => xs.map(x => x.value)")
    assert subs == ["srt", "vtt"]

    studio.paste(ARTICLE)
    assert page.inner_text("#headline") == "Đại Lộc ra quân nạo vét kênh mương"
    assert "mười hai phẩy năm ki lô mét" in page.inner_text("#sentences")  # a spoken form
    dropped = page.inner_text("#dropped")
    assert "Thứ Hai, 11/01/2026 08:30 GMT+7" in dropped and "ngày giờ" in dropped
    flag = page.locator("#sentences .spoken mark.flag").first
    assert flag.is_visible()
    reading = flag.inner_text()
    assert page.locator("#sentences .written mark.flag", has_text="VOXA").count() == 1
    studio.shot(shots / "compose.png", full=True)

    flag.click()
    assert page.input_value("#fix-written") == "VOXA"
    assert page.input_value("#fix-spoken") == reading
    studio.shot(shots / "fix-reading.png")
    page.fill("#fix-spoken", FIX_SPOKEN)
    page.click("#fix-form button[type=submit]")
    wait_for(
        page, f"document.getElementById('sentences').textContent.includes({json.dumps(FIX_SPOKEN)})"
    )
    assert reading not in page.inner_text("#sentences .spoken >> nth=1")

    # progress: record every stage line the page shows
    page.evaluate("""() => {
        window.stages = [];
        const el = document.getElementById('stage');
        new MutationObserver(() => window.stages.push(el.textContent))
            .observe(el, {childList: true, characterData: true, subtree: true});
    }""")
    job = studio.render()
    stages = page.evaluate("window.stages")
    assert stages and all(s for s in stages), stages
    assert f"{server.url}/v1/jobs/{job}/events" in studio.requests  # followed by SSE
    assert FIX_SPOKEN in server.spoken(job)

    # the result: SRT + VTT + audio + manifest + zip links, the cue list from the manifest
    kinds = page.eval_on_selector_all("#files a", "xs => xs.map(x => x.dataset.kind)")
    assert {"audio", "srt", "vtt", "manifest", "zip", "review"} <= set(kinds), kinds
    for a in page.eval_on_selector_all("#files a[download]", "xs => xs.map(x => x.href)"):
        assert urlparse(a).hostname == "127.0.0.1"
        assert server.http.get(a).status_code == 200
    cues = server.json(server.json(f"/v1/jobs/{job}")["outputs"]["manifest"])["cues"]
    assert page.locator("#cues .cue").count() == len(cues) >= 2

    # keyboard: → to cue 2, ← back to 1; play from just before cue 2, the highlight follows
    page.locator("#cues .cue").nth(0).click()
    page.keyboard.press("ArrowRight")
    now = "document.getElementById('audio').currentTime"
    assert abs(page.evaluate(now) - cues[1]["start"]) < 0.01
    assert page.locator("#cues .cue.current").get_attribute("data-n") == "2"
    page.keyboard.press("ArrowLeft")
    assert abs(page.evaluate(now) - cues[0]["start"]) < 0.01
    page.evaluate(f"document.getElementById('audio').currentTime = {cues[1]['start'] - 0.3}")
    page.keyboard.press(" ")
    wait_for(
        page,
        """() => {
        const a = document.getElementById('audio'), c = document.querySelector('#cues .cue.current');
        return !a.paused && c && c.dataset.n === '2' && +c.dataset.start <= a.currentTime
               && a.currentTime < +c.dataset.end; }""",
        timeout=10000,
    )
    caption = page.locator("#caption .line").all_inner_texts()
    assert caption == cues[1]["text"].split("\n")
    page.keyboard.press(" ")
    assert page.evaluate("document.getElementById('audio').paused")

    # the waveform was drawn from the decoded audio; a screenshot that is not blank
    wait_for(page, "document.getElementById('wave').dataset.drawn === '1'")
    drawn = page.evaluate("""() => {
        const c = document.getElementById('wave');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
        return n / (d.length / 4); }""")
    assert drawn > 0.2
    stats = image_stats(page, studio.shot(shots / "result.png"))
    assert stats["std"] > 20 and stats["colors"] > 50, stats

    # Space in a text field types a space; it never toggles playback
    page.click("#tab-compose")
    page.focus("#url")
    page.keyboard.press(" ")
    assert page.evaluate("document.getElementById('audio').paused")


def _server_keeps_lines(server: Server, line: str) -> bool:
    """Does this server honour preview's keep_lines yet (docs/service.md)?"""
    r = server.http.post("/v1/preview", json={"text": ARTICLE, "keep_lines": [line]})
    assert r.status_code == 200, r.text
    doc = r.json()
    return all(d["line"] != line for d in doc["dropped"])


@pytest.mark.browser
def test_fix_a_reading_from_selected_words(studio, server):
    """Select words in a sentence, 'fix reading': the selection is the written side."""
    page = studio.page
    studio.paste("Tin phố cổ\n\nDu khách đến Hội An ngày càng đông.\n")
    page.evaluate("""() => {
        const w = document.querySelectorAll('#sentences .written')[1], n = w.firstChild;
        const i = n.data.indexOf('Hội An'), r = document.createRange();
        r.setStart(n, i); r.setEnd(n, i + 'Hội An'.length);
        getSelection().removeAllRanges(); getSelection().addRange(r); }""")
    page.locator("#sentences li.sentence").nth(1).locator(".fix-btn").click()
    assert page.input_value("#fix-written") == "Hội An"
    page.fill("#fix-spoken", "phố cổ hội an")
    page.keyboard.press("Enter")
    wait_for(page, "document.getElementById('sentences').textContent.includes('phố cổ hội an')")
    assert "Hội An\tphố cổ hội an" in server.get("/v1/lexicon").decode("utf-8")


@pytest.mark.browser
def test_keep_a_dropped_line(studio, server):
    page = studio.page
    studio.paste(ARTICLE)
    line = "Thứ Hai, 11/01/2026 08:30 GMT+7"
    if not _server_keeps_lines(server, line):
        pytest.xfail("the service does not apply keep_lines yet (docs/service.md, preview)")
    page.locator("#dropped li", has_text=line).locator("button.keep").click()
    wait_for(
        page, f"document.getElementById('sentences').textContent.includes({json.dumps('08:30')})"
    )
    assert line not in page.inner_text("#dropped")
    assert page.is_visible("#kept")


@pytest.mark.browser
def test_english_strings_as_an_option(studio):
    """Vietnamese by default; English kept across visits."""
    page = studio.page
    assert page.inner_text("#tab-compose") == "Soạn bài"
    page.select_option("#lang", "en")
    assert page.inner_text("#tab-compose") == "Compose"
    assert page.inner_text("#render") == "Render voice-over"
    assert page.get_attribute("html", "lang") == "en"
    page.reload()
    wait_for(page, "document.querySelectorAll('#voice option').length > 1")
    assert page.inner_text("#tab-history") == "History"
    page.select_option("#lang", "vi")
    assert page.inner_text("#tab-history") == "Lịch sử"


@pytest.mark.browser
def test_options_break_fit_loudness_subtitles(studio, server):
    """A <break> at the cursor, fit to a slot, a loudness preset and subtitle formats:
    what the render was asked for and what it made."""
    page = studio.page
    studio.paste(ARTICLE)
    text = page.input_value("#text")
    at = text.index("Hơn 1.200")
    page.eval_on_selector("#text", f"t => {{ t.focus(); t.setSelectionRange({at}, {at}); }}")
    page.fill("#break-ms", "800")
    page.click("#break-btn")
    assert page.input_value("#text") == text[:at] + '<break time="800ms"/> ' + text[at:]
    studio.wait_preview()
    page.check("#pace-fit")
    assert page.is_hidden("#speed-row")
    page.fill("#fit", "0:15")
    page.select_option("#loudness", "web")
    page.check("#subs input[value=ttml]")
    page.uncheck("#subs input[value=vtt]")
    job = studio.render()
    doc = server.json(f"/v1/jobs/{job}")
    options = doc["request"]["options"]
    assert options["fit"] == "0:15" and "speed" not in options
    assert options["loudness"] == "web" and options["subs"] == ["srt", "ttml"]
    assert {"srt", "ttml"} <= set(doc["outputs"]) and "vtt" not in doc["outputs"]
    manifest = server.json(doc["outputs"]["manifest"])
    assert abs(manifest["duration_s"] - 15) < 0.5, manifest["duration_s"]
    assert manifest["loudness"]["preset"] == "web"
    kinds = page.eval_on_selector_all("#files a", "xs => xs.map(x => x.dataset.kind)")
    assert "ttml" in kinds and "vtt" not in kinds


def _docx_bytes() -> bytes:
    import docx

    d = docx.Document()
    d.add_heading("Phú Ninh khởi công trường học mới", level=1)
    d.add_paragraph("Sáng 13/01, huyện Phú Ninh khởi công xây dựng trường tiểu học 16 phòng.")
    d.add_paragraph("Tổng vốn đầu tư 25 tỷ đồng.")
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


@pytest.mark.browser
def test_drop_a_docx(studio, server, shots):
    page = studio.page
    data = base64.b64encode(_docx_bytes()).decode()
    page.evaluate(
        """(b64) => {
        const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
        const file = new File([bytes], 'bai-viet.docx',
            {type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'});
        const dt = new DataTransfer(); dt.items.add(file);
        const zone = document.getElementById('drop-zone');
        for (const type of ['dragenter', 'dragover', 'drop'])
            zone.dispatchEvent(new DragEvent(type, {dataTransfer: dt, bubbles: true, cancelable: true}));
    }""",
        data,
    )
    studio.wait_preview()
    assert page.inner_text("#headline") == "Phú Ninh khởi công trường học mới"
    assert "hai mươi lăm tỷ đồng" in page.inner_text("#sentences")
    assert "bai-viet.docx" in page.inner_text("#source")
    studio.shot(shots / "docx.png")
    job = studio.render()  # the file goes up again with the render (multipart)
    assert server.json(f"/v1/jobs/{job}")["request"]["file"] == "bai-viet.docx"
    assert page.inner_text("#result-title") == "Phú Ninh khởi công trường học mới"
    # history cannot post a file it does not have: re-render is off for this job
    page.click("#tab-history")
    row = page.locator(f"#jobs li[data-id='{job}']")
    assert row.locator("button.rerender").is_disabled()
    assert row.locator("button.open").is_enabled()


@pytest.mark.browser
def test_url_from_a_local_server(studio, article_site):
    page = studio.page
    page.fill("#url", f"{article_site}/tin/cau-moi.html")
    page.click("#url-form button[type=submit]")
    studio.wait_preview()
    assert page.inner_text("#headline") == "Cầu mới nối đôi bờ sông Thu Bồn"
    assert "một phẩy hai ki lô mét" in page.inner_text("#sentences")


@pytest.mark.browser
def test_a_job_that_fails_shows_its_one_line_error(studio, article_site):
    """A URL that 404s at render time: the job fails and its one-line error is shown."""
    page = studio.page
    studio.expect_status(422)  # the preview of that URL
    page.fill("#url", f"{article_site}/tin/khong-co.html")
    page.click("#url-form button[type=submit]")
    page.wait_for_selector("#alert:not([hidden])")  # the preview already says so
    page.click("#alert-close")
    page.click("#render")
    page.wait_for_selector("#alert:not([hidden])", timeout=30000)
    text = page.inner_text("#alert-text")
    assert "404" in text and "\n" not in text.strip(), text
    assert page.is_hidden("#alert-action")


@pytest.mark.browser
def test_online_voice_unreachable_offers_the_offline_voice(studio, server):
    page = studio.page
    studio.paste("Tin ngắn\n\nSáng nay trời nắng nhẹ.\n")
    page.select_option("#voice", "gtts\tvi")
    page.click("#render")
    page.wait_for_selector("#alert:not([hidden])", timeout=60000)
    alert = page.inner_text("#alert-text")
    assert "trực tuyến" in alert and "127.0.0.1" in alert, alert  # never the real service
    offer = page.locator("#alert-action")
    assert offer.is_visible() and "espeak" in offer.inner_text()
    offer.click()
    job = studio.wait_result()
    assert server.json(f"/v1/jobs/{job}")["request"]["options"]["engine"] == "espeak"
    assert page.eval_on_selector("#voice", "s => s.value").startswith("espeak\t")


@pytest.mark.browser
def test_file_too_big_says_so(studio, tmp_path, shots):
    page = studio.page
    big = tmp_path / "qua-lon.txt"
    big.write_bytes(("Câu thử rất dài. " * 130_000).encode())  # > 2 MiB, the article limit
    studio.expect_status(413)
    page.set_input_files("#file", str(big))
    page.wait_for_selector("#alert:not([hidden])", timeout=20000)
    assert page.inner_text("#alert-text").startswith("Tệp quá lớn")
    studio.shot(shots / "error-too-big.png")


# ---------------------------------------------------------------- cancel, history


@pytest.mark.browser
def test_cancel_a_running_render(studio, server, shots):
    page = studio.page
    studio.paste(LONG)
    page.click("#render")
    # the stage line counts units while synthesising ("Đang tổng hợp 12/40"); cancel then
    wait_for(
        page,
        "/^Đang tổng hợp \\d+\\/\\d+$/.test(document.getElementById('stage').textContent)"
        " && !document.getElementById('cancel').disabled",
        timeout=30000,
    )
    job = page.evaluate("window.studio.state.job.id")
    studio.shot(shots / "progress.png")
    page.click("#cancel")
    wait_for(page, "document.getElementById('stage').textContent === 'Đã huỷ.'", timeout=20000)
    assert server.json(f"/v1/jobs/{job}")["state"] == "cancelled"
    assert page.is_hidden("#screen-result") or page.locator("#cues .cue").count() == 0


@pytest.mark.browser
def test_history_lists_reopens_and_rerenders(studio, server, shots):
    page = studio.page
    studio.paste("Tin lịch sử\n\nChiều nay huyện Duy Xuyên họp bàn kế hoạch chống hạn.\n")
    first = studio.render()
    page.click("#tab-history")
    page.wait_for_selector(f"#jobs li[data-id='{first}']")
    row = page.locator(f"#jobs li[data-id='{first}']")
    assert row.locator(".state").text_content() == "xong"
    assert row.locator(".title").inner_text() == "Tin lịch sử"
    ids = page.eval_on_selector_all("#jobs li", "xs => xs.map(x => x.dataset.id)")
    assert ids == [j["id"] for j in server.json("/v1/jobs?limit=20")]  # newest first
    studio.shot(shots / "history.png", full=True)

    row.locator("button.open").click()
    assert studio.wait_result() == first
    assert page.inner_text("#result-title") == "Tin lịch sử"

    # re-render posts the job's request again (identical request: the server reuses it)
    page.click("#tab-history")
    page.locator(f"#jobs li[data-id='{first}'] button.rerender").click()
    assert studio.wait_result() == first
    page.click("#tab-history")
    failed = page.locator("#jobs li[data-state='cancelled'], #jobs li[data-state='failed']")
    if failed.count():  # jobs of other tests: one that never finished cannot be opened
        assert failed.first.locator("button.open").is_disabled()


# ---------------------------------------------------------------- lexicon


@pytest.mark.browser
def test_lexicon_download_upload_and_the_next_render_uses_it(studio, server, tmp_path, shots):
    page = studio.page
    page.click("#tab-lexicon")
    wait_for(page, "document.getElementById('lexicon-count').textContent !== ''")
    with page.expect_download() as dl:
        page.click("#lexicon-download")
    assert dl.value.suggested_filename == "lexicon.tsv"
    got = Path(dl.value.path()).read_text(encoding="utf-8")
    assert got == server.get("/v1/lexicon").decode("utf-8")

    tsv = tmp_path / "lexicon.tsv"
    tsv.write_text(got + "Duy Xuyên\tduy xuyên huyện nhà\n", encoding="utf-8")
    page.set_input_files("#lexicon-file", str(tsv))
    wait_for(
        page, "document.getElementById('lexicon-rows').textContent.includes('duy xuyên huyện nhà')"
    )
    studio.shot(shots / "lexicon.png")
    assert "Duy Xuyên\tduy xuyên huyện nhà" in server.get("/v1/lexicon").decode("utf-8")

    page.click("#tab-compose")
    studio.paste("Tin từ điển\n\nNông dân Duy Xuyên xuống đồng sớm.\n")
    assert "duy xuyên huyện nhà" in page.inner_text("#sentences")
    job = studio.render()
    assert "duy xuyên huyện nhà" in server.spoken(job)

    # deleting the row: the server's lexicon and the next preview forget it
    page.click("#tab-lexicon")
    page.locator("#lexicon-rows tr", has_text="Duy Xuyên").locator("button.delete").click()
    wait_for(page, "!document.getElementById('lexicon-rows').textContent.includes('Duy Xuyên')")
    assert "Duy Xuyên" not in server.get("/v1/lexicon").decode("utf-8")
    page.click("#tab-compose")
    wait_for(page, "!document.getElementById('sentences').textContent.includes('huyện nhà')")


# ---------------------------------------------------------------- manners


@pytest.mark.browser
def test_hostile_article_text_stays_inert(studio, server):
    page = studio.page
    page.fill(
        "#text", f"Tin nóng {HOSTILE} hôm nay\n\nÔng A viết {HOSTILE} trên mạng sáng 11/01.\n"
    )
    studio.wait_preview()
    assert "onerror" in page.inner_text("#preview-body")
    job = studio.render()
    assert "onerror" in page.inner_text("#cues") + page.inner_text("#result-title")
    page.locator("#cues .cue").first.click()
    assert page.evaluate("window.pwned") is None
    assert page.locator("img").count() == 0
    assert page.locator("script").count() == 1  # ours
    page.click("#tab-history")
    page.wait_for_selector(f"#jobs li[data-id='{job}']")
    assert page.evaluate("window.pwned") is None and page.locator("img").count() == 0
    # a lexicon row is data too
    before = server.get("/v1/lexicon")
    bad = '<svg onload="window.pwned=3">'
    r = server.http.put("/v1/lexicon", content=before + f"{bad}\tkhông\n".encode())
    assert r.status_code == 200, r.text
    try:
        page.click("#tab-lexicon")
        page.wait_for_selector("#lexicon-rows td >> text=window.pwned=3")
        assert page.evaluate("window.pwned") is None and page.locator("svg").count() == 0
    finally:
        server.http.put("/v1/lexicon", content=before)


@pytest.mark.browser
def test_phone_layout(browser, server, shots):
    s = Studio(browser, server, 390, 844)
    try:
        page = s.page
        wide = "document.documentElement.scrollWidth <= innerWidth + 1"
        assert page.evaluate(wide)
        s.paste(ARTICLE)
        assert page.evaluate(wide)
        s.shot(shots / "phone-compose.png")
        s.render()
        assert page.evaluate(wide)
        box = page.locator("#frame").bounding_box()
        assert box and box["width"] <= 390 and abs(box["width"] / box["height"] - 16 / 9) < 0.02
        s.shot(shots / "phone-result.png")
        for tab in ("history", "lexicon"):
            page.click(f"#tab-{tab}")
            assert page.evaluate(wide), tab
        s.check_clean()
    finally:
        s.close()


@pytest.mark.browser
def test_token_is_stored_and_sent(studio, server):
    """A pasted token is kept in localStorage and sent as the bearer header (the open
    loopback server accepts any); with it, downloads go through fetch."""
    page = studio.page
    seen: list[str | None] = []
    page.on(
        "request",
        lambda r: seen.append(r.headers.get("authorization")) if "/v1/" in r.url else None,
    )
    page.click("#token-box summary")
    page.fill("#token", "so-bi-mat")
    page.click("#token-form button[type=submit]")
    assert page.inner_text("#notice") == "Đã lưu mã truy cập."
    wait_for(page, "document.getElementById('voice').options.length > 1")
    studio.paste("Tin mã\n\nTrưa nay có mưa rào.\n")
    assert "Bearer so-bi-mat" in seen
    assert page.evaluate("localStorage.getItem('newsvoice-studio:token')") == "so-bi-mat"
    page.reload()
    assert page.input_value("#token") == "so-bi-mat"
    assert page.inner_text("#health").startswith("Máy chủ sẵn sàng")


def test_studio_files_ship_as_package_data():
    """Every file of the studio folder matches pyproject's package-data (a non-editable
    install serves the same page), and the page loads only files that are there."""
    import fnmatch
    import tomllib

    from newsvoice.service.studio_routes import STUDIO

    repo = Path(__file__).resolve().parents[1]
    conf = tomllib.loads((repo / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
        "setuptools"
    ]
    assert "newsvoice.service" in conf["packages"]
    globs = conf["package-data"]["newsvoice.service"]
    files = sorted(p.name for p in STUDIO.iterdir())
    assert {"index.html", "studio.js", "studio.css", "strings.js"} <= set(files)
    for name in files:
        assert any(fnmatch.fnmatch(f"studio/{name}", g) for g in globs), name
    html = (STUDIO / "index.html").read_text(encoding="utf-8")
    js = "".join((STUDIO / n).read_text(encoding="utf-8") for n in files if n.endswith(".js"))
    refs = re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r'from "\./([^"]+)"', js)
    local = [r for r in refs if not r.startswith(("data:", "#"))]
    assert local and all((STUDIO / r).is_file() for r in local), local
    assert not re.search(r"https?://", html + js.replace("https://…", "")), "no external URLs"
    # data reaches the page through textContent / attributes, never as markup
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", js)
