"""Words glued together by scraping, split back into Vietnamese syllables (spoken side).

This runs in the normaliser, so the narration says "sung ủy" while the subtitles keep the
article's own written text (subtitles must stay a word-for-word subsequence of the article
for ../shared/eval/check_subs.py).

Web pages lose spaces at tag boundaries: "bổ sungủy ban", "lãnh đạo của cơ quan hànhĐảng".
A token that is not itself a syllable is split into valid syllables (onset + rhyme + tone,
the inventory is data: assets/syllables.toml) when that is safe:

- a real syllable is never split ("Nguyễn", "nghiêng", "khuyến" stay whole);
- the token must carry Vietnamese marks, so English words and brands are left alone;
- every piece must be a syllable seen in our word lists (assets/), or the split must fall at
  a lower→Upper change ("hànhĐảng"), which is a strong sign of a lost space;
- the best split must be the only best one (an ambiguous token is left as written).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from newsvoice.inputs.encoding import is_vietnamese_syllable
from newsvoice.text.normalize.syllables import strip_marks

_TONES = {"\u0300": "huyền", "\u0301": "sắc", "\u0303": "ngã", "\u0309": "hỏi", "\u0323": "nặng"}
_TOKEN = re.compile(r"[^\W\d_]{4,}")
_VIET_MARKS = re.compile(
    "[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]", re.I
)
MAX_PIECES = 4
# One syllable has one run of vowels; a token with two runs may be glued (cheap pre-check).
_V = "aăâeêioôơuưyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
_TWO_VOWEL_RUNS = re.compile(f"[{_V}][^{_V}]+[{_V}]", re.I)


@dataclass(frozen=True)
class Inventory:
    """The syllable inventory (assets/syllables.toml) and the syllables we have seen."""

    onsets: tuple[str, ...]
    rhymes: frozenset[str]
    front_only: frozenset[str]
    never_front: frozenset[str]
    front_vowels: frozenset[str]
    stop_codas: tuple[str, ...]
    attested: frozenset[str]

    def is_syllable(self, word: str) -> bool:
        """Strict check: one tone at most, a listed onset and rhyme, spelling rules kept."""
        nfd = unicodedata.normalize("NFD", word.lower())
        tones = [c for c in nfd if c in _TONES]
        if len(tones) > 1:
            return False
        base = unicodedata.normalize("NFC", "".join(c for c in nfd if c not in _TONES))
        for onset in self.onsets:
            if not base.startswith(onset):
                continue
            rhyme = base[len(onset) :]
            if onset == "gi" and rhyme[:1] == "i":
                continue  # written "gi" + "in", never "giin"
            if onset == "g" and rhyme[:1] == "i":
                pass  # the gi- spelling: "gì", "gìn"
            elif rhyme and not self._spelling_ok(onset, rhyme):
                continue
            if rhyme in self.rhymes and self._tone_ok(rhyme, tones):
                return True
        return False

    def _spelling_ok(self, onset: str, rhyme: str) -> bool:
        front = rhyme[0] in self.front_vowels
        if onset in self.front_only and not front:
            return False
        if onset == "qu":
            return not rhyme.startswith(("u", "o"))
        return not (onset in self.never_front and front)

    def _tone_ok(self, rhyme: str, tones: list[str]) -> bool:
        if rhyme.endswith(self.stop_codas):
            return not tones or _TONES[tones[0]] in ("sắc", "nặng")
        return True


@lru_cache(maxsize=1)
def default_inventory() -> Inventory:
    assets = resources.files("newsvoice.assets")
    data = tomllib.loads(assets.joinpath("syllables.toml").read_text("utf-8"))
    seen: set[str] = set()
    for name in (
        "compounds.txt",
        "lexicon.tsv",
        "contexts.tsv",
        "sentences_starters.tsv",
        "number_words.tsv",
        "units.tsv",
        "article_rules.toml",
    ):
        path = assets.joinpath(name)
        if path.is_file():
            text = unicodedata.normalize("NFC", path.read_text("utf-8")).lower()
            seen.update(re.findall(r"[^\W\d_]+", text))
    return Inventory(
        onsets=tuple(sorted(data["onsets"], key=len, reverse=True)),
        rhymes=frozenset(data["rhymes"]),
        front_only=frozenset(data["front_only"]),
        never_front=frozenset(data["never_front"]),
        front_vowels=frozenset(data["front_vowels"]),
        stop_codas=tuple(data["stop_codas"]),
        attested=frozenset(seen),
    )


@lru_cache(maxsize=1)
def plain_syllables() -> frozenset[str]:
    """The attested syllables with tone and vowel marks stripped ("liên" -> "lien"): how an
    address writes them, so its labels are cut into syllables we know ("lienhoan")."""
    assets = resources.files("newsvoice.assets")
    seen: set[str] = set()
    for name, col in _PLAIN_SOURCES:  # Vietnamese word lists only (no rule files, code words)
        text = unicodedata.normalize("NFC", assets.joinpath(name).read_text("utf-8")).lower()
        lines = [ln.split("\t")[col] for ln in text.splitlines() if not ln.startswith("#")]
        seen.update(re.findall(r"[^\W\d_]+", " ".join(lines)))
    return frozenset(strip_marks(w) for w in seen)


# Vietnamese word lists and the column that holds the Vietnamese words.
_PLAIN_SOURCES = (
    ("compounds.txt", 0),
    ("lexicon.tsv", -1),
    ("contexts.tsv", 0),
    ("number_words.tsv", -1),
)


def split_glued(word: str, inv: Inventory | None = None) -> list[str]:
    """The syllables of a glued token, or [word] when it should be left as written."""
    inv = inv or default_inventory()
    if (
        len(word) < 4
        or is_vietnamese_syllable(word)
        or word.isupper()
        or not _VIET_MARKS.search(word)
    ):
        return [word]
    best: list[tuple[tuple[int, int, int], list[str]]] = []
    for pieces in _segmentations(word, inv, MAX_PIECES):
        if any(p[1:] != p[1:].lower() for p in pieces):
            continue  # a capital inside a piece: not a Vietnamese word
        case_cuts = sum(1 for p in pieces[1:] if p[0].isupper())
        seen = sum(1 for p in pieces if p.lower() in inv.attested)
        # fewest pieces never seen, then fewest pieces: a lone attested "i" must not make
        # "ngư ờ i dân" beat "người dân"
        best.append(((case_cuts, seen - len(pieces), -len(pieces)), pieces))
    if not best:
        return [word]
    best.sort(key=lambda item: item[0], reverse=True)
    (score, pieces) = best[0]
    if len(best) > 1 and best[1][0] == score:
        return [word]  # two equally good splits: do not guess
    case_cuts, unseen, _ = score
    if unseen < 0 and case_cuts == 0:
        return [word]
    return pieces


def _segmentations(word: str, inv: Inventory, limit: int) -> list[list[str]]:
    """Every way to cut ``word`` into at most ``limit`` valid syllables."""
    if not word:
        return [[]]
    if limit == 0:
        return []
    out: list[list[str]] = []
    for end in range(1, min(len(word), 7) + 1):
        head = word[:end]
        if inv.is_syllable(head):
            out.extend([head, *rest] for rest in _segmentations(word[end:], inv, limit - 1))
    return out


def unglue(text: str, inv: Inventory | None = None) -> str:
    """Put back the spaces scraping lost between syllables in a line of text."""
    inv = inv or default_inventory()

    def fix(m: re.Match[str]) -> str:
        word = m[0]
        return " ".join(split_glued(word, inv)) if _TWO_VOWEL_RUNS.search(word) else word

    return _TOKEN.sub(fix, unicodedata.normalize("NFC", text))
