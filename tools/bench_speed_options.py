"""Measure training-speed options against plain training, side by side, for each task's default model.

Variants (``--variants``): ``plain`` (the recipe), ``channels_last`` (``trainer.channels_last``),
``compile`` (``trainer.compile``: torch.compile, inductor), ``cache_ram`` (``data.cache=ram``: images decoded
once into memory). Each trains ``--epochs`` epochs from random
init per seed, through :class:`otx.engine.Engine`, and reports:

* train img/s: images per second of the training batches (data waits and optimizer steps count,
  validation does not), the median epoch of each run, then the median over seeds;
* fit s: wall time of ``Engine.train`` (compilation, validation and checkpoints included), median;
* the monitored validation metric after the last epoch, median over seeds;
* each variant's ratio to ``plain`` for both speeds.

Datasets, as the task benchmarks use them: hymenoptera (classification), BCCD (detection), membrane
(semantic segmentation, converted as ``bench_segmentation`` does).

Usage (from the repository root; serialize CPU-heavy runs)::

    flock /tmp/otx-cpu.lock python tools/bench_speed_options.py --epochs 10 --seeds 0 1 2
    python tools/bench_speed_options.py --tasks MULTI_CLASS_CLS --variants plain compile --epochs 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench_common import (
    add_common_options,
    fmt,
    log,
    parse_set,
    print_markdown_table,
    ratio,
    set_threads,
    work_root,
    write_json,
)
from bench_measure import train_timer
from bench_tasks import TASK_DATA, task_data_root

VARIANTS: dict[str, dict[str, Any]] = {
    "plain": {},
    "channels_last": {"trainer.channels_last": True},
    "compile": {"trainer.compile": True},
    "cache_ram": {"data.cache": "ram"},
}
MONITOR = {"MULTI_CLASS_CLS": "val/accuracy", "DETECTION": "val/map_50", "SEMANTIC_SEGMENTATION": "val/mIoU"}


def train_variant(task: str, data_root: Path, overrides: dict[str, Any], seed: int, epochs: int, work: Path) -> dict:
    """One training run: median epoch images/s, fit seconds, the last validation metric."""
    from otx.engine import Engine

    engine = Engine(data_root=data_root, task=task, work_dir=work, seed=seed, overrides=overrides)
    timer = train_timer()
    start = time.perf_counter()
    engine.train(max_epochs=epochs, callbacks=[timer])
    assert engine.config is not None
    return {
        "model": engine.config.model.name,
        "train_images_per_s": timer.median_rate,
        "fit_seconds": time.perf_counter() - start,
        "final_val": timer.val_scores[-1] if timer.val_scores else None,
    }


def _median(values: list[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def bench_task(task: str, args: argparse.Namespace, overrides: dict[str, Any], work: Path) -> list[dict[str, Any]]:
    """A row per variant of ``task``'s default model."""
    data_root = task_data_root(task, work)
    rows = []
    for variant in args.variants:
        runs = []
        for seed in args.seeds:
            run = train_variant(
                task, data_root, {**overrides, **VARIANTS[variant]}, seed, args.epochs, work / f"{variant}_{seed}"
            )
            log(f"{task} {variant} seed {seed}: {run}")
            runs.append(run)
        rows.append(
            {
                "task": task,
                "model": runs[0]["model"],
                "variant": variant,
                "metric": MONITOR[task],
                "train_images_per_s": _median([r["train_images_per_s"] for r in runs]),
                "fit_seconds": _median([r["fit_seconds"] for r in runs]),
                "final_val": _median([r["final_val"] for r in runs]),
                "runs": runs,
            }
        )
    return rows


def print_table(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    """Markdown table, each variant's speeds also as a ratio to its task's plain run."""
    plain = {row["task"]: row for row in rows if row["variant"] == "plain"}
    body = []
    for row in rows:
        base = plain.get(row["task"], {})
        body.append(
            [
                row["task"],
                row["model"],
                row["variant"],
                fmt(row["train_images_per_s"], ".1f"),
                fmt(ratio(row["train_images_per_s"], base.get("train_images_per_s")), ".2f"),
                fmt(row["fit_seconds"], ".1f"),
                fmt(ratio(base.get("fit_seconds"), row["fit_seconds"]), ".2f"),
                row["metric"],
                fmt(row["final_val"], ".3f"),
            ]
        )
    seeds = ",".join(str(seed) for seed in args.seeds)
    print_markdown_table(
        f"Speed options: {args.epochs} epochs, seeds {seeds}, {args.threads} torch threads (medians over seeds)",
        ["task", "model", "variant", "train img/s", "x plain", "fit s", "x plain (fit)", "metric", "val (final)"],
        body,
        "train img/s: training batches only, median epoch; fit s: wall time of Engine.train incl. compilation and "
        "validation; x plain: speed relative to the recipe as it is (above 1: faster)",
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", nargs="+", choices=list(TASK_DATA), default=list(TASK_DATA), help="tasks to run")
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS), help="variants")
    parser.add_argument("--epochs", type=int, default=10, help="training epochs per run (default 10)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="seeds, one training run each")
    add_common_options(parser)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Benchmark each task's variants, then print the table."""
    args = parse_args(argv)
    overrides = parse_set(args.set)
    set_threads(args.threads)
    with work_root(args.work_dir) as work:
        rows = [row for task in args.tasks for row in bench_task(task, args, overrides, work / task)]
    print_table(rows, args)
    write_json(args.json, {"args": {k: str(v) for k, v in vars(args).items()}, "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
