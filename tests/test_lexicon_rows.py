"""A producer's lexicon is read strictly (issue 28 #25): a row that would silence a word or
send a mark to the engine is refused with its line, before any work."""

from __future__ import annotations

import pytest
from cli import run

from newsvoice.errors import InputError
from newsvoice.text.normalize.lexicon import user_rows


def test_rows_are_nfc_and_comments_and_blanks_are_skipped():
    text = "# tên riêng\n\nUBND\tủy ban nhân dân\nTP.HCM\tthành phố  Hồ Chí Minh\n"
    assert user_rows(text, "lex.tsv") == [
        ("UBND", "ủy ban nhân dân"),
        ("TP.HCM", "thành phố Hồ Chí Minh"),
    ]


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("HĐND\t", "empty spoken form"),
        ("HĐND\t   ", "empty spoken form"),
        ('HĐND\thội đồng <break time="300ms"/> nhân dân', "<break> or <sub> mark"),
        ('UB\t<sub alias="ủy ban">UB</sub>', "<break> or <sub> mark"),
        ("chỉ một cột", "want written<TAB>spoken"),
    ],
)
def test_a_bad_row_is_refused_with_its_line(line, why):
    with pytest.raises(InputError) as e:
        user_rows(f"UBND\tủy ban nhân dân\n{line}\n", "lex.tsv")
    assert str(e.value).startswith("lex.tsv line 2: ") and why in str(e.value)


def test_render_refuses_a_lexicon_that_would_silence_a_word(tmp_path):
    art = tmp_path / "tin.txt"
    art.write_text("Tin ngắn\n\nHĐND tỉnh họp phiên bất thường.\n", encoding="utf-8")
    lex = tmp_path / "lex.tsv"
    lex.write_text("HĐND\t\n", encoding="utf-8")
    p = run("render", str(art), "-o", str(tmp_path / "out"), "--engine", "espeak",
            "--lexicon", str(lex), text=True)  # fmt: skip
    assert p.returncode == 1 and "line 1" in p.stderr and "empty spoken form" in p.stderr
    assert "Traceback" not in p.stderr and not (tmp_path / "out" / "tin.wav").exists()
