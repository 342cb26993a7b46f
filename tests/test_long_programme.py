"""Memory stays flat in programme length: a 2-hour article renders in under 1 GB.

The programme lives in a temp file and every stage after assembly reads it by
range, so peak memory is set by the text (words, cues), not by the audio. This
runs the real CLI in a child process and reads the child's peak RSS; repeated
paragraphs keep synthesis short (cache hits) while the audio is a full 2 hours.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import wave
from pathlib import Path

import pytest

PARAGRAPHS = [
    "Sáng nay, Ủy ban nhân dân tỉnh Quảng Nam họp bàn phương án phòng chống bão số {n}, "
    "với sự tham gia của các sở, ngành và chính quyền mười tám huyện, thị xã, thành phố.",
    "Theo báo cáo, mưa lớn kéo dài đã làm ngập khoảng {n} nghìn ngôi nhà, nhiều tuyến đường "
    "giao thông bị chia cắt; lực lượng chức năng đã di dời hơn hai nghìn hộ dân đến nơi an toàn.",
    "Chủ tịch tỉnh yêu cầu các địa phương chủ động dự trữ lương thực, nước uống, thuốc men, "
    "đồng thời kiểm tra an toàn hồ đập trước khi mưa lớn trở lại vào cuối tuần.",
]


def long_article(path: Path, paragraphs: int) -> None:
    parts = ["Quảng Nam họp khẩn ứng phó bão lũ"]
    for i in range(paragraphs):  # 24 distinct sentences, then cache hits
        parts.append(PARAGRAPHS[i % 3].format(n=i % 8 + 2))
    path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")


@pytest.mark.slow
def test_a_two_hour_article_renders_in_under_1_gb(tmp_path):
    src = tmp_path / "hai-gio.txt"
    long_article(src, 1000)
    out = tmp_path / "out"
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "newsvoice",
            "render",
            str(src),
            "-o",
            str(out),
            "--engine",
            "espeak",
            "--bit-depth",
            "16",
            "--cache-dir",
            str(tmp_path / "cache"),
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert p.returncode == 0, p.stderr
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # Linux: KiB
    assert before / 1024 < 1024  # no earlier child already above the bar (it would mask ours)
    manifest = json.loads((out / "hai-gio.json").read_text("utf-8"))
    assert manifest["duration_s"] >= 7200
    with wave.open(str(out / "hai-gio.wav")) as w:
        assert w.getnframes() == manifest["samples"] and w.getframerate() == 48000
    assert abs(manifest["loudness"]["integrated_lufs"] - (-23.0)) <= 0.3
    assert peak_mib < 1024, f"peak RSS {peak_mib:.0f} MiB for {manifest['duration_s'] / 3600:.1f} h"
