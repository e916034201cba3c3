"""The docs site's generated reference pages and the runner of the docs' snippets."""
