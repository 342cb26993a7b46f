"""The generated bulletin articles both batch benchmarks use (same templates, same seed)."""

from __future__ import annotations

import random
from pathlib import Path

PLACES = [
    "Đại Lộc",
    "Hội An",
    "Tam Kỳ",
    "Điện Bàn",
    "Duy Xuyên",
    "Quế Sơn",
    "Núi Thành",
    "Thăng Bình",
]
TEMPLATES = [
    "Sáng {d}/{m}, UBND xã {p} tổ chức họp dân về kế hoạch gia cố {n} mét đê.",
    "Theo báo cáo, đến nay toàn huyện {p} đã hỗ trợ {n} hộ dân bị ảnh hưởng bởi mưa lũ.",
    "Mực nước sông Vu Gia tại {p} lúc {h} giờ đạt {n} cm, trên báo động {k}.",
    "Chủ tịch xã {p} đề nghị các thôn hoàn thành việc sơ tán trước ngày {d}/{m}.",
    "Tổng kinh phí dự kiến {n} tỷ đồng, trong đó ngân sách tỉnh hỗ trợ {k}0%.",
]


def make_articles(folder: Path, n: int, sentences: int, seed: int) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    for i in range(n):
        place = rng.choice(PLACES)
        body = " ".join(
            rng.choice(TEMPLATES).format(
                p=place,
                d=rng.randint(1, 28),
                m=rng.randint(1, 12),
                n=rng.randint(2, 999),
                h=rng.randint(1, 23),
                k=rng.randint(1, 3),
            )
            for _ in range(sentences)
        )
        (folder / f"Bản tin {i + 1:03d}.txt").write_text(
            f"Tin {place} số {i + 1}\n\n{body}\n", encoding="utf-8"
        )
