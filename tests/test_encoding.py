"""Encoding detection: BOMs, UTF-8/16, Windows-1258, VNI, TCVN3, mojibake repair, and
one-line InputErrors for everything that is not text."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsvoice.errors import InputError
from newsvoice.inputs.encoding import (
    _TCVN3_HIGH,
    decode_bytes,
    decode_tcvn3,
    decode_vni,
    is_vietnamese_syllable,
    score_text,
)

TEXT = (
    "Huyện ủy Đại Lộc tổ chức Hội nghị tổng kết công tác xây dựng Đảng năm 2023.\n\n"
    "Sáng ngày 11/01, đồng chí Nguyễn Hữu Vũ, Phó Bí thư Thường trực, chủ trì hội nghị; "
    "kết nạp 120 đảng viên, đạt 109,1%. Những người được khen thưởng “hoàn thành xuất sắc "
    "nhiệm vụ” gồm các xã Đại Nghĩa, Đại Quang và thị trấn Ái Nghĩa.\n"
)
_TONES = "\u0300\u0301\u0303\u0309\u0323"


# --- encoders used only to build legacy bytes --------------------------------------


def to_cp1258(text: str) -> bytes:
    """Windows-1258 bytes: precomposed where the code page has it, else base + tone."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            nfd = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in nfd if c not in _TONES))
            out += (base + "".join(c for c in nfd if c in _TONES)).encode("cp1258")
    return bytes(out)


_VNI_TONE = {"\u0300": "ø", "\u0301": "ù", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}
_VNI_CIRC = {"": "â", "\u0301": "á", "\u0300": "à", "\u0309": "å", "\u0303": "ã", "\u0323": "ä"}
_VNI_BREVE = {"": "ê", "\u0301": "é", "\u0300": "è", "\u0309": "ú", "\u0303": "ü", "\u0323": "ë"}
_VNI_I = {"": "i", "\u0300": "ì", "\u0301": "í", "\u0309": "æ", "\u0303": "ó", "\u0323": "ò"}


def to_vni(text: str) -> bytes:
    """VNI Windows bytes (as shown in cp1252) of NFC Vietnamese text."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch.isascii() or not ch.isalpha():
            out.append(ch)
            continue
        if ch in "đĐ":
            out.append("ñ" if ch == "đ" else "Ñ")
            continue
        nfd = unicodedata.normalize("NFD", ch)
        base, marks = nfd[0], nfd[1:]
        tone = "".join(c for c in marks if c in _TONES)
        shape = "".join(c for c in marks if c not in _TONES)
        up = base.isupper()
        low = base.lower()

        def case(s: str, up: bool = up) -> str:
            return s.upper() if up else s

        if shape == "\u0302":
            piece = low + _VNI_CIRC[tone]
        elif shape == "\u0306":
            piece = low + _VNI_BREVE[tone]
        elif shape == "\u031b":
            piece = {"o": "ô", "u": "ö"}[low] + _VNI_TONE.get(tone, "")
        elif low == "i":
            piece = _VNI_I[tone]
        elif low == "y" and tone == "\u0323":
            piece = "î"
        else:
            piece = low + _VNI_TONE[tone]
        out.append(case(piece))
    return "".join(out).encode("cp1252")


def to_tcvn3(text: str) -> bytes:
    """TCVN3 bytes; capitals with tone marks use the lowercase code, as in .VnTimeH fonts."""
    table = {c: 0xA0 + i for i, c in enumerate(_TCVN3_HIGH) if unicodedata.combining(c) == 0}
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        if ch.isascii() or not ch.isalpha():
            out += ch.encode("cp1252")
        elif ch in table:
            out.append(table[ch])
        else:
            out.append(table[ch.lower()])
    return bytes(out)


def as_cp1252(raw: bytes) -> str:
    """What a Windows program shows for these bytes (undefined ones as Latin-1)."""
    return "".join(
        bytes([b]).decode("cp1252", errors="replace").replace("\ufffd", chr(b)) for b in raw
    )


# --- known byte strings (independent of our tables) --------------------------------


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        ("Vieät Nam", "Việt Nam"),
        ("Xin chaøo caùc baïn", "Xin chào các bạn"),
        ("Ñaïi Loäc", "Đại Lộc"),
        ("ngöôøi ñöôïc", "người được"),
        ("khuyeán khích", "khuyến khích"),
    ],
)
def test_vni_known_strings(shown, expected):
    assert decode_vni(shown.encode("cp1252")) == expected


@pytest.mark.parametrize(
    ("shown", "expected"),
    [
        ("ViÖt Nam", "Việt Nam"),
        ("B¶o Th¾ng", "Bảo Thắng"),
        ("M\xadêng Kh\xad¬ng", "Mường Khương"),
        ("B¸t X¸t", "Bát Xát"),
        ("§¹i Léc", "Đại Lộc"),
    ],
)
def test_tcvn3_known_strings(shown, expected):
    assert decode_tcvn3(shown.encode("latin-1")) == expected


# --- detection ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "label"),
    [
        (TEXT.encode("utf-8"), "UTF-8"),
        (TEXT.encode("utf-8-sig"), "UTF-8 (BOM)"),
        (TEXT.encode("utf-16"), "UTF-16-LE (BOM)"),
        (b"\xfe\xff" + TEXT.encode("utf-16-be"), "UTF-16-BE (BOM)"),
        (TEXT.encode("utf-16-le"), "UTF-16 (no BOM)"),
        (TEXT.encode("utf-16-be"), "UTF-16 (no BOM)"),
        (TEXT.encode("utf-32"), "UTF-32-LE (BOM)"),
        (to_cp1258(TEXT), "Windows-1258"),
        (to_vni(TEXT), "VNI"),
        (to_tcvn3(TEXT.replace("Ái", "Ai")), "TCVN3"),
    ],
)
def test_detects_and_decodes(data, label):
    text, enc = decode_bytes(data)
    expected = TEXT.replace("Ái", "Ai") if label == "TCVN3" else TEXT
    assert enc == label
    assert text == expected


def test_cp1258_bytes_really_use_combining_tones():
    # "ệ" is not in Windows-1258: "ê" + combining dot below; NFC must put it back together
    assert to_cp1258("Việt") == b"Vi\xea\xf2t"
    assert decode_bytes(to_cp1258("Việt Nam, người"))[0] == "Việt Nam, người"


def test_tcvn3_capital_with_tone_reads_as_lowercase_letter():
    assert (
        decode_bytes(to_tcvn3("Ái Nghĩa và Đại Lộc tổ chức hội nghị"))[0]
        == "ái Nghĩa và Đại Lộc tổ chức hội nghị"
    )


@pytest.mark.parametrize("legacy", ["VNI", "TCVN3", "double-encoded UTF-8"])
def test_repairs_legacy_text_already_converted_to_utf8(legacy):
    raw = {
        "VNI": to_vni(TEXT),
        "TCVN3": to_tcvn3(TEXT.replace("Ái", "Ai")),
        "double-encoded UTF-8": TEXT.encode("utf-8"),
    }[legacy]
    mojibake = as_cp1252(raw)
    text, enc = decode_bytes(mojibake.encode("utf-8"))
    assert enc == f"UTF-8 ({legacy} repaired)"
    assert text == (TEXT.replace("Ái", "Ai") if legacy == "TCVN3" else TEXT)


@pytest.mark.parametrize(
    "text", ["Cà phê và bánh mì", "Hội nghị ở Paris, café crème", "Plain ASCII text."]
)
def test_genuine_utf8_is_left_alone(text):
    assert decode_bytes(text.encode("utf-8")) == (text, "UTF-8")


# --- errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"", "is empty"),
        (b" \n\t\r\n ", "is empty"),
        (b"\xef\xbb\xbf \n", "is empty"),
        ("  \n".encode("utf-16"), "is empty"),
        (bytes(range(256)) * 8, "binary file, not text"),
        (b"%PDF-1.7\n%\xe2\xe3\n1 0 obj", "binary file (PDF)"),
        (b"PK\x03\x04\x14\x00\x06\x00", "binary file (ZIP/Office)"),
        (b"abc\x01\x02\x03\x04\x05def\x06\x07\x08", "binary file"),
        (b"\x81\x8d\x8f\x90\x9d" * 50 + b"\xff\xfe\xfa" * 30, "cannot decode input"),
        (b"\xef\xbb\xbfabc \xff\xfe xyz", "byte-order mark"),
    ],
)
def test_input_errors_are_one_line(data, needle):
    with pytest.raises(InputError) as info:
        decode_bytes(data)
    msg = str(info.value)
    assert needle in msg
    assert "\n" not in msg


def test_too_large_has_a_parameter():
    data = ("Tin ngắn. " * 100).encode("utf-8")
    assert decode_bytes(data, max_bytes=len(data))[0].startswith("Tin")
    with pytest.raises(InputError, match="too large"):
        decode_bytes(data, max_bytes=len(data) - 1)


def test_source_name_appears_in_messages():
    with pytest.raises(InputError, match=r"^tin\.txt is empty$"):
        decode_bytes(b"", source="tin.txt")


# --- scorer ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word", ["người", "nghiêng", "quốc", "giữa", "khuya", "Đảng", "oai", "xoong", "tin"]
)
def test_valid_syllables(word):
    assert is_vietnamese_syllable(word)


@pytest.mark.parametrize(
    "word", ["Viờũt", "you", "switch", "desktop", "Vieät", "café", "strength", "ViÖt"]
)
def test_invalid_syllables(word):
    assert not is_vietnamese_syllable(word)


def test_scorer_prefers_the_right_decoding():
    data = to_vni(TEXT)
    right = score_text(decode_vni(data))
    wrong = score_text(data.decode("cp1252"))
    assert right.bad == 0 and wrong.bad > 0
    assert right.value > wrong.value


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_decode_or_input_error(data):
    try:
        text, enc = decode_bytes(data)
    except InputError as e:
        assert "\n" not in str(e)
    else:
        assert isinstance(text, str) and enc
