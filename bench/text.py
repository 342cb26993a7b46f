"""Benchmark: text front-end throughput (sentence splitting + normalisation) on one core.

    python bench/text.py [--sentences 10000] [--seed 7] [--baseline 300]

Builds a seeded corpus of Vietnamese news sentences from templates with random numbers,
dates, times, codes, units and abbreviations, groups them into paragraphs, and measures
split + normalise in sentences per second. In the same process it runs a naive baseline
(the lexicon applied one regex per entry, patterns built on every sentence, as a first
version would do) and prints both next to the 2,700 sentences/s reference figure.
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections.abc import Callable

from newsvoice.text.normalize import Normalizer

REFERENCE = 2700.0
TARGET = 3000.0

TEMPLATES = [
    "Sáng ngày {d}/{m}, UBND {place} tổ chức hội nghị tổng kết năm {y}.",
    "Năm {y}, toàn huyện kết nạp {n3} đảng viên, đạt {pct}% kế hoạch.",
    "Thi hành kỷ luật {z} tổ chức đảng và {n2} đảng viên theo Quy định số {n2}-QĐ/TW.",
    "Tổng thu ngân sách đạt {big} tỷ đồng, tăng {pct}% so với cùng kỳ.",
    "Chiều {d}.{m}, lũ trên sông {river} lên nhanh, mực nước đạt {dec} m.",
    "Lúc {h}h{mm}, đoàn công tác của HĐND tỉnh đến thăm {place}.",
    "Nhiệm kỳ {y} - {y2}, Đảng bộ đề ra {n2} chỉ tiêu, đến nay đạt {n2}/{n2b} chỉ tiêu.",
    "Dự báo mưa {a}-{b} mm, nhiệt độ thấp nhất {t1}-{t2}°C, gió {a}-{b} km/h.",
    "Giá xăng tăng {a}-{b} đồng/lít từ {h} giờ ngày {d}/{m}/{y}.",
    "Dự án có vốn {n2} triệu USD tại KCN {place}, khởi công tháng {m}/{y}.",
    "Quốc hội khóa XV họp kỳ họp thứ {n1} vào Quý {roman}/{y}.",
    "Người dân liên hệ số 0{n3} {n4} {n3} hoặc đường dây nóng 1900 {n4}.",
    "Xe biển số {n2}A-{n3}.{n2} lưu thông trên QL{n2}A tại Km {n3}+{n3}.",
    "Đội nhà thắng {s1}-{s2}, xếp thứ {n1} sau {n2} vòng đấu.",
    "Sở GD&ĐT {place} cho học sinh THCS, THPT nghỉ học ngày {d}/{m}.",
    "Thực hiện Kế hoạch số {n3}/KH-UBND ngày {d}/{m}/{y} của UBND {place}.",
    "Diện tích lúa đạt {big} ha, năng suất {dec} tạ/ha, sản lượng {dec} triệu tấn.",
    "GDP quý {n1} tăng (+{dec}%), CPI tăng {dec}%, xuất khẩu đạt {dec} tỷ USD.",
    "Từ ngày {a1} đến {b1}/{m}, {place} tổ chức lễ hội thu hút {big} lượt khách.",
    "Kỷ niệm {n2} năm Cách mạng Tháng Tám và Quốc khánh (19.8.1945-19.8.{y}).",
]
PLACES = ["TP.HCM", "TP. Đà Nẵng", "huyện Đại Lộc", "tỉnh Quảng Nam", "xã Đại Hiệp", "Hà Nội"]
RIVERS = ["Vu Gia", "Thu Bồn", "Hương", "Thạch Hãn"]
ROMANS = ["I", "II", "III", "IV"]


def _fields(rng: random.Random) -> dict[str, object]:
    a = rng.randint(10, 400)
    t1 = rng.randint(15, 35)
    a1 = rng.randint(1, 20)
    return {
        "d": f"{rng.randint(1, 28):02d}" if rng.random() < 0.5 else rng.randint(1, 28),
        "m": rng.randint(1, 12),
        "y": rng.randint(1990, 2030),
        "y2": rng.randint(2030, 2035),
        "n1": rng.randint(1, 9),
        "n2": rng.randint(10, 99),
        "n2b": rng.randint(100, 120),
        "n3": rng.randint(100, 999),
        "n4": rng.randint(1000, 9999),
        "z": f"0{rng.randint(1, 9)}",
        "big": f"{rng.randint(1, 999)}.{rng.randint(0, 999):03d}",
        "pct": f"{rng.randint(1, 120)},{rng.randint(1, 9)}",
        "dec": f"{rng.randint(0, 99)},{rng.randint(1, 99)}",
        "h": rng.randint(0, 23),
        "mm": f"{rng.randint(0, 59):02d}",
        "a": a,
        "b": a + rng.randint(10, 200),
        "t1": t1,
        "t2": t1 + rng.randint(1, 5),
        "s1": rng.randint(0, 5),
        "s2": rng.randint(0, 5),
        "a1": a1,
        "b1": a1 + rng.randint(1, 5),
        "roman": rng.choice(ROMANS),
        "place": rng.choice(PLACES),
        "river": rng.choice(RIVERS),
    }


def corpus(n: int, seed: int, per_paragraph: int = 5) -> list[str]:
    """n template sentences with random values, grouped into paragraphs."""
    rng = random.Random(seed)
    sents = [rng.choice(TEMPLATES).format(**_fields(rng)) for _ in range(n)]
    return [" ".join(sents[i : i + per_paragraph]) for i in range(0, n, per_paragraph)]


def regex_split(paragraph: str) -> list[str]:
    """Fallback splitter: after . ! ? followed by space and a capital letter."""
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-ZĐÀ-Ỹ“\"])", paragraph) if s]


def pick_splitter() -> tuple[Callable[[str], list[str]], str]:
    try:
        from newsvoice.text.sentences import split_sentences

        split_sentences("Thử. Câu hai.")
        return split_sentences, "newsvoice.text.sentences.split_sentences"
    except NotImplementedError:
        return regex_split, "regex fallback (split_sentences not implemented yet)"


class NaiveNormalizer:
    """Baseline: the same lexicon applied entry by entry, each pattern built per sentence,
    then the normaliser's number rules (so the output is comparable)."""

    def __init__(self, inner: Normalizer) -> None:
        self.inner = inner
        self.items = sorted(inner.data.lexicon.items(), key=lambda kv: -len(kv[0]))

    def normalize(self, text: str) -> str:
        for written, spoken in self.items:
            pattern = re.compile(r"(?<!\w)" + re.escape(written) + r"(?!\w)")
            text = pattern.sub(spoken, text)
        return self.inner.normalize(text)


def run(paragraphs: list[str], split: Callable[[str], list[str]], norm) -> tuple[int, float]:
    """(sentences, seconds) for split + normalise of every paragraph."""
    t0 = time.perf_counter()
    count = 0
    for para in paragraphs:
        for sent in split(para):
            norm.normalize(sent)
            count += 1
    return count, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sentences", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--baseline", type=int, default=300, help="sentences for the naive baseline")
    args = ap.parse_args()

    split, split_name = pick_splitter()
    t0 = time.perf_counter()
    norm = Normalizer()
    build_ms = (time.perf_counter() - t0) * 1000
    paragraphs = corpus(args.sentences, args.seed)
    run(paragraphs[:50], split, norm)  # warm caches

    t_split0 = time.perf_counter()
    n_split = sum(len(split(p)) for p in paragraphs)
    t_split = time.perf_counter() - t_split0
    n, secs = run(paragraphs, split, norm)
    base_paras = corpus(args.baseline, args.seed)
    nb, secs_b = run(base_paras, split, NaiveNormalizer(norm))

    ours, naive = n / secs, nb / secs_b
    print(f"splitter: {split_name}; Normalizer() built in {build_ms:.0f} ms")
    print(
        f"corpus: {args.sentences} template sentences, seed {args.seed}, {n} sentences after split\n"
    )
    print("| front end | sentences | seconds | sentences/s | vs 2,700 ref |")
    print("|---|---:|---:|---:|---:|")
    print(f"| split only | {n_split} | {t_split:.2f} | {n_split / t_split:,.0f} | |")
    print(
        f"| split + normalise (ours) | {n} | {secs:.2f} | {ours:,.0f} | {ours / REFERENCE:.1f}x |"
    )
    print(
        f"| split + naive normalise (baseline) | {nb} | {secs_b:.2f} | {naive:,.0f} | "
        f"{naive / REFERENCE:.2f}x |"
    )
    print(
        f"\nours / naive: {ours / naive:.0f}x; target {TARGET:,.0f} s/s: "
        f"{'met' if ours >= TARGET else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
