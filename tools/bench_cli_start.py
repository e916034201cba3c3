"""Time the ``otx`` command's start (help, an argument error) against Python's own start.

Each command runs ``--runs`` times as a subprocess (the ``otx`` script of this environment); the table gives
the median and the fastest wall time. ``python -c pass`` is the floor no command can go under. Help pages
run twice: with an empty cache folder each time (``first``: rendered by the CLI) and with one that holds
the copy the script keeps of a page it printed (``again``, see ``otx.cli.help_cache``).

Usage (from the repository root; on an otherwise idle machine)::

    python tools/bench_cli_start.py --runs 15
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench_common import fmt, print_markdown_table

OTX = Path(sys.executable).with_name("otx")
COMMANDS = {
    "python -c pass (floor)": ([sys.executable, "-c", "pass"], False),
    "otx --help (first)": ([str(OTX), "--help"], True),
    "otx --help (again)": ([str(OTX), "--help"], False),
    "otx train --help (first)": ([str(OTX), "train", "--help"], True),
    "otx train --help (again)": ([str(OTX), "train", "--help"], False),
    "otx train --model no_such_model": ([str(OTX), "train", "--data_root", ".", "--model", "no_such_model"], False),
}


def wall_times(command: list[str], runs: int, cache: Path, fresh_cache: bool) -> list[float]:
    """Seconds of each of ``runs`` runs of ``command`` (output discarded), the help copies kept in ``cache``.

    ``fresh_cache``: each run gets an empty cache folder of its own.
    """
    times = []
    for run in range(runs):
        folder = cache / f"fresh-{run}" if fresh_cache else cache / "kept"
        env = {**os.environ, "XDG_CACHE_HOME": str(folder)}
        start = time.perf_counter()
        subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - start)
    return times


def main(argv: Sequence[str] | None = None) -> int:
    """Run each command, then print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per command (default 15)")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        for name, (command, fresh_cache) in COMMANDS.items():
            times = wall_times(command, args.runs, Path(cache), fresh_cache)
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
