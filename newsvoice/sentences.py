"""Sentence splitting for Vietnamese news text.

CONTRACT:  split_sentences(paragraph: str) -> list[str]
Each sentence is verbatim text of the paragraph (stripped), so that
"".join-ing them with single spaces gives back the paragraph modulo whitespace.
"""

from __future__ import annotations


def split_sentences(paragraph: str) -> list[str]:
    raise NotImplementedError
