"""Check once, then run: a render request is validated and its article read here, and
what comes out (:class:`Prepared`) is what render, batch and the service run.

Importing :mod:`newsvoice.pipeline.render` loads numpy, scipy, pydub and the engines
(~1 s); bad options, a missing, empty or binary file, an article with nothing to narrate
or an unwritable output folder must fail faster than that, and before an online engine
is probed. So this module uses text-only code, and render never checks again what a
Prepared already holds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from newsvoice.errors import InputError, NewsvoiceError, UsageError
from newsvoice.inputs.sources import is_url, source_stem
from newsvoice.options import RenderOptions, validate
from newsvoice.outputs.files import check_output_dir
from newsvoice.text.article import Article, read_source_article

if TYPE_CHECKING:
    from newsvoice.audio.targets import LoudnessTarget
    from newsvoice.text.plan import Plan


@dataclass(frozen=True)
class Checked:
    """A render request whose options passed :func:`check`: their loudness target too."""

    src: Path
    out_dir: Path
    opts: RenderOptions
    target: LoudnessTarget | None
    stem: str


@dataclass(frozen=True)
class Prepared:
    """A checked request with its article read and the output folder checked. ``plan``:
    the plan for engines without a text limit (None for a URL, read by the renderer;
    the renderer plans again only for an engine that splits long units)."""

    checked: Checked
    article: Article | None
    plan: Plan | None


def check_lexicons(paths) -> None:
    """Each --lexicon file exists, is read like an article (UTF-16 is fine) and has
    rows; otherwise InputError naming it, instead of losing the user's pronunciations."""
    if not paths:
        return  # the normalizer's modules load only with a lexicon to check
    from newsvoice.inputs.files import read_bytes
    from newsvoice.text.normalize.lexicon import decode_table, user_rows

    for p in paths:
        try:
            rows = user_rows(decode_table(read_bytes(Path(p)), str(p)), str(p))
        except InputError as e:
            raise InputError(f"lexicon {e}") from None
        if not rows:
            raise InputError(f"lexicon {p} has no 'written<TAB>spoken' lines")


def check_options(opts: RenderOptions, *, engine_given: bool = False) -> LoudnessTarget | None:
    """Validate options (ranges, combinations), their engine and voice (unless the caller
    brings an opened engine) and their lexicons; return the loudness target."""
    target = validate(opts)
    if not engine_given:
        from newsvoice.speech.engines import check_choice  # the registry: plain values

        try:
            check_choice(opts.engine, opts.voice)  # a bad --engine/--voice is a usage error
        except NewsvoiceError as e:
            if e.exit_code != 2:
                raise
            raise UsageError(f"--voice: {e}", option="--voice") from None
    check_lexicons(opts.lexicons)
    return target


def check(src: Path, out_dir: Path, opts: RenderOptions, *, engine_given: bool = False) -> Checked:
    """A request checked once: nothing after this validates its options again."""
    target = check_options(opts, engine_given=engine_given)
    return Checked(Path(src), Path(out_dir), opts, target, source_stem(str(src)))


def prepare(
    checked: Checked,
    on_article: Callable[[Article], None] | None = None,
    *,
    article: Article | None = None,
) -> Prepared:
    """Read the article and check the output folder; plan it for engines without a text
    limit. A URL is not fetched here (it would be fetched twice): the renderer reads it.
    ``on_article`` is told the article once it is read and the folder checked, before
    the text front-end runs (the CLI starts the render's sidecar process there).
    ``article``: one the caller read already (standard input, read once)."""
    src, opts = checked.src, checked.opts
    if article is None and not is_url(str(src)):
        article = read_source_article(
            str(src), keep_all=opts.keep_all, keep=frozenset(opts.keep_lines)
        )
    check_output_dir(checked.out_dir, inputs=(src, *opts.lexicons), stem=checked.stem)
    if article is None:
        return Prepared(checked, None, None)
    if on_article is not None:
        on_article(article)
    from newsvoice.text.normalize import (
        Normalizer,  # the text front-end: only for a readable article
    )
    from newsvoice.text.plan import build_plan

    # splitting units for an engine's text limit never adds or removes one: no limit here
    plan = build_plan(
        article,
        Normalizer(list(opts.lexicons)),
        pauses=opts.pauses,
        narrate_headline=opts.narrate_headline,
    )
    if not plan.units:
        raise InputError(f"{src}: no sentences to narrate")
    from newsvoice.text.plan import length_problem

    too_long = length_problem(plan, head_ms=opts.pauses.head, tail_ms=opts.pauses.tail)
    if too_long:
        raise InputError(f"{src}: {too_long}")
    return Prepared(checked, article, plan)
