"""What a run tells the user: its choices, a summary table, ``metrics.json`` and ``predictions.csv``."""

import csv
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

__all__ = [
    "METRICS_FILE",
    "console",
    "print_benchmark",
    "print_choices",
    "print_summary",
    "scalars",
    "write_metrics",
    "write_predictions",
]

METRICS_FILE = "metrics.json"

console = Console(stderr=False, highlight=False)


def print_choices(command: str, choices: Sequence[str]) -> None:
    """Print a command's plan: each choice with its reason."""
    console.print(f"[bold cyan]otx[/] {command}")
    for line in choices:
        console.print(f"[bold cyan]otx[/]   {escape(line)}", soft_wrap=True)


def scalars(metrics: Mapping[str, Any]) -> dict[str, float]:
    """Metrics as plain floats, sorted by name."""
    return {name: float(value) for name, value in sorted(metrics.items())}


def write_metrics(metrics: Mapping[str, Any], path: Path) -> None:
    """Write metrics (or any JSON-able mapping) as JSON, atomically."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(dict(metrics), indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


def write_predictions(rows: Sequence[Mapping[str, Any]], path: Path) -> None:
    """Write prediction rows as CSV, atomically: ``path`` is the whole new file or what it was before.

    File names the file system holds as bytes that are not UTF-8 are written back as those bytes
    (``surrogateescape``), so that each row's path opens its image.
    """
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("w", newline="", encoding="utf-8", errors="surrogateescape") as file:
            writer = csv.DictWriter(file, fieldnames=list(rows[0]) if rows else ["path"])
            writer.writeheader()
            writer.writerows(rows)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def print_summary(title: str, metrics: Mapping[str, float], facts: Mapping[str, str]) -> None:
    """A table of metrics and facts (run folder, checkpoint, time)."""
    table = Table(title=title, show_header=True, header_style="bold")
    table.add_column("")
    table.add_column("value", justify="right")
    for name, value in metrics.items():
        table.add_row(name, "nan" if math.isnan(value) else f"{value:.4f}")
    for name, text in facts.items():
        table.add_row(name, text)
    console.print(table)


def print_benchmark(title: str, rows: Sequence[Mapping[str, Any]], size: Mapping[str, float]) -> None:
    """Latency table with the speed-up over torch eager at each batch size."""
    eager = {row["batch"]: row["median_ms"] for row in rows if row["model"] == "torch eager"}
    table = Table(title=f"{title} ({size['parameters'] / 1e6:.2f} M parameters, {size['gflops']:.3f} GFLOPs/image)")
    for column in ("model", "batch", "median ms", "p90 ms", "images/s", "speed-up", "runtime"):
        table.add_column(column, justify="left" if column in ("model", "runtime") else "right")
    for row in rows:
        speedup = eager[row["batch"]] / row["median_ms"]
        table.add_row(
            row["model"],
            str(row["batch"]),
            f"{row['median_ms']:.2f}",
            f"{row['p90_ms']:.2f}",
            f"{row['images_per_s']:.1f}",
            f"{speedup:.2f}x",
            str(row.get("runtime", "")),
        )
    console.print(table)
