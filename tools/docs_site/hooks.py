"""MkDocs hooks (``mkdocs.yml``: ``hooks``): the reference pages generated from the code at build time."""

import sys
from collections.abc import Callable
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from docs_site.cli_reference import cli_page
from docs_site.config_reference import config_page
from docs_site.formats_reference import formats_page
from docs_site.models_reference import models_page

GENERATED: dict[str, Callable[[], str]] = {
    "reference/cli.md": cli_page,
    "reference/config.md": config_page,
    "reference/models.md": models_page,
    "reference/formats.md": formats_page,
}


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the generated reference pages to the site's files."""
    for path, make in GENERATED.items():
        files.append(File.generated(config, path, content=make()))
    return files
