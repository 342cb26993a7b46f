"""Check a render's inputs before the audio stack loads.

Importing :mod:`newsvoice.pipeline.render` loads numpy, scipy, pydub and the engines
(~1 s); a missing, empty or binary file, an article with nothing to narrate or
an unwritable output folder must fail faster than that, and before an online
engine is probed. These are the renderer's own checks (same functions, same
order, same messages), run with text-only modules. What they produce (the article
and, for an engine without a text limit, its plan) is handed to the renderer, so
nothing is read or planned twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from newsvoice.errors import InputError
from newsvoice.inputs.sources import is_url, source_stem
from newsvoice.options import RenderOptions, validate
from newsvoice.outputs.files import check_output_dir
from newsvoice.text.article import Article, read_source_article

if TYPE_CHECKING:
    from newsvoice.text.plan import Plan


@dataclass(frozen=True)
class Prepared:
    """A checked article and its plan for engines without a text limit (``max_spoken``
    None); the renderer plans again only for an engine that splits long units."""

    article: Article
    plan: Plan


def check_render_inputs(src: Path, out_dir: Path, opts: RenderOptions,
                        on_article: Callable[[Article], None] | None = None) -> Prepared | None:
    """Raise what ``render(src, out_dir, opts)`` would raise for bad options, a bad
    article or output folder, without loading audio code. A URL is not fetched here
    (it would be fetched twice); only the options and the folder are checked (None).
    ``on_article`` is told the article once it is read and the folder checked, before
    the text front-end runs (the CLI starts the render's sidecar process there)."""
    validate(opts)
    url = is_url(str(src))
    article = None if url else read_source_article(str(src), keep_all=opts.keep_all)
    check_output_dir(out_dir, inputs=(src, *opts.lexicons), stem=source_stem(str(src)))
    if article is None:
        return None
    if on_article is not None:
        on_article(article)
    from newsvoice.text.normalize import (
        Normalizer,  # the text front-end: only for a readable article
    )
    from newsvoice.text.plan import build_plan

    # splitting units for an engine's text limit never adds or removes one: no limit here
    plan = build_plan(article, Normalizer(list(opts.lexicons)), pauses=opts.pauses,
                      narrate_headline=opts.narrate_headline)
    if not plan.units:
        raise InputError(f"{src}: no sentences to narrate")
    return Prepared(article, plan)
