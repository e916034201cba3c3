"""The CLI reference page, from the ``otx`` cyclopts app itself."""

from otx.cli.main import app


def cli_page() -> str:
    """Every command with its options, their help and defaults, as ``otx COMMAND --help`` shows them."""
    generated = app.generate_docs(output_format="markdown")
    intro = (
        "Generated from the `otx` command-line app when the site is built: every command, option, help\n"
        "text and default below is the one `otx COMMAND --help` prints. Task guides with examples:\n"
        "[CLI guide](../cli.md).\n\n"
    )
    title, _, rest = generated.partition("\n")
    return f"{title.replace('# otx', '# CLI reference: otx', 1)}\n\n{intro}{rest.lstrip()}"
