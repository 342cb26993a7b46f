"""Is a written token a Vietnamese syllable? Decides what an all-caps token is.

An all-caps token that is a pronounceable Vietnamese syllable ("TỔ", "CHI", "NAM") is a word
of a capitalised headline and is left alone; one that is not ("HAGL", "VAR") is an acronym and
is spelled letter by letter. The check is deliberately generous: when in doubt, a token counts
as a word, so real words are never spelled.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_TONE_AND_VOWEL_MARKS = dict.fromkeys(map(ord, "\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b"))
_ONSETS = "ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx]"
_NUCLEI = "uye|uya|uyu|oai|oay|oao|oeo|uoi|uou|ieu|yeu|ia|ie|ua|uo|oa|oe|oo|ue|uy|ye|ai|ao|au|ay|eo|eu|iu|oi|ui|uu|[aeiouy]"
_CODAS = "ch|ng|nh|[cmnpt]"
_SYLLABLE = re.compile(rf"(?:{_ONSETS})?(?:{_NUCLEI})(?:{_CODAS})?")
_DIACRITIC_LETTERS = re.compile(
    "[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]", re.I
)


def strip_marks(word: str) -> str:
    """Lower-case base letters: 'ĐẠI' -> 'đai', 'Ủy' -> 'uy'."""
    return unicodedata.normalize(
        "NFC", unicodedata.normalize("NFD", word.lower()).translate(_TONE_AND_VOWEL_MARKS)
    )


@lru_cache(maxsize=4096)
def is_syllable(word: str) -> bool:
    """True when the token could be one Vietnamese syllable (tone marks ignored)."""
    base = strip_marks(word)
    return base == "gi" or bool(_SYLLABLE.fullmatch(base))


def has_vietnamese_marks(word: str) -> bool:
    """True when the token has a vowel with a Vietnamese diacritic (ă â ê ô ơ ư or a tone)."""
    return bool(_DIACRITIC_LETTERS.search(word))


def is_caps_line(text: str) -> bool:
    """A headline set in capitals: most letters are upper case (then words stay words)."""
    letters = upper = 0
    for ch in text:
        if ch.isalpha():
            letters += 1
            upper += ch.isupper()
    return letters >= 8 and upper >= 0.8 * letters
