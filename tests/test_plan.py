"""The plan: written text for subtitles, spoken text for the engine, pauses between."""

from __future__ import annotations

from newsvoice.article import parse_article
from newsvoice.normalize import Normalizer
from newsvoice.plan import Pauses, build_plan, spoken_text


def test_caps_headline_is_spoken_as_words_not_letters():
    norm = Normalizer()
    said = spoken_text("UBND TỈNH QUẢNG NAM TỔNG KẾT NĂM 2023", norm)
    assert said == "ủy ban nhân dân tỉnh quảng nam tổng kết năm hai nghìn không trăm hai mươi ba"
    assert spoken_text("Ông Nguyễn Văn A, UBND tỉnh", norm).startswith("Ông Nguyễn Văn A")


def test_sub_marks_speak_the_alias_and_breaks_pause():
    art = parse_article('Tin ngắn\n\nÔng <sub alias="Nờ Vê A">NVA</sub> phát biểu.<break time="700ms"/> '
                        "Hội nghị kết thúc lúc 11h.\n".encode())
    plan = build_plan(art, Normalizer(), pauses=Pauses(sentence=600))
    first = next(p for p in plan.phrases if "NVA" in p.written)
    assert "Nờ Vê A" in first.spoken and "NVA" not in first.spoken
    assert "<" not in first.written
    assert first.pause_after_ms >= 700
    last = plan.phrases[-1]
    assert last.spoken.endswith("mười một giờ.") and last.written.endswith("11h.")
