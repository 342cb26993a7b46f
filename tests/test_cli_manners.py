"""CLI manners (issue 16): warnings reach the terminal, --strict, Ctrl-C on a hung
batch, and batch workers that do not outlive their parent. Real processes and signals;
Google is the local fake server of conftest.py."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from cli import run

ARTICLE = "Tin vắn\n\nSáng nay, xã Đại Lộc tổ chức họp dân về đê điều. Chiều, xã Hội An họp tiếp.\n"


def default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)  # pytest may run with SIGINT ignored


def test_render_shows_its_warnings_and_strict_makes_them_fatal(tmp_path):
    src = tmp_path / "tin.txt"
    src.write_text(ARTICLE, encoding="utf-8")
    base = [
        "render",
        str(src),
        "-o",
        str(tmp_path / "o"),
        "--engine",
        "espeak",
        "--cache-dir",
        str(tmp_path / "c"),
        "--max-cps",
        "1",
    ]
    p = run(*base)
    err = p.stderr.decode()
    assert p.returncode == 0, err
    assert "tin.txt: warning: cue 1: reading speed" in err
    assert run(*base, "-q").stderr == b""
    strict = run(*base, "--strict")
    assert strict.returncode == 1 and "--strict" in strict.stderr.decode()
    assert (tmp_path / "o" / "tin.json").is_file()  # outputs are still written
    assert (
        run(
            "render",
            str(src),
            "-o",
            str(tmp_path / "o"),
            "--engine",
            "espeak",
            "--cache-dir",
            str(tmp_path / "c"),
            "--strict",
        ).returncode
        == 0
    )  # no warnings: fine


def test_batch_reports_and_shows_warnings(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "tin.txt").write_text(ARTICLE, encoding="utf-8")
    base = [
        "batch",
        str(tmp_path / "in"),
        "-o",
        str(tmp_path / "out"),
        "--engine",
        "espeak",
        "-j",
        "1",
        "--cache-dir",
        str(tmp_path / "c"),
        "--max-cps",
        "1",
    ]
    p = run(*base)
    assert p.returncode == 0, p.stderr.decode()
    assert "warning: cue 1: reading speed" in p.stderr.decode()
    row = json.loads((tmp_path / "out" / "report.json").read_text("utf-8"))["articles"][0]
    assert row["warnings"] and row["warnings"][0].startswith("cue 1: reading speed")
    with open(tmp_path / "out" / "report.csv", encoding="utf-8") as f:
        assert "reading speed" in next(csv.DictReader(f))["warnings"]
    again = run(*base, "--strict")  # skipped articles keep their warnings
    assert again.returncode == 1 and "--strict" in again.stderr.decode()


def _script(tmp_path: Path, url: str) -> Path:
    script = tmp_path / "nv.py"
    script.write_text(
        "import sys, gtts.tts\n"
        f"gtts.tts._translate_url = lambda tld='com', path='': {url!r} + '/' + path\n"
        "from newsvoice.cli.app import main\n"
        "sys.argv = ['newsvoice'] + sys.argv[1:]\n"
        "main()\n",
        encoding="utf-8",
    )
    return script


def test_ctrl_c_leaves_a_hung_batch_at_once(fake_google, tmp_path):
    (tmp_path / "in").mkdir()
    for i in range(3):
        (tmp_path / "in" / f"tin{i}.txt").write_text(
            ARTICLE.replace("Đại Lộc", f"số {i}"), encoding="utf-8"
        )
    fake_google.script = ["stall"] * 10
    cmd = [
        sys.executable,
        str(_script(tmp_path, fake_google.url)),
        "batch",
        str(tmp_path / "in"),
        "-o",
        str(tmp_path / "out"),
        "--engine",
        "gtts",
        "--timeout",
        "120",
        "--cache-dir",
        str(tmp_path / "c"),
        "-j",
        "2",
    ]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=default_sigint,
        env={**os.environ, "NO_PROXY": "*"},
    )
    deadline = time.monotonic() + 60
    while fake_google.posts < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fake_google.posts >= 2  # both workers are now waiting on a service that never answers
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=10)  # the stalled requests would hold it for 30 s
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("batch did not exit on Ctrl-C") from None
    assert proc.returncode == 130, err.decode()
    assert "Traceback" not in err.decode() and "interrupted" in err.decode()


def _children(pid: int) -> set[int]:
    kids: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            kids |= {int(k) for k in (task / "children").read_text().split()}
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in state  # a zombie has exited


def test_workers_exit_when_the_batch_is_killed(tmp_path):
    (tmp_path / "in").mkdir()
    for i in range(12):
        body = " ".join(f"Sáng {i}, xã số {i} họp dân lần {j} về đê điều." for j in range(8))
        (tmp_path / "in" / f"tin{i}.txt").write_text(f"Tin {i}\n\n{body}\n", encoding="utf-8")
    cmd = [
        sys.executable,
        "-m",
        "newsvoice",
        "batch",
        str(tmp_path / "in"),
        "-o",
        str(tmp_path / "out"),
        "--engine",
        "espeak",
        "--cache-dir",
        str(tmp_path / "c"),
        "-j",
        "2",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    workers: set[int] = set()
    while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
        workers = _children(proc.pid)
        time.sleep(0.05)
    assert len(workers) >= 2, "no worker processes seen"
    proc.kill()  # SIGKILL to the parent only: nobody tells the workers
    proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [w for w in workers if _alive(w)]
    for w in left:
        os.kill(w, signal.SIGKILL)
    assert left == [], "workers outlived their parent"


def test_console_entry_keeps_exit_codes_output_and_exit_handlers(tmp_path):
    """``run()`` (the console script) skips the interpreter's teardown: exit codes,
    piped stdout and atexit handlers must survive that."""
    import subprocess
    import sys

    flag = tmp_path / "atexit.txt"
    code = (
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(flag)!r}, 'w').write('ran'))\n"
        "sys.argv = ['newsvoice', *sys.argv[1:]]\n"
        "from newsvoice.cli.app import run\nrun()\n"
    )
    ok = subprocess.run(
        [sys.executable, "-c", code, "normalize"],
        input="UBND xã họp lúc 7h30.",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    assert "ủy ban nhân dân" in ok.stdout.lower() and flag.read_text() == "ran"
    missing = subprocess.run(
        [sys.executable, "-c", code, "render", str(tmp_path / "none.txt")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 1 and "no such file" in missing.stderr
    usage = subprocess.run(
        [sys.executable, "-c", code, "render"], capture_output=True, text=True, timeout=120
    )
    assert usage.returncode == 2
