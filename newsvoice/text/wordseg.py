"""Where Vietnamese words begin: a real word segmenter, so cues never split a word.

Vietnamese writes syllables with spaces ("kiểm soát" is one word), so word
boundaries need a model. underthesea's CRF word segmenter (trained on
VLSP 2013) is used through its Rust core, loading only the model files: the
full ``underthesea`` import costs ~2 s, this ~0.1 s once per process (the
feature list and dictionary are plain pickles, read without joblib and numpy,
see :func:`_load_pickle`). bench/segmenter.py compares it with pyvi. A one-shot
process (the CLI's render) loads it in a child process instead
(text/wordseg_child.py), while synthesis runs.
"""

from __future__ import annotations

import importlib.util
import logging
import pickle
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

log = logging.getLogger("newsvoice")

_PUNCT = "“”\"'‘’()[]«»,;:.!?…"
_MODEL = ("pipeline", "word_tokenize", "models", "ws_crf_vlsp2013_20230727")


class _Segmenter:
    """underthesea's word-segmentation CRF (model data is read-only once loaded)."""

    def __init__(self) -> None:
        from underthesea_core import CRFFeaturizer, CRFTagger

        spec = importlib.util.find_spec("underthesea")
        if spec is None or spec.origin is None:
            raise ImportError("underthesea is not installed")
        base = Path(spec.origin).parent.joinpath(*_MODEL)
        self.tagger = CRFTagger()
        self.tagger.load(str(base / "models.bin"))
        self.featurizer = CRFFeaturizer(
            _load_pickle(base / "features.bin"), _load_pickle(base / "dictionary.bin")
        )

    def tags(self, pieces: Sequence[str]) -> list[str]:
        # an empty or blank piece makes underthesea_core's featurizer panic (a
        # PanicException, which is not an Exception): it goes in as a neutral mark
        x = self.featurizer.process([[[p if p.strip() else "_"] for p in pieces]])[0]
        return list(self.tagger.tag(x))


def _load_pickle(path: Path) -> object:
    """A model file underthesea wrote with ``joblib.dump``: a plain pickle (a list and a
    set of str), so ``pickle`` reads the same objects without importing joblib and numpy
    (~0.3 s). A file joblib wrapped (compressed, numpy arrays) still goes through joblib.
    These files come with the installed underthesea package, as trusted as its code."""
    data = path.read_bytes()
    try:
        return pickle.loads(data)  # the installed package's own model file
    except Exception:  # not a plain pickle: let joblib read its own format
        import joblib

        return joblib.load(path)


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
    out += [(ch, False) for ch in token[i + len(core) :]]
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


def inside_words(batches: Sequence[Sequence[str]]) -> list[list[bool]]:
    """:func:`inside_word` of each sentence's tokens."""
    return [inside_word(tokens) for tokens in batches]
