"""Fresh-article loop: reading errors and producer flags per 100 narrated sentences.

    python bench/fresh.py [--set tune|measure|measure2..measure10|all] [--show] [--draft]

Each article ``bench/fresh/<set>/NAME.txt`` has a proof-read truth ``NAME.truth``: the
sentences a newsreader says, spoken form, one per line, in order (no junk lines). The
script reads the article exactly as the renderer does (article -> sentences -> spoken
text), lines the output up with the truth, and counts errors:

- a narrated sentence that is not in the truth (junk read on air) is one error;
- a truth sentence that is missing (body text dropped) is one error;
- inside a matched sentence, each word-level difference (a replace/insert/delete run)
  is one error.

An error is *flagged* when a producer flag (``Normalizer.normalize_with_findings``, or a
weak line decision of the article reader) points at its sentence and its reading shares a
word with the differing output words (or the flag is on the junk line itself).
``--draft`` writes the current output as ``NAME.draft`` next to each article (to proof-read
into a truth file, never to copy blindly). ``tune`` is tuned on; ``measure`` partly,
every later set after its first run (see bench/README.md); the newest set never is.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from dataclasses import dataclass, field
from pathlib import Path

from newsvoice.findings import Finding
from newsvoice.text.article import line_findings, parse_article
from newsvoice.text.normalize import Normalizer
from newsvoice.text.sentences import split_sentences

HERE = Path(__file__).parent / "fresh"


@dataclass
class Result:
    name: str
    sentences: int = 0
    errors: list[str] = field(default_factory=list)
    flagged_errors: int = 0
    flags: list[Finding] = field(default_factory=list)


def narrate(path: Path, norm: Normalizer) -> tuple[list[str], list[list[Finding]]]:
    """The spoken sentences of an article and the flags of each (renderer's reading)."""
    from newsvoice.text.plan import spoken_findings

    art = parse_article(path.read_bytes(), source=str(path))
    paras = ([art.headline] if art.headline else []) + list(art.paragraphs)
    spoken: list[str] = []
    flags: list[list[Finding]] = []
    for para in paras:
        for sent in split_sentences(para):
            text, found = spoken_findings(sent, norm)
            spoken.append(text)
            flags.append(found)
    line_flags = line_findings(art)
    return spoken, flags + [line_flags]


_PUNCT = '.,;:!?()"“”-–—'  # a lone dash is a pause, not a word


def _words(s: str) -> list[str]:
    return [w.strip(_PUNCT).lower() for w in s.split() if w.strip(_PUNCT)]


def score(path: Path, norm: Normalizer) -> Result:
    truth = [t for t in path.with_suffix(".truth").read_text("utf-8").splitlines() if t.strip()]
    out, flags = narrate(path, norm)
    line_flags = flags.pop()  # article-level (weak line decisions)
    res = Result(path.stem, sentences=len(truth))
    from newsvoice.text.plan import first_of_each

    res.flags = first_of_each(
        [f for fl in flags for f in fl] + line_flags
    )  # as the plan keeps them
    line_flag_text = " ".join((f.token or "") for f in line_flags).lower()
    sm = difflib.SequenceMatcher(
        a=[_key(t) for t in truth], b=[_key(o) for o in out], autojunk=False
    )
    for op, a0, a1, b0, b1 in sm.get_opcodes():
        if op == "equal":
            continue
        pairs = list(zip(range(a0, a1), range(b0, b1), strict=False))
        for i, j in pairs:  # replaced sentences: compare word by word
            _compare(truth[i], out[j], flags[j], res)
        for i in range(a0 + len(pairs), a1):
            res.errors.append(f"missing: {truth[i]}")
        for j in range(b0 + len(pairs), b1):
            res.errors.append(f"junk read: {out[j]}")
            if flags[j] or _key(out[j])[:20] in _key(line_flag_text):
                res.flagged_errors += 1
    return res


def _key(s: str) -> str:
    return " ".join(_words(s))


def _compare(truth: str, out: str, flags: list[Finding], res: Result) -> None:
    a, b = _words(truth), _words(out)
    flagged_words = {w for f in flags for w in _words(f.reading or "")} | {
        w for f in flags for w in _words(f.token or "")
    }
    for op, a0, a1, b0, b1 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            continue
        said = b[b0:b1]
        res.errors.append(f"{' '.join(a[a0:a1]) or '∅'} -> {' '.join(said) or '∅'}   [{out[:60]}…]")
        if flagged_words & set(said or b[max(0, b0 - 1) : b0 + 1]):
            res.flagged_errors += 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sets_here = sorted(d.name for d in HERE.iterdir() if d.is_dir())
    ap.add_argument("--set", default="measure", choices=[*sets_here, "all"])
    ap.add_argument("--show", action="store_true", help="print every error and flag")
    ap.add_argument("--draft", action="store_true", help="write NAME.draft files to proof-read")
    args = ap.parse_args()
    norm = Normalizer()
    sets = sets_here if args.set == "all" else [args.set]
    files = sorted(p for s in sets for p in (HERE / s).glob("*.txt"))
    if args.draft:
        for p in files:
            out, _ = narrate(p, norm)
            p.with_suffix(".draft").write_text("\n".join(out) + "\n", "utf-8")
        print(f"wrote {len(files)} drafts")
        return 0
    results = [score(p, norm) for p in files if p.with_suffix(".truth").exists()]
    n = sum(r.sentences for r in results)
    errors = sum(len(r.errors) for r in results)
    flagged = sum(r.flagged_errors for r in results)
    flags = sum(len(r.flags) for r in results)
    for r in results:
        if args.show and (r.errors or r.flags):
            print(f"== {r.name}: {len(r.errors)} errors, {len(r.flags)} flags")
            for e in r.errors:
                print("   ERR", e)
            for f in r.flags:
                print(f"   FLAG {f.rule}: {f.token!r} -> {f.reading!r}")
    per = 100.0 / max(n, 1)
    print(f"set {args.set}: {len(results)} articles, {n} sentences")
    print(f"errors: {errors} ({errors * per:.1f} per 100 sentences)")
    print(f"flags: {flags} ({flags * per:.1f} per 100 sentences)")
    print(f"errors flagged: {flagged}/{errors} ({100.0 * flagged / max(errors, 1):.0f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
