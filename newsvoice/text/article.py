"""Article reading: bytes on disk -> clean, NFC paragraphs a newsreader would read.

CONTRACT (owned by the text front-end; the renderer and CLI rely on it):

    read_article(path: Path, *, keep_all: bool = False) -> Article
    parse_article(data: bytes, *, keep_all: bool = False) -> Article

raise newsvoice.errors.InputError with a one-line message for empty, binary,
undecodable, too-large input or an article with nothing to narrate.

Pipeline: decode (newsvoice.inputs.encoding) -> clean characters -> lines (with their
indentation) -> drop what is not read aloud, each with a reason -> headline + body
paragraphs. The drop rules' word lists are data in assets/article_rules.toml.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from newsvoice.errors import InputError
from newsvoice.findings import CHECK, Finding
from newsvoice.inputs.encoding import MAX_BYTES, VIET_SPECIAL, decode_bytes, is_vietnamese_syllable
from newsvoice.inputs.files import read_bytes
from newsvoice.inputs.sources import DroppedLine, Source
from newsvoice.text.normalize.flags import WEAK_LINE
from newsvoice.text.sentences import repair_glued


@dataclass(frozen=True)
class Article:
    """The narratable content of one article: headline plus body paragraphs (NFC)."""

    headline: str | None
    paragraphs: list[str]
    dropped: list[DroppedLine] = field(default_factory=list)


# ---------------------------------------------------------------------------
# Reasons (shown by `newsvoice sentences --show-dropped`)

OUTLET = "outlet header"
OUTLET_TAG = "outlet tag"
DATETIME = "date/time"
CAPTION = "photo caption"
SOURCE = "source credit"
BYLINE = "byline"
WEB_UI = "web UI"
NO_LETTERS = "no letters"
NAVIGATION = "navigation"
END_MARK = "end mark"
RELATED = "related links"
FOOTER = "footer"
WIDGET = "page widget"
COMMENTS = "reader comments"
AFTER_BODY = "after the last paragraph"

# ---------------------------------------------------------------------------
# Characters

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"), None)
_LINE_BREAKS = re.compile(r"\r\n|[\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
# Unicode non-characters (U+FDD0..U+FDEF and U+xFFFE/U+xFFFF of every plane): never text,
# and U+FFFE/U+FFFF make the EBU-TT-D (XML) subtitles not well-formed
_NONCHARACTERS = re.compile(
    "[\ufdd0-\ufdef"
    + "".join(chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(17))
    + "]"
)
_TAB_WIDTH = 8


def _is_space(ch: str) -> bool:
    return ch == "\t" or unicodedata.category(ch) == "Zs"


def clean_characters(text: str) -> str:
    """NFC; no zero-width characters, soft hyphens or controls; one kind of newline.
    Unicode spaces become ' ' (tabs are kept for measuring indentation)."""
    text = unicodedata.normalize("NFC", text).translate(_ZERO_WIDTH)
    text = _NONCHARACTERS.sub("", _CONTROLS.sub("", _LINE_BREAKS.sub("\n", text)))
    return "".join(" " if ch != "\t" and _is_space(ch) else ch for ch in text)


@dataclass(frozen=True)
class Line:
    """One non-blank source line: its text (spaces collapsed, stripped), how far it
    was indented (columns), whether a blank line came before it, and how many column
    gaps (runs of two or more spaces, or a tab) it had inside: table rows and menus."""

    text: str
    indent: int
    after_blank: bool
    gaps: int = 0


def _indent_width(raw: str) -> int:
    width = 0
    for ch in raw:
        if ch == "\t":
            width += _TAB_WIDTH - width % _TAB_WIDTH
        elif ch == " ":
            width += 1
        else:
            break
    return width


_GAP = re.compile(r"(?<=\S)(?: {2,}|\t\s*)(?=\S)")


def split_lines(text: str) -> list[Line]:
    """Non-blank lines of cleaned text."""
    lines: list[Line] = []
    blank = False
    for raw in text.split("\n"):
        content = " ".join(raw.split())
        if not content:
            blank = True
            continue
        gaps = len(_GAP.findall(raw.strip()))
        lines.append(Line(content, _indent_width(raw), blank or not lines, gaps))
        blank = False
    return lines


# ---------------------------------------------------------------------------
# Rules (data)


@dataclass(frozen=True)
class DropRules:
    """Compiled drop rules from assets/article_rules.toml."""

    outlet_strict: re.Pattern[str]
    outlet_loose: re.Pattern[str]
    outlet_name_words: frozenset[str]
    outlet_tag: re.Pattern[str]
    datetime_words: re.Pattern[str]
    caption_start: re.Pattern[str]
    caption_phrase: re.Pattern[str]
    credit_start: re.Pattern[str]
    credit_lines: frozenset[str]
    source_start: re.Pattern[str]
    source_label: re.Pattern[str]
    ui_lines: frozenset[str]
    sections: frozenset[str]
    related_headers: frozenset[str] = frozenset()
    footer_start: re.Pattern[str] = re.compile("(?!)")
    footer_mark: re.Pattern[str] = re.compile("(?!)")
    related_marks: re.Pattern[str] = re.compile("(?!)")  # a short line with one opens a box
    ui_labels: re.Pattern[str] = re.compile("(?!)")  # "Từ khóa: ...", "Tags: ...": page labels
    counter_units: frozenset[str] = frozenset()  # "15.208 lượt xem", "1.284 bài viết"
    promo_start: re.Pattern[str] = re.compile("(?!)")  # "Theo dõi chúng tôi trên …"
    comment_headers: frozenset[str] = frozenset()  # "Ý kiến bạn đọc (12)": comments follow


def _alternation(words: Iterable[str]) -> str:
    """A regex alternation of literal phrases, longest first, spaces flexible."""
    escaped = (
        re.escape(w).replace(r"\ ", r"\s+") for w in sorted(set(words), key=len, reverse=True)
    )
    return "(?:" + "|".join(escaped) + ")"


def _casefold_key(line: str) -> str:
    """A UI string key: case-folded; punctuation, dashes, icons and counts removed at the
    end, punctuation, dashes and icons at the start ("— Quảng cáo —", "⚠ Báo lỗi")."""
    key = re.sub(r"[\W\d_]+$", "", line.casefold())
    return re.sub(r"^[\W_]+", "", key)


@lru_cache(maxsize=1)
def default_rules() -> DropRules:
    data = tomllib.loads(
        resources.files("newsvoice.assets").joinpath("article_rules.toml").read_text("utf-8")
    )
    out, dt, cap, cred, ui = (
        data["outlet"],
        data["datetime"],
        data["caption"],
        data["credit"],
        data["web_ui"],
    )
    tag_words = _alternation(out["tags"])
    tag = (
        r"^(?P<tag>\(\s*[^()\s][^()]{0,28}\)"  # (QNO) (Dân trí) (Baonghean.vn)
        r"|\(?(?:" + tag_words + r"|[A-ZĐ][A-ZĐ0-9]{1,6}O"  # TTXVN, TPO, NLĐO
        r"|[A-Za-zĐđ][\w-]*\.(?:vn|VN|Vn|com\.vn|net|com))\)?)"  # VOV.VN, Baonghean.vn
        r"\s*[-–—]+\s*(?=[\w“\"(])"
    )
    date_token = (
        r"\d{1,2}\s*[/.-]\s*\d{1,2}(?:\s*[/.-]\s*\d{2,4})?"  # 04/09/2024, 5.3
        r"|\d{1,2}\s*[:hg]\s*\d{2}(?:\s*:\s*\d{2})?"  # 09:04, 9h30
        r"|(?:gmt|utc)\s*[+-]\s*\d{1,2}(?::?\d{2})?"
        r"|\d{1,3}\s*(?:giây|phút|giờ|tiếng|ngày|tuần|tháng|năm)\s+trước"  # 2 giờ trước
        r"|\d{4}"
    )
    return DropRules(
        outlet_strict=re.compile(
            r"^" + _alternation(out["prefixes_strict"]) + r"\s+(?P<rest>.+)$", re.I
        ),
        outlet_loose=re.compile(r"^" + _alternation(out["prefixes_loose"]) + r"\b", re.I),
        outlet_name_words=frozenset(w.casefold() for w in out["name_words"]),
        outlet_tag=re.compile(tag),
        datetime_words=re.compile(
            r"(?P<date>"
            + date_token
            + r")|\b"
            + _alternation(dt["weekdays"] + dt["labels"])
            + r"\b",
            re.I,
        ),
        caption_start=re.compile(
            r"^(?:[^\w\s(\[\"“]{1,3}\s*)?[(\[]?\s*"
            + _alternation(cap["labels"])
            + r"(?:\s*\d+)?\s*[:：]",
            re.I,
        ),
        caption_phrase=re.compile(
            r"(?:^|[\s.(\[–-])[(\[]?\s*(?:"
            + _alternation(cap["phrases"])
            + r"|(?-i:Ảnh)\s*(?:\d+\s*)?:[^:]{1,60})"
            r"\s*[)\]]?\s*[.]?$",
            re.I,
        ),
        credit_start=re.compile(r"^[(\[]?\s*" + _alternation(cred["labels"]) + r"\s*[:：]", re.I),
        credit_lines=frozenset(w.casefold() for w in cred["lines"]),
        source_start=re.compile(r"^" + _alternation(cred["source_prefixes"]) + r"\b", re.I),
        source_label=re.compile(
            r"^[(\[]?\s*" + _alternation(cred["source_labels"]) + r"\s*[:：]", re.I
        ),
        ui_lines=frozenset(_casefold_key(w) for w in ui["lines"]),
        sections=frozenset(_casefold_key(w) for w in data["navigation"]["sections"]),
        related_headers=frozenset(_casefold_key(w) for w in data["related"]["headers"]),
        related_marks=re.compile(_alternation(data["related"]["marks"]), re.I),
        ui_labels=re.compile(r"^[(\[]?\s*" + _alternation(ui["labels"]) + r"\s*[:：]", re.I),
        counter_units=frozenset(_casefold_key(w) for w in ui["counter_units"]),
        promo_start=re.compile(r"^[^\w(\[]*" + _alternation(ui["promo_starts"]) + r"\b", re.I),
        comment_headers=frozenset(_casefold_key(w) for w in ui["comment_headers"]),
        footer_start=re.compile(
            r"^[(\[]?\s*"
            + _alternation(data["footer"]["starts"])
            + r"(?:\s+số)?(?:\s*[:：]|\s+[\d(])",  # "Giấy phép hoạt động số 345/GP-BTTTT"
            re.I,
        ),
        footer_mark=re.compile(_alternation(data["footer"]["marks"]), re.I),
    )


# ---------------------------------------------------------------------------
# Line predicates: each says why a line is not read, or None

_WORDS = re.compile(r"[^\W\d_]+")
_SENTENCE_END = re.compile(r"[.!?…:;]$")


def _has_letter(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def _word_count(text: str) -> int:
    return len(text.split())


def is_datetime_line(text: str, rules: DropRules) -> bool:
    """'Thứ Tư, 04/09/2024 09:04', '04/09/2024 09:04 GMT+7', 'Cập nhật: 10:20 ngày 4/9'."""
    found = False

    def erase(m: re.Match[str]) -> str:
        nonlocal found
        found = found or m.group("date") is not None
        return " "

    rest = rules.datetime_words.sub(erase, text)
    return found and not re.search(r"[^\W_]", rest)


_BAR = re.compile(r"\s*[|·•]\s*")
_HAS_DATE = re.compile(r"\d{1,2}/\d{1,2}/\d{2,4}")
_COUNTER = re.compile(r"(?P<label>[^\W\d][^:(]*?)\s*(?::\s*|\()\s*[\d.,]+\s*\)?")
_COUNT_FIRST = re.compile(r"[\d.,]+\s+(?P<label>[^\W\d][\w ]{1,30})")


def is_meta_line(text: str, rules: DropRules) -> bool:
    """A line of page metadata: parts joined by bars, each a date, a name, a counter, a
    button or a short label, one of them a date, counter or button ('Nông nghiệp | Thứ
    Ba, 03/03/2026 - 10:25', 'MINH SƠN | 21/10/2025', 'Lượt xem: 3.412 | Bình luận: 5'),
    or a short section label before a date ('Thời sự - Xã hội 12/11/2025 20:15')."""
    parts = [p for p in _BAR.split(text.strip()) if p]
    if len(parts) >= 2:
        strong = [
            is_datetime_line(p, rules) or _is_counter(p, rules) or is_web_ui(p, rules)
            for p in parts
        ]
        return any(strong) and all(
            ok or is_name_line(p) or _is_short_label(p) for p, ok in zip(parts, strong, strict=True)
        )
    if not _HAS_DATE.search(text):
        return False
    words = text.split()
    return any(
        _is_short_label(" ".join(words[:k])) and is_datetime_line(" ".join(words[k:]), rules)
        for k in range(1, min(len(words), 7))
    )


def _is_counter(text: str, rules: DropRules) -> bool:
    """'Lượt xem: 3.412', 'Bình luận (0)', '15.208 lượt xem': a page counter."""
    text = text.strip()
    m = _COUNTER.fullmatch(text)
    if m is not None and is_web_ui(m["label"], rules):
        return True
    m = _COUNT_FIRST.fullmatch(text)
    return m is not None and _casefold_key(m["label"]) in rules.counter_units


def _is_short_label(text: str) -> bool:
    """A section or category name: a few words, no digit, no sentence end."""
    t = text.strip(" -–|")
    return (
        0 < _word_count(t) <= 5
        and not any(c.isdigit() for c in t)
        and not _SENTENCE_END.search(t)
        and "," not in t
    )


def is_web_ui(text: str, rules: DropRules) -> bool:
    """Buttons and links of the page ('Share', 'Back to top') and English UI sentences
    with no Vietnamese letter ('twn Are you sure that you want to switch to desktop version?')."""
    if _casefold_key(text) in rules.ui_lines or rules.ui_labels.match(text):
        return True
    if _all_ui_words(text, rules):
        return True  # a share bar: "Chia sẻ Facebook Twitter Email"
    if _HASHTAGS.fullmatch(text.strip()):
        return True  # the page's tags: "#QS châu Á 2026 #xếp hạng đại học"
    if any(ch in VIET_SPECIAL for ch in text):
        return False
    words = [w for w in _WORDS.findall(text) if not w.isupper()]
    if len(words) < 2:
        return False
    foreign = sum(1 for w in words if not is_vietnamese_syllable(w))
    return foreign * 2 >= len(words)


_HASHTAGS = re.compile(r"#[^\s#]+|#[^#]+(?:#[^#]+)+")


def _all_ui_words(text: str, rules: DropRules) -> bool:
    """A line made only of page buttons ("Chia sẻ | Facebook | Zalo"), two or more of them."""
    words = [w.casefold() for w in re.split(r"[\s|•·/,]+", text.strip()) if w]
    if len(words) < 2 or len(words) > 12:
        return False
    reach = [0] + [-1] * len(words)  # reach[j]: fewest buttons covering words[:j], -1 none
    for i in range(len(words)):
        if reach[i] < 0:
            continue
        for j in range(i + 1, min(len(words), i + 4) + 1):
            if " ".join(words[i:j]) in rules.ui_lines and (reach[j] < 0 or reach[i] + 1 < reach[j]):
                reach[j] = reach[i] + 1
    return reach[-1] >= 2


def is_related_header(text: str, rules: DropRules) -> bool:
    """The header of a related-news box: a listed one, or a short line with no sentence end
    that names one ("Bài viết cùng chuyên mục", "Tin tức liên quan khác")."""
    if _casefold_key(text) in rules.related_headers:
        return True
    return (
        _word_count(text) <= 6
        and not _SENTENCE_END.search(text)
        and rules.related_marks.search(text) is not None
    )


def is_navigation(text: str) -> bool:
    """Breadcrumbs and menus: 'Trang chủ > Thời sự > Chính trị', 'Tin tức | Video'."""
    parts = [p.strip() for p in re.split(r"\s+[>»›|/]\s+|\s*[»›|]\s*", text)]
    parts = [p for p in parts if p]
    home = bool(parts) and parts[0].casefold() in _HOME  # "Trang chủ | Thể thao | SEA Games 33"
    # "Trang chủ › Thời sự › Hoạt động Quốc hội - hội đồng nhân dân": arrows are a trail
    longest = 8 if len(parts) >= 3 and re.search(r"\s[>»›]\s", text) else 4
    return (
        len(parts) >= 2
        and text.count(" ") < 20
        and not _SENTENCE_END.search(text)
        and all(
            len(_WORDS.findall(p)) <= longest and (home or not any(c.isdigit() for c in p))
            for p in parts
        )
    )


_HOME = frozenset({"trang chủ", "home", "trang nhất"})


def is_outlet_name(text: str, rules: DropRules) -> bool:
    """A short line naming a station, paper or portal: 'Truyền hình Đại Lộc', 'Báo Quảng Nam'.
    'Báo động …' and 'Đài Loan thử …' are not (a lowercase word that is not part of a name)."""
    if _word_count(text) > 10 or _SENTENCE_END.search(text) or "," in text:
        return False
    if rules.outlet_loose.match(text):
        return True
    m = rules.outlet_strict.match(text)
    if not m:
        return False
    return all(
        w[0].isupper() or w.casefold() in rules.outlet_name_words or not w[0].isalpha()
        for w in m.group("rest").split()
    )


def is_caption(text: str, rules: DropRules) -> bool:
    """'Ảnh: …', 'Quang cảnh hội nghị. Ảnh: T.L', '… (Ảnh: Nhật Duy)', 'Ảnh minh họa', 'Video: …'."""
    if rules.caption_start.match(text):
        return True
    return len(text) <= 300 and (
        _SOURCE_TAIL.search(text) is not None  # "Vị trí của bão lúc 10h. Nguồn: NCHMF"
        or rules.caption_phrase.search(text) is not None
    )


def _is_name_word(word: str) -> bool:
    """A capitalised word, an acronym or initials ('T.L', 'N.H.')."""
    core = word.strip("()[],")
    return (
        bool(core)
        and core[0].isupper()
        and not any(c.isdigit() for c in core)
        and bool(re.fullmatch(r"[^\W\d_]+(?:[.'’-][^\W\d_]*)*\.?", core))
    )


def is_name_line(text: str) -> bool:
    """A line that is only a person's (or a few people's) name: 'Nhật Duy',
    'Minh Tuấn - Thu Hà', 'Nhật Duy (TTXVN)'."""
    core = re.sub(r"\s*\([^()]{1,40}\)\s*$", "", text).strip()
    parts = [p for p in re.split(r"\s*[-–,&/]\s*|\s+và\s+", core) if p]
    if not parts or len(core) > 60:
        return False
    return all(1 <= _word_count(p) <= 5 and all(_is_name_word(w) for w in p.split()) for p in parts)


def _byline_under_headline(text: str) -> bool:
    """The first line after the headline that holds only a name or names, no sentence
    end: the byline of a page that puts it under the title (a lead is a sentence)."""
    return is_name_line(text) and not _SENTENCE_END.search(text) and _word_count(text) <= 10


def is_credit(text: str, rules: DropRules) -> bool:
    """A byline anywhere after the headline: 'Tin, ảnh: Nhật Duy', 'PV', 'Nhóm PV'."""
    core = text.strip("() .")
    if core.casefold() in rules.credit_lines:
        return True
    words = core.split()
    for k in range(len(words) - 1, 0, -1):  # "Nhóm phóng viên Thể thao": a desk's name after it
        if " ".join(words[:k]).casefold() in rules.credit_lines:
            return (
                len(words) - k <= 4
                and _is_name_word(words[k])
                and not _SENTENCE_END.search(text)
                and not any(c.isdigit() for c in text)
            )
    return _word_count(text) <= 12 and rules.credit_start.match(text) is not None


def is_trailing_source(text: str, rules: DropRules) -> bool:
    """A short last line naming the source: 'Theo TTXVN', '(Theo Báo Quảng Nam)', 'Nguồn VTV'."""
    if "," in text and not text.startswith("("):
        return False  # "Theo kế hoạch, dự án …" is a sentence
    return (
        _word_count(text) <= 10
        and rules.source_start.match(text) is not None
        and not _SENTENCE_END.search(text.rstrip(")"))
    )


_MIN_BYLINE_INDENT = 20


def is_indented_byline(line: Line) -> bool:
    """A right-aligned short line ('                     Nhật Duy'). Body paragraphs
    are indented a few spaces; a byline is pushed far right."""
    return (
        line.indent >= _MIN_BYLINE_INDENT
        and _word_count(line.text) <= 8
        and not _SENTENCE_END.search(line.text)
    )


_CLOSERS = '"”’)»]'
_FULL_STOP = re.compile(r"[.!?…]$")
_MINUTE = re.compile(r"(?<![\w.,])\d{1,3}(?:\+\d{1,2})?['’′](?!\w)")
_POLL_ROW = re.compile(r"[^\d%]{1,60}?\s\d{1,3}(?:[.,]\d+)?\s*%")
_SOURCE_TAIL = re.compile(r"(?:[.!?]|\s[-–])\s+(?:Nguồn|Nguồn ảnh|Đồ họa|Video)\s*:\s*[^.:]{1,40}$")


_ITEM_MARK = re.compile(r"(?:^|\s)[▸►▶»›•➜→]\s")  # "THÔNG SỐ ▸ Màn hình … ▸ Chip …"
_RESULT_ROW = re.compile(r"(?:FT|HT|KT|AET)\s.*\d\s*-\s*\d")  # "FT Hoàng Anh Gia Lai 0 - 0 SHB"
_BRACKETED = re.compile(r"\[([^\[\]]{1,40})\]")


def ends_prose(text: str) -> bool:
    """Ends like a written sentence (full stop, question, exclamation, ellipsis)."""
    return _FULL_STOP.search(text.rstrip(_CLOSERS)) is not None


def is_widget(line: Line) -> bool:
    """A box of the page, not prose (none ends like a sentence): a ticker or score bar
    cut by bars ('Tin nóng: Bão số 6 | Mưa lũ', 'KẾT THÚC | Hà Nội FC 3 - 1 …'), a table
    row or menu laid out in columns, a scorers' line ('Tuấn Hải 38', Hendrio 9''), a
    poll's row ('Denilson Júnior 61%')."""
    text = line.text
    if ends_prose(text):
        return False
    return (
        " | " in text
        or line.gaps >= 2
        or len(_MINUTE.findall(text)) >= 2
        or len(_ITEM_MARK.findall(text)) >= 2
        or _RESULT_ROW.match(text) is not None
        or (_word_count(text) <= 8 and _POLL_ROW.fullmatch(text) is not None)
    )


def is_form(text: str, rules: DropRules) -> bool:
    """A line holding a page control in brackets: a search box ('[Nhập tên trường…]'),
    a button ('[Tìm kiếm]', '[ĐĂNG KÝ]'), an ad label ('[Quảng cáo] Căn hộ …')."""
    for inner in _BRACKETED.findall(text):
        key = _casefold_key(inner)
        if key in rules.ui_lines or key.startswith(("nhập ", "điền ", "enter ")):
            return True
    return False


def is_promo(text: str, rules: DropRules) -> bool:
    """The outlet's own call, not prose: 'Theo dõi fanpage … để nhận bản tin sớm nhất',
    'Nhận bản tin … qua Zalo OA ➜ Quan tâm ngay', '📲 Tải ứng dụng …: App Store'."""
    return not ends_prose(text) and rules.promo_start.match(text) is not None


def ends_with_button(text: str, rules: DropRules) -> bool:
    """A prompt whose last part is a button: 'Bạn nghĩ gì …? Gửi bình luận của bạn'."""
    m = re.search(r"[.!?…]\s+([^.!?…]{2,40})$", text)
    return m is not None and _casefold_key(m.group(1)) in rules.ui_lines


def is_reader_prompt(text: str) -> bool:
    """A question put to the reader ('Bạn nghĩ gì về …?'): comment or poll box, not news."""
    return text.rstrip(_CLOSERS).endswith("?") and re.search(r"(?i)\bbạn\b", text) is not None


def is_body_paragraph(text: str) -> bool:
    """A line that reads like body text (ends like a sentence and is not a short title):
    the end of a related-news box."""
    return bool(_SENTENCE_END.search(text.rstrip('"”’)»'))) and _word_count(text) >= 6


def ends_related_box(text: str) -> bool:
    """The first body paragraph after a related-news box ends it: a sentence that ends with
    a full stop. A listed headline ends with a question mark, an exclamation or nothing."""
    return is_body_paragraph(text) and text.rstrip('"”’)»').endswith((".", "…"))


def is_footer_line(text: str, rules: DropRules) -> bool:
    """A line of a site footer: licence, address, phone, e-mail, copyright, 'ghi rõ nguồn'."""
    return rules.footer_start.match(text) is not None or rules.footer_mark.search(text) is not None


# A footer is looked for only among the last lines of a page, and must not be body text.
_FOOTER_TAIL = 12


def footer_start(lines: list[Line], first: int, rules: DropRules) -> int:
    """Index of the first line of the site footer (len(lines) when there is none): the
    earliest footer line among the last few, pulling in an outlet name or a bare name line
    just above it ('Đài PT-TH Quảng Nam' over 'Địa chỉ: …')."""
    start = len(lines)
    for i in range(max(first, len(lines) - _FOOTER_TAIL), len(lines)):
        text = lines[i].text
        if is_footer_line(text, rules) and not (is_body_paragraph(text) and _word_count(text) > 25):
            start = i
            break
    if start == len(lines):
        return start
    while (
        start - 1 >= first
        and is_outlet_name(lines[start - 1].text, rules)
        and not is_name_line(lines[start - 1].text)
    ):
        start -= 1
    return start


def header_reason(line: Line, rules: DropRules, *, last: bool) -> str | None:
    """Why a line before the headline is not read (None: it is the headline)."""
    text = line.text
    if not _has_letter(text):
        return NO_LETTERS
    if is_datetime_line(text, rules) or is_meta_line(text, rules):
        return DATETIME
    if is_web_ui(text, rules):
        return WEB_UI
    if is_navigation(text) or (not last and _casefold_key(text) in rules.sections):
        return NAVIGATION
    if not last and is_outlet_name(text, rules):
        return OUTLET
    if not last and (is_widget(line) or is_form(text, rules) or is_promo(text, rules)):
        return WIDGET
    return None


def body_reason(line: Line, rules: DropRules) -> str | None:
    """Why a line after the headline is not read (None: it is read)."""
    text = line.text
    if not _has_letter(text):
        return NO_LETTERS
    checks: tuple[tuple[str, Callable[[], bool]], ...] = (
        (DATETIME, lambda: is_datetime_line(text, rules)),
        (WEB_UI, lambda: is_web_ui(text, rules)),
        (DATETIME, lambda: is_meta_line(text, rules)),
        (SOURCE, lambda: _word_count(text) <= 15 and rules.source_label.match(text) is not None),
        (CAPTION, lambda: is_caption(text, rules)),
        (BYLINE, lambda: is_credit(text, rules) or is_indented_byline(line)),
        (NAVIGATION, lambda: is_navigation(text)),
        (WIDGET, lambda: is_widget(line)),
        (WEB_UI, lambda: _is_counter(text, rules)),
        (WEB_UI, lambda: is_form(text, rules) or is_promo(text, rules)),
        (WEB_UI, lambda: ends_with_button(text, rules)),
        (WEB_UI, lambda: _is_ui_link(text, rules)),
    )
    return next((reason for reason, check in checks if check()), None)


def _is_ui_link(text: str, rules: DropRules) -> bool:
    """'Xem đầy đủ điểm chuẩn 68 chương trình tại đây »': a link that starts with a
    button's words ('Xem đầy đủ', 'Đọc thêm') and is no sentence."""
    if ends_prose(text) or _word_count(text) > 15:
        return False
    words = text.casefold().split()
    return any(" ".join(words[:k]) in rules.ui_lines for k in (2, 3))


def trailing_reason(text: str, rules: DropRules) -> str | None:
    """Why one of the last lines is not read: a bare name, 'Theo …', an outlet name."""
    if is_trailing_source(text, rules):
        return SOURCE
    if is_outlet_name(text, rules):
        return SOURCE
    if is_name_line(text):
        return BYLINE
    return None


# ---------------------------------------------------------------------------
# Paragraph-level edits

_END_MARK = re.compile(r"\s*\.?\s*/\s*\.\s*$")


def strip_outlet_tag(text: str, rules: DropRules) -> tuple[str, str | None]:
    """'(QNO) - Sáng 11/01, …' -> ('Sáng 11/01, …', '(QNO) -')."""
    m = rules.outlet_tag.match(text)
    if not m or not _has_letter(m.group("tag")) or len(text) - m.end() < 10:
        return text, None
    return text[m.end() :], text[: m.end()].strip()


def strip_end_mark(text: str) -> tuple[str, str | None]:
    """'… đạt kết quả cao./.' -> '… đạt kết quả cao.' (the './.' closing mark of official texts)."""
    m = _END_MARK.search(text)
    if not m or m.start() == 0:
        return text, None
    body = text[: m.start()].rstrip()
    if body and body[-1] not in ".!?…":
        body += "."
    return body, "./."


_SOFT_END = re.compile(r"[.!?…:;\"”’)»]$")


def joins_previous(prev: str, nxt: Line) -> bool:
    """Whether a single newline between two lines is a wrapped line, not a paragraph
    break. Scraped text has one paragraph per line, so a newline is a break unless the
    previous line stops mid-sentence (no end punctuation, or a comma) and the next
    continues it (starts lowercase or with a digit)."""
    if nxt.after_blank or _SOFT_END.search(prev):
        return False
    first = nxt.text[0]
    return first.islower() or first.isdigit() or prev.endswith((",", "-", "–"))


def group_paragraphs(lines: list[Line]) -> list[str]:
    """Join wrapped lines; every other line break is a paragraph break."""
    paras: list[str] = []
    for line in lines:
        if paras and joins_previous(paras[-1], line):
            paras[-1] = f"{paras[-1]} {line.text}"
        else:
            paras.append(line.text)
    return paras


# ---------------------------------------------------------------------------
# Assembly


def _select(
    lines: list[Line], rules: DropRules
) -> tuple[int | None, list[int], list[tuple[int, str]]]:
    """Index of the headline, indexes of body lines read, and (index, reason) dropped."""
    dropped: list[tuple[int, str]] = []
    head: int | None = None
    for i, line in enumerate(lines):
        reason = header_reason(line, rules, last=i == len(lines) - 1)
        if (
            reason is None
            and i + 1 < len(lines)
            and _titles_widget(line.text)
            and header_reason(lines[i + 1], rules, last=False) == WIDGET
        ):
            reason = WIDGET  # "KẾT QUẢ VÒNG 10 V.LEAGUE 1" over the results box
        if reason is None:
            head = i
            break
        dropped.append((i, reason))
    if head is None:
        return None, [], dropped
    body: list[int] = []
    footer = footer_start(lines, head + 1, rules)
    in_box = in_comments = False
    for i in range(head + 1, len(lines)):
        if i >= footer:
            dropped.append((i, FOOTER))
            continue
        if is_comment_header(lines[i].text, rules):
            in_comments = True  # the header keeps its own reason (web UI) if it has one
            dropped.append((i, body_reason(lines[i], rules) or COMMENTS))
            continue
        if (
            in_comments
            and not is_related_header(lines[i].text, rules)
            and (is_comment(lines[i].text) or body_reason(lines[i], rules))
        ):
            dropped.append((i, COMMENTS))
            continue
        in_comments = False
        if is_related_header(lines[i].text, rules):
            in_box = True  # the header keeps its own reason (web UI); what is under it is the box
            dropped.append((i, body_reason(lines[i], rules) or RELATED))
            continue
        if in_box and not ends_related_box(lines[i].text):
            dropped.append((i, BYLINE if is_name_line(lines[i].text) else RELATED))
            continue
        in_box = False
        reason = body_reason(lines[i], rules)
        if reason is None and not body and _byline_under_headline(lines[i].text):
            reason = BYLINE  # "BÍCH THẢO - MINH ANH" between the headline and the lead
        if reason is None:
            body.append(i)
        else:
            dropped.append((i, reason))
    while body:
        reason = trailing_reason(lines[body[-1]].text, rules)
        if reason is None:
            break
        dropped.append((body.pop(), reason))
    for i in _after_last_paragraph(lines, body):
        body.remove(i)
        dropped.append((i, AFTER_BODY))
    widgets = {i for i, reason in dropped if reason == WIDGET}
    for i in [i for i in body if i + 1 in widgets and _titles_widget(lines[i].text)]:
        body.remove(i)
        dropped.append((i, WIDGET))
    return head, body, sorted(dropped)


def _titles_widget(text: str) -> bool:
    """A title in capitals over a table or box ('BẢNG GIÁ VÀNG TRONG NƯỚC (ĐVT: …)')."""
    return _all_capitals(text.split("(")[0]) and not ends_prose(text) and _word_count(text) <= 15


def is_comment_header(text: str, rules: DropRules) -> bool:
    """The head of the readers' comments: 'Ý kiến bạn đọc (12) Viết bình luận...',
    'Ý kiến (214) | Mới nhất | Quan tâm nhất'."""
    first = re.split(r"\s*[(|]|\s{2,}", text, maxsplit=1)[0]
    return _casefold_key(first) in rules.comment_headers and not ends_prose(text.rstrip("."))


_COMMENT = re.compile(r"(?P<who>[^:]{2,40}?)(?:\s[-–]\s[^:]{1,30})?:\s+\S")


def is_comment(text: str) -> bool:
    """'Trần Đức - Bắc Ninh: Lãi 36%/tháng …', 'Minh Anh - 2 giờ trước: Con em …'."""
    m = _COMMENT.match(text)
    return m is not None and is_name_line(m.group("who"))


def _all_capitals(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 2 and not any(c.islower() for c in letters)


def _is_sentence(text: str) -> bool:
    """Prose: ends like a sentence and is not a title in capitals ('BẠN NGHĨ SAO?'), a
    starred note ('* Thông tin chỉ mang tính tham khảo.') or a question to the reader."""
    return (
        ends_prose(text)
        and not _all_capitals(text)
        and not text.startswith("*")
        and not is_reader_prompt(text)
    )


_OPENERS = '"“‘(«[-–'


def _looks_like_page(text: str) -> bool:
    """A mark of page furniture on a line that is not prose: all capitals ('BẢNG XẾP
    HẠNG SAU VÒNG 13'), a leading or closing icon ('► Khởi công …', 'Xem thêm 2 ý kiến ›'),
    wholly in brackets ('(TTXVN/Vietnam+)'), a bare name ('Nguyễn Hằng')."""
    return (
        _all_capitals(text)
        or is_reader_prompt(text)
        or not (text[0].isalnum() or text[0] in _OPENERS)
        or not (text[-1].isalnum() or text[-1] in _CLOSERS + "%")
        or (text.startswith("(") and text.endswith(")"))
        or is_name_line(text)
    )


_LONG_PARAGRAPH = 30  # words: a paragraph that lost its full stop, not a page element


def _after_last_paragraph(lines: list[Line], body: list[int]) -> list[int]:
    """The body lines after the article's last sentence, when they are a block of the
    page: none ends like a sentence or is paragraph-long, and one at least looks like
    page furniture (an author box, a poll, a standings table, a 'see more' link). A
    short last line with no such mark ('Người dân rất vui mừng') is kept, and flagged."""
    last = next(
        (n for n in range(len(body) - 1, -1, -1) if _is_sentence(lines[body[n]].text)), None
    )
    if last is None:
        return []
    tail = body[last + 1 :]
    if any(_word_count(lines[i].text) >= _LONG_PARAGRAPH for i in tail):
        return []
    return tail if any(_looks_like_page(lines[i].text) for i in tail) else []


def _narratable(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def parse_article(
    data: bytes,
    *,
    keep_all: bool = False,
    max_bytes: int = MAX_BYTES,
    source: str = "input",
    keep: frozenset[str] = frozenset(),
) -> Article:
    """Read an article: headline, body paragraphs and what was dropped (and why).

    ``keep_all`` keeps every line (character cleanup only). ``keep``: lines a producer
    wants read although a rule would drop them (their text as the preview shows it;
    one kept above the headline becomes the headline). ``source`` names the input in
    error messages.
    """
    text = decode_text(data, max_bytes=max_bytes, source=source)
    lines = split_lines(text)
    if not lines:
        raise InputError(f"{source} is empty")
    if keep_all:
        art = Article(lines[0].text, group_paragraphs(lines[1:]), [])
    else:
        rules = default_rules()
        art = _parse_lines(lines, rules, _keys(keep))
        if not art.paragraphs and _casefold_key(art.headline or "") in rules.sections:
            # a navigation-only page: its last menu entry is no headline to narrate
            raise InputError(f"{source}: no article text found (only navigation and section names)")
    if not any(_narratable(p) for p in [art.headline or "", *art.paragraphs]):
        raise InputError(f"{source}: no sentences to narrate")
    return art


def _keys(keep: Iterable[str]) -> frozenset[str]:
    """Kept lines compared as lines are: NFC, spaces collapsed."""
    return frozenset(" ".join(unicodedata.normalize("NFC", k).split()) for k in keep)


def _unselect(
    lines: list[Line], head: int | None, body: list[int], dropped: list[tuple[int, str]], keep
) -> tuple[int | None, list[int], list[tuple[int, str]]]:
    """Put the dropped lines the producer keeps back in reading order."""
    kept = sorted(i for i, _ in dropped if lines[i].text in keep)
    if not kept:
        return head, body, dropped
    if head is None or kept[0] < head:
        new_head, kept = kept[0], kept[1:]
        if head is not None:
            kept.append(head)
        head = new_head
    back = set(kept) | {head}
    return head, sorted(body + kept), [d for d in dropped if d[0] not in back]


def _parse_lines(
    lines: list[Line], rules: DropRules, keep: frozenset[str] = frozenset()
) -> Article:
    head, body, dropped_idx = _select(lines, rules)
    head, body, dropped_idx = _unselect(lines, head, body, dropped_idx, keep)
    dropped = [
        (i, DroppedLine(lines[i].text, reason, head is not None and i < head))
        for i, reason in dropped_idx
    ]
    if head is None:
        return Article(None, [], [d for _, d in dropped])
    kept: list[Line] = []
    for n, i in enumerate(body):
        text, tag = strip_outlet_tag(lines[i].text, rules) if n < 3 else (lines[i].text, None)
        if tag:
            dropped.append((i, DroppedLine(tag, OUTLET_TAG)))
        text, mark = strip_end_mark(text)
        if mark:
            dropped.append((i, DroppedLine(mark, END_MARK)))
        kept.append(Line(repair_glued(text), lines[i].indent, lines[i].after_blank))
    paragraphs = [p for p in group_paragraphs(kept) if _narratable(p)]
    headline, tag = strip_outlet_tag(lines[head].text, rules)
    if tag:
        dropped.append((head, DroppedLine(tag, OUTLET_TAG)))
    headline = repair_glued(strip_end_mark(headline)[0])
    dropped.sort(key=lambda item: item[0])  # stable: source order
    return Article(headline, paragraphs, [d for _, d in dropped])


def read_article(path: Path, *, keep_all: bool = False) -> Article:
    """parse_article of a file, with the file named in error messages."""
    return parse_article(read_bytes(path), keep_all=keep_all, source=str(path))


def decode_text(data: bytes, *, max_bytes: int = MAX_BYTES, source: str = "input") -> str:
    """Decode article bytes to NFC text (encoding detection), or raise InputError."""
    text, _encoding = decode_bytes(data, source=source, max_bytes=max_bytes)
    text = clean_characters(text)
    if not text.strip():
        raise InputError(f"{source} is empty")
    return text


def read_source_article(
    src: str, *, keep_all: bool = False, keep: frozenset[str] = frozenset()
) -> Article:
    """read_source + parse_article: the article, its dropped lines after the source's."""
    from newsvoice.inputs.sources import read_source

    return source_article(read_source(src), keep_all=keep_all, keep=keep)


def source_article(
    source: Source, *, keep_all: bool = False, keep: frozenset[str] = frozenset()
) -> Article:
    """The article of an input: its own dropped lines follow the ones the source's
    extraction (HTML, Word) dropped (``keep`` applies to the article's own rules)."""
    art = parse_article(source.data, keep_all=keep_all, source=source.name, keep=keep)
    if not source.dropped:
        return art
    return Article(art.headline, art.paragraphs, [*source.dropped, *art.dropped])


# ---------------------------------------------------------------------------
# Weak line decisions: the keep/drop calls a producer should hear or look at

_SHORT_LAST = 8  # words: a last body line this short with no full stop may be a byline
_LONG_DROPPED = 15  # words: a dropped line this long that ends like a sentence may be body
_SHAKY_DROPS = frozenset({BYLINE, CAPTION, SOURCE, RELATED, NAVIGATION, WEB_UI})


def line_findings(article: Article) -> list[Finding]:
    """Flags for the line decisions taken on a weak signal: a short last body line with no
    sentence end kept (a byline or tag the rules did not know?), and a long line that ends
    like a sentence dropped as byline, caption, credit, related link or page UI (body lost?).
    Footers and text above the headline are decided by structure and not flagged."""
    out: list[Finding] = []

    def flag(text: str, message: str) -> None:
        out.append(Finding("article", CHECK, WEAK_LINE, message, token=text, reading=text[:80]))

    if article.paragraphs:
        last = article.paragraphs[-1]
        if _word_count(last) <= _SHORT_LAST and not _SENTENCE_END.search(last.rstrip('"”’)»')):
            flag(last, f"short last line kept as body: {last[:70]!r} (a byline or a tag?)")
    for d in article.dropped:
        if (
            d.reason in _SHAKY_DROPS
            and not d.before_headline
            and is_body_paragraph(d.text)
            and _word_count(d.text) >= _LONG_DROPPED
        ):
            flag(d.text, f"a sentence-like line dropped as {d.reason}: {d.text[:70]!r}")
    return out
