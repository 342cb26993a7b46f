"""Where Vietnamese words begin: a real word segmenter, so cues never split a word.

Vietnamese writes syllables with spaces ("kiểm soát" is one word), so word
boundaries need a model. underthesea's CRF word segmenter (trained on
VLSP 2013) is used through its Rust core, loading only the model files: the
full ``underthesea`` import costs ~2 s, this ~0.5 s once per process.
bench/segmenter.py compares it with pyvi.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

log = logging.getLogger("newsvoice")

_PUNCT = "“”\"'‘’()[]«»,;:.!?…"
_MODEL = ("pipeline", "word_tokenize", "models", "ws_crf_vlsp2013_20230727")


class _Segmenter:
    """underthesea's word-segmentation CRF (model data is read-only once loaded)."""

    def __init__(self) -> None:
        import joblib
        from underthesea_core import CRFFeaturizer, CRFTagger

        spec = importlib.util.find_spec("underthesea")
        if spec is None or spec.origin is None:
            raise ImportError("underthesea is not installed")
        base = Path(spec.origin).parent.joinpath(*_MODEL)
        self.tagger = CRFTagger()
        self.tagger.load(str(base / "models.bin"))
        self.featurizer = CRFFeaturizer(joblib.load(base / "features.bin"), joblib.load(base / "dictionary.bin"))

    def tags(self, pieces: Sequence[str]) -> list[str]:
        x = self.featurizer.process([[[p] for p in pieces]])[0]
        return list(self.tagger.tag(x))


@lru_cache(maxsize=1)
def _segmenter() -> _Segmenter | None:
    try:
        return _Segmenter()
    except (ImportError, OSError) as e:  # pragma: no cover - a hard dependency
        log.warning("word segmenter unavailable (%s); cutting by the compound list only", e)
        return None


def _pieces(token: str) -> list[tuple[str, bool]]:
    """A whitespace token as segmenter tokens: (text, is_word) for punctuation and core."""
    core = token.strip(_PUNCT)
    if not core:
        return [(token, False)]
    i = token.index(core)
    out = [(ch, False) for ch in token[:i]]
    out.append((core, True))
    out += [(ch, False) for ch in token[i + len(core):]]
    return out


def inside_word(tokens: Sequence[str]) -> list[bool]:
    """For each boundary between tokens[i] and tokens[i+1]: does it fall inside one word?"""
    if len(tokens) < 2:
        return []
    seg = _segmenter()
    if seg is None:
        return [False] * (len(tokens) - 1)
    flat: list[tuple[str, bool]] = []
    first: list[int] = []
    for t in tokens:
        first.append(len(flat))
        flat.extend(_pieces(t))
    tags = seg.tags([p for p, _ in flat])
    out = []
    for i in range(len(tokens) - 1):
        j = first[i + 1]
        out.append(tags[j] == "I-W" and flat[j][1] and flat[j - 1][1])
    return out
