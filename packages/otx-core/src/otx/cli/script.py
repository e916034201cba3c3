"""The ``otx`` script: a help page printed before is printed again as it was; everything else runs the CLI."""

import sys

from otx.cli.help_cache import cached_help, recording_help

__all__ = ["main"]


def main() -> None:
    """Entry point of the ``otx`` script (:func:`otx.cli.main.main` with the help pages kept)."""
    argv = sys.argv[1:]
    page = cached_help(argv)
    if page is not None:
        sys.stdout.write(page)
        return
    from otx.cli.main import main as run

    with recording_help(argv):
        run(argv)
