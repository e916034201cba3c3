"""What a run tells the user: its choices, a summary table and ``metrics.json``."""

import json
import math
from collections.abc import Mapping
from pathlib import Path

from rich.console import Console
from rich.table import Table

__all__ = ["console", "print_choices", "print_summary", "write_metrics"]

console = Console(stderr=False, highlight=False)


def print_choices(choices: list[str]) -> None:
    """Print what auto-configuration chose."""
    for line in choices:
        console.print(f"[bold cyan]otx[/] {line}")


def write_metrics(metrics: Mapping[str, float], path: Path) -> None:
    """Write metrics as JSON, atomically."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(dict(metrics), indent=2, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


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
