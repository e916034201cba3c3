"""Command-line plumbing the benchmark scripts share: options, overrides, work folder, output."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"


def add_common_options(
    parser: argparse.ArgumentParser, *, set_option: bool = True, work_dir_help: str = "keep the runs here"
) -> None:
    """Add ``--threads``, ``--work_dir``, ``--json`` and, with ``set_option``, the repeatable ``--set``."""
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    if set_option:
        parser.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="recipe override for every model, e.g. --set data.batch_size=32 (repeatable)",
        )
    parser.add_argument("--work_dir", type=Path, help=f"{work_dir_help} (default: a temporary folder)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")


def add_limit_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--limit_steps``: timed steps of the bare-loop limit (``bench_measure.bare_loop_rate``)."""
    parser.add_argument(
        "--limit_steps", type=int, default=20, help="timed steps of the bare-loop limit (0: skip; default 20)"
    )


def parse_set(items: Sequence[str]) -> dict[str, Any]:
    """The ``--set`` items as recipe overrides; a malformed item exits with the message."""
    from otx.core.config.overrides import parse_overrides
    from otx.core.errors import ConfigError

    try:
        return parse_overrides(items)
    except ConfigError as exc:
        raise SystemExit(str(exc)) from None


def set_threads(threads: int) -> None:
    """Let torch use ``threads`` threads for intra-op work."""
    import torch

    torch.set_num_threads(threads)


@contextmanager
def work_root(path: Path | None) -> Iterator[Path]:
    """``path`` (created if missing), or a temporary folder removed on exit."""
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="otx-bench-") as tmp:
        yield Path(tmp)


def write_json(path: Path | None, payload: Any) -> None:
    """Write ``payload`` as indented JSON to ``path`` (paths and other objects as strings); no path, no file."""
    if path is not None:
        path.write_text(json.dumps(payload, indent=2, default=str))


def log(message: str) -> None:
    """A progress line on stderr, so that stdout holds only the table."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def fmt(value: float | None, spec: str, unit: str = "") -> str:
    """``value`` formatted with ``spec`` and ``unit``, ``-`` when missing."""
    return "-" if value is None else format(value, spec) + unit


def print_markdown_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]], note: str) -> None:
    """A title line, the table in Markdown (so that it pastes into docs as it is), a note line."""
    print(title)
    print("| " + " | ".join(headers) + " |")
    print("|" + "|".join("---" for _ in headers) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(note)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``, ``None`` when either is missing or the denominator is zero."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator
