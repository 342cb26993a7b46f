"""Bytes -> Unicode for Vietnamese articles: BOMs, UTF-8, UTF-16, Windows-1258 and the
legacy 8-bit font encodings VNI and TCVN3 (ABC).

Why a scorer and not a detector library: the candidates are few and known, and the
deciding signal is Vietnamese itself. Each candidate decoding is scored by how many of
its accented words are well-formed Vietnamese syllables (one tone mark, a real vowel
cluster, a legal onset and coda); mis-decoded text produces symbols, stray Latin-1
letters and two-tone "syllables" and loses.
"""

from __future__ import annotations

import codecs
import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from newsvoice.errors import InputError

log = logging.getLogger("newsvoice")

MAX_BYTES = 2 * 1024 * 1024
"""Default size limit of an article file (2 MB): a news article is a few kB."""

_SCORE_CHARS = 100_000
"""Candidates are compared on this much text: plenty of words, bounded time."""

# ---------------------------------------------------------------------------
# Vietnamese letters and syllables

_TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng
_BASE_VOWELS = "aăâeêioôơuưy"
VIET_LETTERS: frozenset[str] = frozenset(
    unicodedata.normalize("NFC", v + t)
    for base in (_BASE_VOWELS, _BASE_VOWELS.upper())
    for v in base
    for t in ("", *_TONES)
) | frozenset("đĐ")
"""Every precomposed vowel letter (with or without tone) plus đ/Đ."""

VIET_SPECIAL: frozenset[str] = frozenset(c for c in VIET_LETTERS if ord(c) > 127)
"""Letters that only Vietnamese writes (anything but plain ASCII vowels)."""

_NUCLEI = (  # vowel clusters of Vietnamese rhymes (tone marks removed)
    "a",
    "ă",
    "â",
    "e",
    "ê",
    "i",
    "o",
    "ô",
    "ơ",
    "u",
    "ư",
    "y",
    "ai",
    "ao",
    "au",
    "ay",
    "âu",
    "ây",
    "eo",
    "êu",
    "ia",
    "iê",
    "iu",
    "oa",
    "oă",
    "oe",
    "oi",
    "oo",
    "ôi",
    "ơi",
    "ua",
    "uâ",
    "uê",
    "ui",
    "uô",
    "uơ",
    "uy",
    "ưa",
    "ưi",
    "ưu",
    "ươ",
    "yê",
    "iêu",
    "oai",
    "oay",
    "oeo",
    "uây",
    "uôi",
    "uya",
    "uyê",
    "uyu",
    "ươi",
    "ươu",
    "yêu",
)
_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|[bcdđghklmnprstvx])?"
    r"(?:" + "|".join(sorted(_NUCLEI, key=len, reverse=True)) + r")"
    r"(?:ng|nh|ch|[cmnpt])?"
)


def is_vietnamese_syllable(word: str) -> bool:
    """Whether ``word`` (one run of letters) is a well-formed Vietnamese syllable.

    Tones are stripped first and at most one is allowed: mis-decoded legacy text
    often yields two tone marks in one word.
    """
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = sum(1 for c in decomposed if c in _TONES)
    if tones > 1:
        return False
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    return _SYLLABLE.fullmatch(bare) is not None


# ---------------------------------------------------------------------------
# Legacy encodings

# TCVN 5712:1993 (VN3, the "ABC" fonts .VnTime...): bytes 0xA0-0xFF. 0x80-0x9F are
# Windows punctuation in those fonts, so they follow cp1252.
_TCVN3_HIGH = (
    "\u00a0ĂÂÊÔƠƯĐăâêôơưđẰ"
    "\u0300\u0309\u0303\u0301\u0323àảãáạẲằẳẵắẴ"
    "ẮẦẨẪẤỀặầẩẫấậèỂẻẽ"
    "éẹềểễếệìỉỄẾỒĩíịò"
    "Ổỏõóọồổỗốộờởỡớợù"
    "ỖủũúụừửữứựỳỷỹýỵỐ"
)


def _cp1252_lenient(data: bytes) -> str:
    """cp1252, with its five undefined bytes read as Latin-1 (C1 controls)."""
    return "".join(
        ch if ch != "\ufffd" else chr(b)
        for ch, b in zip(data.decode("cp1252", errors="replace"), data, strict=True)
    )


def _cp1252_lenient_encode(text: str) -> bytes | None:
    """Inverse of _cp1252_lenient, or None when a character is not in it."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1252")
        except UnicodeEncodeError:
            if ord(ch) > 0xFF:
                return None
            out.append(ord(ch))
    return bytes(out)


def decode_tcvn3(data: bytes) -> str:
    """TCVN3 (ABC) bytes -> NFC text."""
    low = _cp1252_lenient(data)
    out = [_TCVN3_HIGH[b - 0xA0] if b >= 0xA0 else ch for ch, b in zip(low, data, strict=True)]
    return unicodedata.normalize("NFC", "".join(out))


# VNI Windows: a base letter followed by a mark byte; a few letters are single bytes.
# Keys are the Latin-1 characters the bytes show as; values are combining marks.
_VNI_MARKS_LOWER = {
    "ø": "\u0300",
    "ù": "\u0301",
    "û": "\u0309",
    "õ": "\u0303",
    "ï": "\u0323",
    "â": "\u0302",
    "á": "\u0302\u0301",
    "à": "\u0302\u0300",
    "å": "\u0302\u0309",
    "ã": "\u0302\u0303",
    "ä": "\u0302\u0323",
    "ê": "\u0306",
    "é": "\u0306\u0301",
    "è": "\u0306\u0300",
    "ú": "\u0306\u0309",
    "ü": "\u0306\u0303",
    "ë": "\u0306\u0323",
}
_VNI_MARKS = {**_VNI_MARKS_LOWER, **{k.upper(): v for k, v in _VNI_MARKS_LOWER.items()}}
_VNI_SINGLE_LOWER = {"ô": "ơ", "ö": "ư", "ñ": "đ", "æ": "ỉ", "ó": "ĩ", "ò": "ị", "î": "ỵ"}
_VNI_SINGLE = {**_VNI_SINGLE_LOWER, **{k.upper(): v.upper() for k, v in _VNI_SINGLE_LOWER.items()}}
_VNI_TONE_ONLY = frozenset("øùûõïØÙÛÕÏ")
_VNI_CIRCUMFLEX = frozenset("âáàåãäÂÁÀÅÃÄ")
_VNI_PAIR = re.compile(
    "(?:(?P<a>[aA])(?P<ma>[" + "".join(_VNI_MARKS) + "])"
    "|(?P<eo>[eEoO])(?P<meo>[" + "".join(_VNI_TONE_ONLY | _VNI_CIRCUMFLEX) + "])"
    "|(?P<uy>[uUyYôÔöÖ])(?P<muy>[" + "".join(_VNI_TONE_ONLY) + "]))"
)


def _vni_pair(m: re.Match[str]) -> str:
    base = m.group("a") or m.group("eo") or m.group("uy")
    mark = m.group("ma") or m.group("meo") or m.group("muy")
    return _VNI_SINGLE.get(base, base) + _VNI_MARKS[mark]


def decode_vni(data: bytes) -> str:
    """VNI Windows bytes -> NFC text ("Vieät Nam" -> "Việt Nam")."""
    text = _VNI_PAIR.sub(_vni_pair, _cp1252_lenient(data))
    text = "".join(_VNI_SINGLE.get(c, c) for c in text)
    return unicodedata.normalize("NFC", text)


def decode_cp1258(data: bytes) -> str:
    """Windows-1258 -> NFC (Python's codec yields base letters + combining tones)."""
    return unicodedata.normalize("NFC", data.decode("cp1258"))


# ---------------------------------------------------------------------------
# Scoring


@dataclass(frozen=True)
class Score:
    """How Vietnamese a decoding looks: well-formed accented words (good) against
    malformed ones and stray symbols (bad), out of all words."""

    good: int
    bad: int
    words: int = 0

    @property
    def value(self) -> int:
        return self.good - 2 * self.bad

    @property
    def ratio(self) -> float:
        total = self.good + self.bad
        return self.good / total if total else 1.0

    @property
    def readable(self) -> bool:
        """Few enough bad words and symbols to call it text."""
        return self.bad == 0 or self.ratio >= 0.75 or self.bad * 20 <= self.words


_EDGE_PUNCT = ".,;:!?\"'“”‘’()[]{}<>…-–—«»*•"
_PART_SPLIT = re.compile(r"[-/.]")
_ACRONYM = re.compile(r"[A-ZĐ]+")
_BAD_CATEGORIES = frozenset({"Cc", "Co", "Cn", "Cs", "So", "Sk", "Lm", "Mn"})
_OK_SYMBOLS = frozenset("\t\n\r\f\v°©®™•")


def _part_ok(part: str) -> bool:
    return part.isascii() or (
        part.isalpha() and (is_vietnamese_syllable(part) or bool(_ACRONYM.fullmatch(part)))
    )


def score_text(text: str) -> Score:
    """Score a candidate decoding. A token (between spaces, edge punctuation removed)
    with a non-ASCII character is good when each of its parts (split at - / .) is a
    Vietnamese syllable or an acronym, bad otherwise ("Viá»‡t", "nÆ°á»›c", "Viờũt").
    Plain-ASCII tokens are neutral; control characters and symbols are bad."""
    good = bad = 0
    tokens = text.split()
    for tok in tokens:
        core = tok.strip(_EDGE_PUNCT)
        if core.isascii():
            continue
        if all(_part_ok(p) for p in _PART_SPLIT.split(core)):
            good += 1
        else:
            bad += 1
    for ch in text:
        if ch not in _OK_SYMBOLS and unicodedata.category(ch) in _BAD_CATEGORIES:
            bad += 1
    return Score(good, bad, len(tokens))


# ---------------------------------------------------------------------------
# Detection

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "PDF"),
    (b"PK\x03\x04", "ZIP/Office"),
    (b"\x89PNG", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF8", "GIF"),
    (b"\xd0\xcf\x11\xe0", "MS Office"),
    (b"\x1f\x8b", "gzip"),
    (b"ID3", "MP3"),
    (b"RIFF", "RIFF/WAV"),
    (b"\x7fELF", "executable"),
    (b"{\\rtf", "RTF document"),
)
_CONTROL_BYTES = bytes(sorted(set(range(0x20)) - {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1A}))
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
LEGACY_DECODERS: dict[str, Callable[[bytes], str]] = {
    "Windows-1258": decode_cp1258,
    "VNI": decode_vni,
    "TCVN3": decode_tcvn3,
    "Windows-1252": _cp1252_lenient,
}
"""Candidates for bytes that are not UTF-8, best guess first on ties."""


def _binary_kind(data: bytes) -> str | None:
    """A short name of the binary format if the bytes are not text, else None."""
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    if b"\x00" in data:
        return "data"
    controls = len(data) - len(data.translate(None, _CONTROL_BYTES))
    if controls > max(2, len(data) // 100):
        return "data"
    return None


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text without a BOM: ASCII-range characters put NULs on every other byte."""
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2], data[1::2]
    for zeros, other, codec in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros.count(0) >= 0.3 * len(zeros) and other.count(0) <= 0.02 * len(other):
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                continue
            if not any(unicodedata.category(c) == "Cc" and c not in "\t\n\r\f" for c in text):
                return text
    return None


def _best_legacy(data: bytes) -> tuple[str, str, Score]:
    """Decode with every legacy candidate and keep the most Vietnamese-looking."""
    best: tuple[str, str, Score] | None = None
    for name, decoder in LEGACY_DECODERS.items():
        try:
            text = decoder(data)
        except UnicodeDecodeError:
            continue
        score = score_text(text[:_SCORE_CHARS])
        if best is None or score.value > best[2].value:
            best = (name, text, score)
    assert best is not None  # the lenient cp1252 never fails
    return best


def _repair_mojibake(text: str) -> tuple[str, str] | None:
    """Legacy text that was already (wrongly) converted to Unicode as if it were
    Windows-1252, e.g. VNI "Vieät Nam" or TCVN3 "ViÖt Nam" saved as UTF-8, or
    UTF-8 read as Windows-1252 ("Viá»‡t"). Returns (fixed text, how) if clearly better."""
    if text.isascii():
        return None
    raw = _cp1252_lenient_encode(text)
    if raw is None:
        return None
    base = score_text(text[:_SCORE_CHARS])
    if base.bad == 0:
        return None  # every accented word is already well-formed Vietnamese
    candidates = [
        ("VNI", decode_vni),
        ("TCVN3", decode_tcvn3),
        ("double-encoded UTF-8", lambda b: b.decode("utf-8")),
    ]
    best: tuple[str, str] | None = None
    best_value = base.value
    for name, decoder in candidates:
        try:
            fixed = decoder(raw)
        except UnicodeDecodeError:
            continue
        score = score_text(fixed[:_SCORE_CHARS])
        if score.good >= 2 and score.value > best_value + 1 and score.ratio > base.ratio:
            best, best_value = (unicodedata.normalize("NFC", fixed), name), score.value
    return best


def decode_bytes(
    data: bytes, *, source: str = "input", max_bytes: int = MAX_BYTES
) -> tuple[str, str]:
    """Decode article bytes; return (text, encoding name). Raise InputError (one line)
    for too-large, empty, binary or undecodable input."""
    if len(data) > max_bytes:
        raise InputError(f"{source} is too large: {len(data):,} bytes (limit {max_bytes:,})")
    for bom, codec in _BOMS:
        if data.startswith(bom):
            body = data[len(bom) :]
            if not body.strip(b"\x00 \t\r\n"):
                raise InputError(f"{source} is empty")
            try:
                return data[len(bom) :].decode(codec), codec.upper() + " (BOM)"
            except UnicodeDecodeError as e:
                raise InputError(
                    f"cannot decode {source}: it starts with a {codec.upper()} byte-order "
                    f"mark but byte {e.start + len(bom)} is invalid"
                ) from None
    if not data.strip():
        raise InputError(f"{source} is empty")
    if b"\x00" in data:
        text16 = _utf16_without_bom(data)
        if text16 is not None:
            return text16, "UTF-16 (no BOM)"
    kind = _binary_kind(data)
    if kind is not None:
        what = "binary file" if kind == "data" else f"binary file ({kind})"
        raise InputError(f"{source} looks like a {what}, not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        fixed = _repair_mojibake(text)
        if fixed is not None:
            log.info(
                "%s: text was legacy %s shown as Windows-1252; converted to Unicode",
                source,
                fixed[1],
            )
            return fixed[0], f"UTF-8 ({fixed[1]} repaired)"
        return text, "UTF-8"
    name, text, score = _best_legacy(data)
    if not score.readable:
        raise InputError(
            f"cannot decode {source}: not UTF-8, UTF-16, Windows-1258, VNI or TCVN3 "
            f"Vietnamese text ({score.bad} unreadable words/characters)"
        )
    log.info("%s: decoded as %s", source, name)
    return text, name
