"""Vietnamese word segmenters for cue cutting: underthesea (CRF, VLSP 2013) vs pyvi.

Agreement: on the sentences of the examples and the shared sample, the share of
the hand-listed compounds (assets/compounds.txt) occurring in the text that each
segmenter keeps as one word, and how often the two disagree on a boundary.
Speed: sentences per second, after loading; load time measured separately.

    pip install pyvi && python bench/segmenter.py   (pyvi only for this comparison)
"""

from __future__ import annotations

import time
from pathlib import Path

from newsvoice.text.article import parse_article
from newsvoice.text.sentences import split_sentences

ROOT = Path(__file__).resolve().parents[1]


def sentences() -> list[str]:
    files = sorted((ROOT / "examples").glob("*.txt")) + sorted(
        (ROOT.parent / "shared/samples").glob("*.txt")
    )
    out = []
    for f in files:
        art = parse_article(f.read_bytes())
        for para in art.paragraphs:
            out += split_sentences(para)
    return out


def boundaries_underthesea(sents):
    from newsvoice.text.wordseg import inside_word

    return [inside_word(s.split()) for s in sents]


def boundaries_pyvi(sents):
    from pyvi import ViTokenizer

    out = []
    for s in sents:
        toks = s.split()
        seg = ViTokenizer.tokenize(s).split()
        # map pyvi's words (syllables joined by _) back onto whitespace tokens by character position
        joined, inside, pos = [], set(), 0
        for w in seg:
            syl = w.split("_")
            for k, x in enumerate(syl):
                joined.append((x, k > 0))
        text = " ".join(toks)
        starts = set()
        p = 0
        for t in toks:
            starts.add(p)
            p += len(t) + 1
        # a token boundary is inside a word when pyvi glued the syllable that starts the next token
        cursor = 0
        for x, glued in joined:
            i = text.find(x, cursor)
            if i < 0:
                continue
            if glued and i in starts:
                inside.add(i)
            cursor = i + len(x)
        flags, p = [], 0
        for t in toks[:-1]:
            p += len(t) + 1
            flags.append(p in inside)
        out.append(flags)
        del pos
    return out


def main() -> None:
    sents = sentences()
    comps = [
        c
        for c in (ROOT / "assets/compounds.txt").read_text("utf-8").splitlines()
        if c and not c.startswith("#")
    ]
    print(f"{len(sents)} sentences\n")
    rows = []
    for name, fn, loader in [
        ("underthesea (CRF core)", boundaries_underthesea, "newsvoice.text.wordseg"),
        ("pyvi", boundaries_pyvi, "pyvi.ViTokenizer"),
    ]:
        t0 = time.perf_counter()
        __import__(loader)
        fn(sents[:1])
        load = time.perf_counter() - t0
        t0 = time.perf_counter()
        flags = fn(sents * 5)
        rate = 5 * len(sents) / (time.perf_counter() - t0)
        kept = seen = 0
        for s, fl in zip(sents, flags, strict=False):
            toks = s.lower().split()
            for c in comps:
                syl = c.split()
                for i in range(len(toks) - len(syl) + 1):
                    if [t.strip(",.;:“”()") for t in toks[i : i + len(syl)]] == syl and all(
                        t == t.strip(",.;:“”()") for t in toks[i : i + len(syl) - 1]
                    ):
                        seen += 1
                        kept += all(fl[i + k] for k in range(len(syl) - 1))
        rows.append((name, load, rate, kept, seen, flags[: len(sents)]))
    a, b = rows[0][5], rows[1][5]
    diff = sum(x != y for fa, fb in zip(a, b, strict=False) for x, y in zip(fa, fb, strict=False))
    total = sum(len(f) for f in a)
    print("| segmenter | load s | sentences/s | hand-listed compounds kept whole |")
    print("|---|---:|---:|---:|")
    for name, load, rate, kept, seen, _ in rows:
        print(
            f"| {name} | {load:.2f} | {rate:,.0f} | {kept}/{seen} ({100 * kept / max(1, seen):.1f}%) |"
        )
    print(f"\nboundaries where they disagree: {diff}/{total} ({100 * diff / max(1, total):.1f}%)")


if __name__ == "__main__":
    main()
