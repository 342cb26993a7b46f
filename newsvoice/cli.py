"""The ``newsvoice`` command line: thin Click wrappers over the library.

Exit codes: 0 ok, 1 input error, 2 usage error, 3 engine/network failure.
Data goes to stdout; logs, notices and progress go to stderr.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from newsvoice.errors import NewsvoiceError

log = logging.getLogger("newsvoice")


def _setup_logging(quiet: bool, verbose: bool) -> None:
    level = logging.ERROR if quiet else logging.DEBUG if verbose else logging.INFO
    logging.basicConfig(level=level, format="newsvoice: %(message)s", stream=sys.stderr, force=True)


def _read_input(file: str | None) -> bytes:
    if file in (None, "-"):
        return sys.stdin.buffer.read()
    path = Path(file)
    from newsvoice.article import read_bytes

    return read_bytes(path)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsvoice")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.option("-v", "--verbose", is_flag=True, help="Debug logging on stderr.")
def cli(quiet: bool, verbose: bool) -> None:
    """Turn Vietnamese news articles into narration audio and broadcast subtitles.

    \b
    Examples:
      newsvoice render examples/bao-lu-mien-trung.txt -o out/
      newsvoice sentences article.txt --show-dropped
      echo "Ngày 11/01, UBND TP.HCM họp." | newsvoice normalize
      newsvoice voices

    Exit codes: 0 ok, 1 input error, 2 usage error, 3 engine/network failure.
    """
    _setup_logging(quiet, verbose)


@cli.command()
@click.argument("file", required=False)
@click.option("--show-dropped", is_flag=True, help="Also list dropped lines and why (stderr-free: on stdout, prefixed '# dropped').")
@click.option("--keep-all", is_flag=True, help="Keep every line, drop nothing.")
@click.option("--no-headline", is_flag=True, help="Leave out the headline (first line).")
def sentences(file: str | None, show_dropped: bool, keep_all: bool, no_headline: bool) -> None:
    """Print the narrated sentences of FILE (or stdin), one per line.

    A blank line separates paragraphs. Uses exactly the renderer's reading and
    splitting code.

    \b
    Example:
      newsvoice sentences ../shared/samples/dai-loc-party-building.txt
    """
    from newsvoice.article import parse_article
    from newsvoice.sentences import split_sentences

    art = parse_article(_read_input(file), keep_all=keep_all)
    paras = list(art.paragraphs)
    if art.headline and not no_headline:
        paras.insert(0, art.headline)
    out = []
    for para in paras:
        out.append("\n".join(split_sentences(para)))
    click.echo("\n\n".join(out))
    if show_dropped:
        for d in art.dropped:
            click.echo(f"# dropped ({d.reason}): {d.text}")


@cli.command()
@click.argument("file", required=False)
@click.option("--lexicon", "lexicons", multiple=True, type=click.Path(dir_okay=False),
              help="Extra TSV lexicon (written<TAB>spoken); overrides built-ins. Repeatable.")
def normalize(file: str | None, lexicons: tuple[str, ...]) -> None:
    """Print the spoken form of each line of FILE (or stdin).

    One output line per input line; a blank line stays blank.

    \b
    Example:
      echo "Kết nạp 120 đảng viên, đạt 109,1%." | newsvoice normalize
    """
    from newsvoice.article import decode_text
    from newsvoice.normalize import Normalizer
    from newsvoice.plan import spoken_text

    norm = Normalizer([Path(p) for p in lexicons])
    text = decode_text(_read_input(file))
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    for line in lines:
        click.echo(spoken_text(line, norm) if line.strip() else "")


def main() -> None:
    """Entry point: run the CLI, turning our errors into one line and an exit code."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("newsvoice: aborted", err=True)
        sys.exit(130)
    except click.ClickException as e:
        e.show()
        sys.exit(e.exit_code)
    except NewsvoiceError as e:
        click.echo(f"newsvoice: error: {e}", err=True)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        click.echo("newsvoice: interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
