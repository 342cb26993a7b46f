"""Checks for the Vietnamese lexicon data in assets/ and the example articles in examples/.

The data files are TSV, ``written<TAB>spoken``, with ``#`` comment lines. The checks here
are the contract the normaliser relies on: UTF-8 NFC, exactly one tab per entry, no
duplicate written forms, and spoken forms that are plain Vietnamese syllables (no digits,
no abbreviations, no stray punctuation). The validators are tested on bad input too, so
a broken check shows up as a failure rather than silently passing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "assets"
EXAMPLES = ROOT / "examples"
LEXICON = ASSETS / "lexicon.tsv"
FOREIGN = ASSETS / "foreign.tsv"
LETTERS = ASSETS / "letters.tsv"
ACRONYMS = ASSETS / "acronyms.tsv"
DATA_FILES = (LEXICON, FOREIGN, LETTERS, ACRONYMS)
EXAMPLE_FILES = ("bao-lu-mien-trung.txt", "ky-thi-tot-nghiep-thpt.txt", "kinh-te-quy-3.txt")

# --- Vietnamese spelling -------------------------------------------------------------------

# Tone marks (huyền, sắc, ngã, hỏi, nặng) and the vowel marks (circumflex, breve, horn), as
# combining characters after NFD.
TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
VOWEL_MARKS = {"\u0302", "\u0306", "\u031b"}
# Base letters of the Vietnamese alphabet (no f, j, w, z). đ does not decompose under NFD.
BASE_LETTERS = set("abcdeghiklmnopqrstuvxy") | {"đ"}
# Besides letters, a spoken form may contain single spaces between words and nothing else.
ALLOWED_EXTRA = {" "}

_ONSET = r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?"
_SYLLABLE = re.compile(rf"^{_ONSET}[aăâeêioôơuưy]{{1,3}}(?:ch|ng|nh|[cmnpt])?$")
# Tone placement: newsroom style puts the mark on the first vowel of a final oa/oe/uy
# (hòa, khỏe, ủy), not on the second (hoà, khoẻ, uỷ). "quý" is fine: qu is the onset.
_OLD_TONE_PLACEMENT = re.compile(r"(?<!q)(?:o[àáảãạ]|o[èéẻẽẹ]|u[ỳýỷỹỵ])(?!\w)")

# Words a spoken form may capitalise: proper names and the unique bodies, offices and
# honorary titles Vietnamese spelling capitalises. Anything else must be lower case.
# fmt: off
PROPER_WORDS = frozenset([
    "An", "Anh", "Ban", "Bà", "Bí", "Bảo", "Bầu", "Bộ", "Chí", "Chính", "Chấp", "Chủ", "Công",
    "Cộng", "Cửu", "Dân", "Giáo", "Hoa", "Huế", "Hà", "Hình", "Hồ", "Hồng", "Hội", "Kiểm", "Lao",
    "Liên", "Long", "Lực", "Minh", "Mặt", "Mẹ", "Mỹ", "Nam", "Nghệ", "Ngân", "Nhà", "Nhân", "Nhật",
    "Nội", "Phó", "Phụ", "Quân", "Quốc", "Rịa", "Thanh", "Thiên", "Thành", "Thông", "Thường",
    "Thầy", "Thủ", "Thừa", "Trung", "Tuyên", "Tàu", "Tân", "Tòa", "Tố", "Tổ", "Tổng", "Viện",
    "Việt", "Văn", "Vũng", "Y", "Á", "Đoàn", "Đào", "Đông", "Đại", "Đảng", "Ưu", "Ủy",
])
# fmt: on


def _tones(word: str) -> list[str]:
    return [c for c in unicodedata.normalize("NFD", word) if c in TONE_MARKS]


def _toneless(word: str) -> str:
    nfd = unicodedata.normalize("NFD", word.lower())
    return unicodedata.normalize("NFC", "".join(c for c in nfd if c not in TONE_MARKS))


def word_problems(word: str) -> list[str]:
    """What is wrong with one word of a spoken form (empty list: nothing)."""
    problems = []
    if any(c.isupper() for c in word[1:]):
        problems.append(f"{word!r}: capitals after the first letter (an abbreviation?)")
    for ch in unicodedata.normalize("NFD", word.lower()):
        if ch not in BASE_LETTERS and ch not in TONE_MARKS and ch not in VOWEL_MARKS:
            problems.append(f"{word!r}: {ch!r} is not a Vietnamese letter")
            return problems
    if len(_tones(word)) > 1:
        problems.append(f"{word!r}: more than one tone mark")
    bare = _toneless(word)
    if not _SYLLABLE.match(bare):
        problems.append(f"{word!r}: not a Vietnamese syllable")
        return problems
    if re.search(r"(?:ch|[cpt])$", bare) and not set(_tones(word)) & {"\u0301", "\u0323"}:
        problems.append(f"{word!r}: a syllable ending in c, ch, p or t takes sắc or nặng")
    if re.match(r"c[eêiy]", bare) or re.match(r"k(?!h)[^eêiy]", bare):
        problems.append(f"{word!r}: c/k spelling (k before e, ê, i, y; c elsewhere)")
    if re.match(r"n?g(?![hi])[eêi]", bare) or re.match(r"n?gh[^eêi]", bare):
        problems.append(f"{word!r}: g/gh spelling (gh before e, ê, i; g elsewhere)")
    if _OLD_TONE_PLACEMENT.search(word.lower()):
        problems.append(f"{word!r}: tone mark placement (write hòa, ủy, khỏe)")
    return problems


def spoken_problems(spoken: str, *, proper_words: frozenset[str] = PROPER_WORDS) -> list[str]:
    """What is wrong with a spoken form (empty list: nothing)."""
    if not spoken:
        return ["empty spoken form"]
    if unicodedata.normalize("NFC", spoken) != spoken:
        return [f"{spoken!r}: not NFC"]
    problems = []
    if any(unicodedata.category(c) == "Nd" for c in spoken):
        problems.append(f"{spoken!r}: contains a digit")
    if spoken != spoken.strip() or "  " in spoken:
        problems.append(f"{spoken!r}: spaces at the edges or doubled")
    odd = {c for c in spoken if not c.isalpha() and c not in ALLOWED_EXTRA}
    if odd:
        problems.append(f"{spoken!r}: characters outside letters and space: {sorted(odd)}")
        return problems
    for word in spoken.split():
        problems.extend(word_problems(word))
        if word[0].isupper() and word not in proper_words:
            problems.append(f"{word!r}: capitalised but not a known proper-name word")
    return problems


# --- TSV parsing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    line: int
    written: str
    spoken: str


def parse_tsv(text: str) -> list[Entry]:
    """Parse lexicon TSV text strictly; raise ValueError naming the first bad line."""
    if text.startswith("\ufeff"):
        raise ValueError("byte order mark at the start of the file")
    if "\r" in text:
        raise ValueError("carriage return in file (use LF line ends)")
    if text and not text.endswith("\n"):
        raise ValueError("file does not end with a newline")
    entries = []
    for n, line in enumerate(text.split("\n")[:-1] if text else [], start=1):
        if line.startswith("#"):
            continue
        if not line.strip():
            raise ValueError(f"line {n}: blank line (use a # comment line instead)")
        fields = line.split("\t")
        if len(fields) != 2:
            raise ValueError(f"line {n}: expected written<TAB>spoken, got {len(fields)} fields")
        written, spoken = fields
        for name, value in (("written", written), ("spoken", spoken)):
            if not value:
                raise ValueError(f"line {n}: empty {name} form")
            if value != value.strip() or "  " in value or "\u00a0" in value:
                raise ValueError(f"line {n}: stray whitespace in {name} form {value!r}")
        entries.append(Entry(n, written, spoken))
    return entries


def load(path: Path) -> list[Entry]:
    return parse_tsv(path.read_bytes().decode("utf-8"))


def duplicates(entries: list[Entry]) -> list[str]:
    seen: dict[str, int] = {}
    dups = []
    for e in entries:
        if e.written in seen:
            dups.append(f"{e.written!r} on lines {seen[e.written]} and {e.line}")
        seen.setdefault(e.written, e.line)
    return dups


# --- the validators themselves catch bad data ----------------------------------------------


@pytest.mark.parametrize(
    "spoken",
    [
        "ủy ban nhân dân",
        "thành phố Hồ Chí Minh",
        "cô vít mười chín",
        "vê kép tê ô",
        "Mặt trận Tổ quốc Việt Nam",
        "giáo dục và đào tạo",
        "nghị quyết",
        "khuya",
        "quý",
    ],
)
def test_validator_accepts_good_spoken(spoken):
    assert spoken_problems(spoken) == []


@pytest.mark.parametrize(
    "spoken",
    [
        "",
        "UBND",  # an abbreviation left in
        "ủy ban ND",
        "số 1",  # a digit
        "số ١",  # a non-ASCII digit
        "hoà bình",  # tone placement
        "thuỷ lợi",
        "u nét xcô",  # not a syllable
        "bờ rích ",  # trailing space
        "ủy  ban",  # double space
        "phan hâm mộ fan",  # f is not in the Vietnamese alphabet
        "kinh tế - xã hội",  # punctuation
        "ket",  # stop coda without sắc/nặng
        "ci nê",  # c before i
        "kô",  # k before ô
        "gê",  # g before ê
        "cảnh sát Giao thông",  # capitalised common noun
        unicodedata.normalize("NFD", "ủy ban"),  # not NFC
    ],
)
def test_validator_rejects_bad_spoken(spoken):
    assert spoken_problems(spoken) != []


@pytest.mark.parametrize(
    "text",
    [
        "UBND\tủy ban nhân dân\tthừa\n",
        "UBND ủy ban nhân dân\n",
        "\tủy ban nhân dân\n",
        "UBND\t\n",
        "UBND \tủy ban nhân dân\n",
        "UBND\tủy ban nhân dân\n\nHĐND\thội đồng nhân dân\n",
        "UBND\tủy ban nhân dân\r\n",
        "\ufeffUBND\tủy ban nhân dân\n",
        "UBND\tủy ban nhân dân",
    ],
)
def test_parser_rejects_bad_tsv(text):
    with pytest.raises(ValueError):
        parse_tsv(text)


def test_parser_and_duplicate_check_on_good_and_bad_tsv():
    entries = parse_tsv("# nhóm\nUBND\tủy ban nhân dân\nHĐND\thội đồng nhân dân\n")
    assert [(e.line, e.written, e.spoken) for e in entries] == [
        (2, "UBND", "ủy ban nhân dân"),
        (3, "HĐND", "hội đồng nhân dân"),
    ]
    assert duplicates(entries) == []
    dup = parse_tsv("UBND\tủy ban nhân dân\nUBND\tủy ban\n")
    assert duplicates(dup) == ["'UBND' on lines 1 and 2"]


# --- the data files ------------------------------------------------------------------------


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_file_is_utf8_nfc_and_parses(path):
    text = path.read_bytes().decode("utf-8")
    assert unicodedata.normalize("NFC", text) == text, f"{path.name} is not NFC"
    # Icelandic Eth (Ð/ð) looks like Đ/đ but is a different letter.
    assert "\u00d0" not in text and "\u00f0" not in text, f"{path.name} uses Ð/ð instead of Đ/đ"
    assert parse_tsv(text)


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_no_duplicate_written_forms(path):
    assert duplicates(load(path)) == []


def test_lexicon_and_foreign_do_not_overlap():
    lexicon = {e.written for e in load(LEXICON)}
    foreign = {e.written for e in load(FOREIGN)}
    acronyms = {e.written for e in load(ACRONYMS)}
    assert lexicon & foreign == set()
    assert acronyms & (lexicon | foreign) == set()


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_spoken_forms_are_plain_vietnamese(path):
    problems = [
        f"line {e.line} {e.written!r}: {p}" for e in load(path) for p in spoken_problems(e.spoken)
    ]
    assert problems == []


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.name)
def test_no_spoken_form_is_left_unexpanded(path):
    same = [e.written for e in load(path) if e.written == e.spoken]
    assert same == []


def test_entry_counts():
    assert len(load(LEXICON)) >= 300
    assert len(load(FOREIGN)) >= 80
    assert len(load(LETTERS)) == 27


def test_letters_cover_the_alphabet_and_d_stroke():
    letters = {e.written for e in load(LETTERS)}
    assert letters == set("ABCDEFGHIJKLMNOPQRSTUVWXYZ") | {"Đ"}


def test_letter_names_are_lower_case():
    assert [e.written for e in load(LETTERS) if e.spoken != e.spoken.lower()] == []


REQUIRED_LEXICON = {
    "HĐND": "hội đồng nhân dân",
    "UBND": "ủy ban nhân dân",
    "MTTQ": "Mặt trận Tổ quốc",
    "BCH": "ban chấp hành",
    "BTV": "ban thường vụ",
    "ĐBQH": "đại biểu Quốc hội",
    "THPT": "trung học phổ thông",
    "THCS": "trung học cơ sở",
    "CSGT": "cảnh sát giao thông",
    "BHXH": "bảo hiểm xã hội",
    "GD&ĐT": "giáo dục và đào tạo",
    "GS.TS": "giáo sư tiến sĩ",
    "PGS.TS.": "phó giáo sư tiến sĩ",
    "TP.HCM": "thành phố Hồ Chí Minh",
    "TP.": "thành phố",
    "TS.": "tiến sĩ",
    "ThS.": "thạc sĩ",
    "CLB": "câu lạc bộ",
    "v.v.": "vân vân",
}

REQUIRED_FOREIGN = {
    "GDP": "gờ đê pê",
    "FDI": "ép đê i",
    "ODA": "ô đê a",
    "CPI": "xê pê i",
    "ASEAN": "a xê an",
    "USD": "đô la Mỹ",
    "Covid-19": "cô vít mười chín",
}


@pytest.mark.parametrize(
    ("path", "required"),
    [(LEXICON, REQUIRED_LEXICON), (FOREIGN, REQUIRED_FOREIGN)],
    ids=["lexicon", "foreign"],
)
def test_key_entries_present(path, required):
    table = {e.written: e.spoken for e in load(path)}
    wrong = {k: table.get(k) for k, v in required.items() if table.get(k) != v}
    assert wrong == {}


# --- the example articles ------------------------------------------------------------------


def _body_sentences(paragraphs: list[str]) -> list[str]:
    text = " ".join(paragraphs)
    return [s for s in re.split(r"(?<=[.!?…])[”\"]?\s+", text) if s]


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_example_article_shape(name):
    text = (EXAMPLES / name).read_bytes().decode("utf-8")
    assert unicodedata.normalize("NFC", text) == text
    assert "\r" not in text and "\t" not in text
    lines = text.rstrip("\n").split("\n")
    headline = lines[0]
    assert headline.strip() == headline and headline
    assert lines[1] == "", "the headline is followed by one blank line"
    paragraphs = "\n".join(lines[2:]).split("\n\n")
    assert 3 <= len(paragraphs) <= 5
    assert all(p and "\n" not in p and p == p.strip() for p in paragraphs)
    assert 250 <= len(text.split()) <= 450


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_example_has_a_long_sentence_with_commas_only(name):
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    paragraphs = text.rstrip("\n").split("\n\n")[1:]
    sentences = _body_sentences(paragraphs)
    long_ones = []
    for s in sentences:
        # Punctuation inside a token (2.300, 6,85, PCTT&TKCN) is not sentence punctuation.
        inner = re.sub(r"(?<=\w)[^\w\s](?=\w)", "", s.rstrip("."))
        punct = {c for c in inner if unicodedata.category(c).startswith("P")}
        if len(s.split()) >= 60 and punct <= {","}:
            long_ones.append(s)
    assert long_ones, f"{name}: no sentence of 60+ words punctuated with commas only"


def _acronyms(text: str) -> set[str]:
    found = set()
    for token in text.split():
        token = token.strip('.,:;()“”"')
        if re.search(r"[\d/]", token) or re.fullmatch(r"[IVXLCDM]+", token):
            continue  # numbers, dates and document codes; Roman numerals
        if sum(c.isupper() for c in token) >= 2:
            found.add(token)
    return found


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_example_abbreviations_are_in_the_data(name):
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    known = {e.written for e in load(LEXICON)} | {e.written for e in load(FOREIGN)}
    acronyms = _acronyms(text)
    assert acronyms, f"{name} uses no abbreviations"
    assert acronyms - known == set()


def test_example_readme_lists_every_example():
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    assert [n for n in EXAMPLE_FILES if f"`{n}`" not in readme] == []
    assert sorted(p.name for p in EXAMPLES.glob("*.txt")) == sorted(EXAMPLE_FILES)
