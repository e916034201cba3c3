"""``report.html``: one self-contained page per run (inline CSS, PNGs as base64 data URIs, no external URL).

Every text on the page (choices, metric and label names, file names) is HTML-escaped: much of it
comes from the user's data.
"""

import base64
import math
from html import escape
from pathlib import Path

from attrs import field, frozen

__all__ = ["REPORT_FILE", "ReportPage", "ReportTable", "render_report", "write_report"]

REPORT_FILE = "report.html"

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1200px;
       color: #1d2330; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccd; }
.subtitle, .note { color: #556; } ul.choices { font-family: ui-monospace, monospace; font-size: 0.9em; }
table { border-collapse: collapse; margin: 0.5em 0; } th, td { border: 1px solid #ccd; padding: 0.3em 0.7em; }
th { background: #eef0f6; text-align: left; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0; } figcaption { color: #556; font-size: 0.9em; } img { max-width: 100%; height: auto; }
"""


@frozen(kw_only=True)
class ReportTable:
    """A titled table; numbers are right-aligned and shown with four decimals."""

    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[str | float, ...], ...]
    note: str = ""
    """A line under the table (what was measured and how)."""


@frozen(kw_only=True)
class ReportPage:
    """What one run's page shows, top to bottom."""

    title: str
    subtitle: str = ""
    choices: tuple[str, ...] = ()
    """The run plan's choices, each with its reason."""
    tables: tuple[ReportTable, ...] = ()
    images: tuple[tuple[str, Path], ...] = field(default=())
    """``(caption, PNG file)`` pairs, inlined in this order."""


def render_report(page: ReportPage) -> str:
    """The page as one HTML document."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(page.title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(page.title)}</h1>",
    ]
    if page.subtitle:
        parts.append(f'<p class="subtitle">{escape(page.subtitle)}</p>')
    if page.choices:
        parts.append('<h2>Choices</h2><ul class="choices">')
        parts.extend(f"<li>{escape(line)}</li>" for line in page.choices)
        parts.append("</ul>")
    for table in page.tables:
        parts.append(_table(table))
    if page.images:
        parts.append("<h2>Plots</h2>")
    for caption, path in page.images:
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        parts.append(
            f'<figure><img src="data:image/png;base64,{data}" alt="{escape(caption)}">'
            f"<figcaption>{escape(caption)}</figcaption></figure>"
        )
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(page: ReportPage, path: Path) -> Path:
    """Write the page, atomically (file names the file system holds as non-UTF-8 bytes shown escaped)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(render_report(page), encoding="utf-8", errors="backslashreplace")
    tmp.replace(path)
    return path


def _table(table: ReportTable) -> str:
    head = "".join(f"<th>{escape(name)}</th>" for name in table.header)
    rows = "".join(f"<tr>{''.join(_cell(value) for value in row)}</tr>" for row in table.rows)
    note = f'<p class="note">{escape(table.note)}</p>' if table.note else ""
    return f"<h2>{escape(table.title)}</h2><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{note}"


def _cell(value: str | float) -> str:
    if isinstance(value, str):
        return f"<td>{escape(value)}</td>"
    return f'<td class="num">{"nan" if math.isnan(value) else f"{value:.4f}"}</td>'
