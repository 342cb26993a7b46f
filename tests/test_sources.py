"""Inputs other than plain text: saved web pages, Word files and URLs (issue 14).

Real parts only: a real .docx written by python-docx, a saved page with the usual junk,
and a real HTTP server on 127.0.0.1 (never the network)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import docx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsvoice.errors import InputError
from newsvoice.inputs.sources import (
    TABLE,
    bytes_source,
    read_source,
    source_name,
    source_stem,
)
from newsvoice.pipeline.batch import collect_inputs
from newsvoice.text.article import read_source_article, source_article

PAGE = Path(__file__).parent / "data" / "page-junk.html"
HEADLINE = "Hà Tĩnh khánh thành cầu Thạch Đồng"
LEAD = "Sáng 11/11, UBND tỉnh Hà Tĩnh khánh thành cầu Thạch Đồng"
JUNK = [
    "Trang chủ",
    "Tin liên quan",
    "Quảng cáo",
    "Ảnh: Minh Hà",
    "Chia sẻ",
    "Bình luận",
    "Cầu đẹp quá",
    "Đọc nhiều",
    "Giấy phép",
    "tracking",
    "dataLayer",
    "font-family",
    "Từ khóa",
]


# ---------------------------------------------------------------- saved web page


def test_html_keeps_headline_lead_and_body_in_order() -> None:
    art = read_source_article(str(PAGE))
    assert art.headline == HEADLINE
    assert art.paragraphs[0].startswith(LEAD)
    assert art.paragraphs[1].startswith("Cầu Thạch Đồng dài 310 m")
    assert art.paragraphs[-1].startswith("Dự kiến trong năm 2025")
    assert len(art.paragraphs) == 5


def test_html_drops_page_junk_and_reports_why() -> None:
    src = read_source(str(PAGE))
    text = src.data.decode("utf-8")
    for junk in JUNK:
        assert junk not in text, junk
    reasons = {d.reason for d in src.dropped}
    assert {
        "navigation",
        "related links",
        "photo caption",
        "advertisement",
        "byline",
        "share buttons",
        "comments",
        "footer",
        "script/style",
    } <= reasons
    by_text = {d.text: d.reason for d in src.dropped}
    assert by_text["Cầu Thạch Đồng nhìn từ trên cao. Ảnh: Minh Hà"] == "photo caption"
    assert by_text["Thông xe cao tốc Diễn Châu - Bãi Vọt"] == "related links"
    # nothing that is read is reported as dropped
    assert not any(d.text.startswith("Theo Sở Giao thông") for d in src.dropped)


def test_html_without_markup_text_is_an_input_error(tmp_path: Path) -> None:
    page = tmp_path / "empty.html"
    page.write_text(
        "<html><head><script>var a=1;</script></head><body><nav>Trang chủ</nav></body></html>"
    )
    with pytest.raises(InputError, match="empty.html"):
        read_source_article(str(page))


def test_stdin_html_is_recognised() -> None:
    src = bytes_source(PAGE.read_bytes())
    assert src.kind == "html" and src.data.decode().startswith(HEADLINE)
    assert bytes_source("Tiêu đề\n\nNội dung.".encode()).kind == "text"


# ---------------------------------------------------------------- Word files


def _make_docx(path: Path) -> None:
    d = docx.Document()
    d.add_heading("Quảng Nam khởi công trường học mới", level=1)
    d.add_paragraph("Sáng 5/9, huyện Đại Lộc khởi công trường tiểu học với 24 phòng học.")
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Hạng mục"
    table.cell(0, 1).text = "Kinh phí"
    table.cell(1, 0).text = "Phòng học"
    table.cell(1, 1).text = "12 tỷ đồng"
    d.add_paragraph("")
    d.add_paragraph("Công trình dự kiến hoàn thành trong năm 2026.")
    d.save(str(path))


def test_docx_paragraphs_in_order_tables_skipped(tmp_path: Path, caplog) -> None:
    path = tmp_path / "truong-hoc.docx"
    _make_docx(path)
    with caplog.at_level("WARNING"):
        art = read_source_article(str(path))
    assert art.headline == "Quảng Nam khởi công trường học mới"
    assert art.paragraphs == [
        "Sáng 5/9, huyện Đại Lộc khởi công trường tiểu học với 24 phòng học.",
        "Công trình dự kiến hoàn thành trong năm 2026.",
    ]
    tables = [d for d in art.dropped if d.reason == TABLE]
    assert len(tables) == 1 and "Hạng mục | Kinh phí" in tables[0].text
    assert "table" in caplog.text


def test_broken_docx_is_one_input_error(tmp_path: Path) -> None:
    path = tmp_path / "hong.docx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError, match="not a readable .docx"):
        read_source(str(path))


def test_sentences_cli_reads_docx(tmp_path: Path) -> None:
    path = tmp_path / "truong-hoc.docx"
    _make_docx(path)
    p = subprocess.run(
        [sys.executable, "-m", "newsvoice", "sentences", str(path), "--show-dropped"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("Quảng Nam khởi công trường học mới\n")
    assert "# dropped (table skipped)" in p.stdout


# ---------------------------------------------------------------- URLs (local server)


class _Handler(BaseHTTPRequestHandler):
    agents: list[str] = []

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def _send(self, body: bytes, ctype: str, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self._answer()  # the client may give up on purpose (size limit, timeout)

    def _answer(self) -> None:
        type(self).agents.append(self.headers.get("User-Agent", ""))
        if self.path == "/tin/ha-tinh-khanh-thanh-cau.html":
            self._send(PAGE.read_bytes(), "text/html; charset=utf-8")
        elif self.path == "/cu":
            self.send_response(301)
            self.send_header("Location", "/tin/ha-tinh-khanh-thanh-cau.html")
            self.end_headers()
        elif self.path == "/ban-tin.txt":
            self._send(
                "Mưa lớn ở Hà Nội\n\nChiều 3/9, trời mưa to.\n".encode(),
                "text/plain; charset=utf-8",
            )
        elif self.path == "/lon":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            for _ in range(64):
                self.wfile.write(b"a" * 4096)
        elif self.path == "/cham":
            time.sleep(3)
            self._send(b"late", "text/plain")
        else:
            self._send(b"not here", "text/plain", 404)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_url_page_follows_redirects_and_sends_a_user_agent(server: str) -> None:
    _Handler.agents.clear()
    src = read_source(f"{server}/cu")
    assert src.kind == "html"
    art = source_article(src)
    assert art.headline == HEADLINE and art.paragraphs[0].startswith(LEAD)
    assert any(d.reason == "navigation" for d in art.dropped)
    assert _Handler.agents and all(a.startswith("newsvoice/") for a in _Handler.agents)


def test_url_plain_text(server: str) -> None:
    art = read_source_article(f"{server}/ban-tin.txt")
    assert art.headline == "Mưa lớn ở Hà Nội" and art.paragraphs == ["Chiều 3/9, trời mưa to."]


def test_url_through_path_is_still_a_url(server: str) -> None:
    # render() receives a Path; "http://x" becomes "http:/x" and must still be fetched
    assert read_source(str(Path(f"{server}/ban-tin.txt"))).data.startswith("Mưa lớn".encode())


@pytest.mark.parametrize(
    "path, kw, message",
    [
        ("/khong-co", {}, "HTTP 404"),
        ("/lon", {"max_bytes": 100_000}, "too large"),
        ("/cham", {"timeout": 0.5}, "timed out"),
    ],
)
def test_failed_fetch_is_one_input_error(server: str, path: str, kw: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_source(f"{server}{path}", **kw)


def test_failed_fetch_exits_1_with_one_line(server: str) -> None:
    p = subprocess.run(
        [sys.executable, "-m", "newsvoice", "sentences", f"{server}/khong-co"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode == 1
    assert (
        p.stderr.strip().count("\n") == 0 and "HTTP 404" in p.stderr and "Traceback" not in p.stderr
    )


def test_refused_connection_exits_1(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:  # a port that was just free: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    p = subprocess.run(
        [sys.executable, "-m", "newsvoice", "normalize", f"http://127.0.0.1:{port}/a"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode == 1 and "cannot fetch" in p.stderr and p.stderr.count("\n") == 1


@pytest.mark.parametrize(
    "src, stem",
    [
        ("https://baohatinh.vn/tin/ha-tinh-khanh-thanh-cau.html", "ha-tinh-khanh-thanh-cau"),
        ("https://vnexpress.net/b%C3%A3o-s%E1%BB%91-3-4781234.html?utm=x", "bao-so-3-4781234"),
        ("http:/example.vn/", "example-vn"),
        ("https://example.vn/news/?id=5", "news"),
        ("tin/bai-viet.docx", "bai-viet"),
    ],
)
def test_source_stem(src: str, stem: str) -> None:
    assert source_stem(src) == stem


def test_source_name_restores_a_url_that_went_through_path() -> None:
    assert source_name(str(Path("https://example.vn/a/b.html"))) == "https://example.vn/a/b.html"
    assert source_name("tin/a.txt") == "tin/a.txt"


# ---------------------------------------------------------------- batch and render


def test_batch_folder_includes_html_and_docx(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Tiêu đề\n\nNội dung bài.", encoding="utf-8")
    (tmp_path / "b.html").write_bytes(PAGE.read_bytes())
    _make_docx(tmp_path / "c.docx")
    (tmp_path / "d.pdf").write_bytes(b"%PDF")
    assert [p.name for p in collect_inputs([str(tmp_path)])] == ["a.txt", "b.html", "c.docx"]


def test_render_html_writes_the_dropped_report(tmp_path: Path) -> None:
    from newsvoice.pipeline.render import RenderOptions, render

    res = render(
        PAGE, tmp_path / "out", RenderOptions(engine="espeak", cache_dir=tmp_path / "cache")
    )
    manifest = json.loads(res.outputs["json"].read_text("utf-8"))
    reasons = {d["reason"] for d in manifest["dropped"]}
    assert {"navigation", "photo caption", "advertisement", "comments"} <= reasons
    srt = res.outputs["srt"].read_text("utf-8")
    assert "Hà Tĩnh khánh thành" in srt and "Quảng cáo" not in srt and "Bình luận" not in srt


@settings(max_examples=60, deadline=None)
@given(
    st.text(alphabet=st.sampled_from(list("<>/=\"' abcpdivhtmlbodyscriptĐđàáạ\n.,1")), max_size=300)
)
def test_any_markup_gives_text_or_one_input_error(markup: str) -> None:
    try:
        src = bytes_source(("<html><body>" + markup).encode("utf-8"))
    except InputError as e:
        assert "\n" not in str(e)
    else:
        assert src.kind == "html" and src.data.decode("utf-8")
