"""Time the ``otx`` command's start (help, an argument error) against Python's own start.

Each command runs ``--runs`` times as a subprocess (the ``otx`` script of this environment); the table gives
the median and the fastest wall time. ``python -c pass`` is the floor no command can go under.

Usage (from the repository root; on an otherwise idle machine)::

    python tools/bench_cli_start.py --runs 15
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench_common import fmt, print_markdown_table

OTX = Path(sys.executable).with_name("otx")
COMMANDS = {
    "python -c pass (floor)": [sys.executable, "-c", "pass"],
    "otx --help": [str(OTX), "--help"],
    "otx train --help": [str(OTX), "train", "--help"],
    "otx train --model no_such_model": [str(OTX), "train", "--data_root", ".", "--model", "no_such_model"],
}


def wall_times(command: list[str], runs: int) -> list[float]:
    """Seconds of each of ``runs`` runs of ``command`` (output discarded)."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return times


def main(argv: Sequence[str] | None = None) -> int:
    """Run each command, then print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per command (default 15)")
    args = parser.parse_args(argv)
    rows = []
    for name, command in COMMANDS.items():
        times = wall_times(command, args.runs)
        rows.append([name, fmt(statistics.median(times), ".3f", " s"), fmt(min(times), ".3f", " s")])
    print_markdown_table(
        f"otx start-up: {args.runs} runs per command",
        ["command", "median", "fastest"],
        rows,
        "wall time of the subprocess, output discarded",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
