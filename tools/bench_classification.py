"""Benchmark the classification recipes of the three classification tasks on small datasets, on this CPU.

Tasks (``--tasks``, default all three) and their datasets: multi-class on hymenoptera, multi-label
on otx-assets/multilabel_classification, hierarchical on otx-assets/hlabel_classification
(``--data_root`` replaces the dataset of every task run). The validation metric is each task's
monitored one: accuracy, mAP, or the hierarchical score. For each task and model it measures,
through the public :class:`otx.engine.Engine`:

* data-pipeline throughput: the recipe's train dataloader alone (its ``num_workers``), iterated for
  ``--data_epochs`` full epochs; the median epoch is reported;
* the limit: the same network, loss, optimizer, batch and threads in a plain torch loop on one
  augmented batch held in memory (``bench_measure.bare_loop_rate``), and training's ratio to it;
* training throughput: images per second of the training batches (time from the start of each
  training epoch to its last batch, so data waits and optimizer steps count, validation does not);
  the median epoch of every run, then the median over seeds;
* the validation metric after ``--epochs`` epochs from random init: the final epoch's and the best
  epoch's (the one ``Engine.train`` restores and returns), median over ``--seeds``;
* peak memory: the largest sum of the resident set sizes of this process and all its descendants
  (dataloader workers included), see :mod:`bench_measure`.

Usage (from the repository root)::

    python tools/bench_classification.py                       # tiny_resnet, seed 0, 10 epochs, 3 tasks
    python tools/bench_classification.py --tasks MULTI_CLASS_CLS --epochs 5
    python tools/bench_classification.py --compare --seeds 0 1 2 --json bench.json
    python tools/bench_classification.py --set data.batch_size=32 --set optimizer.lr=0.002
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench_common import (
    DATASETS,
    add_common_options,
    add_limit_option,
    fmt,
    log,
    parse_set,
    ratio,
    set_threads,
    work_root,
    write_json,
)
from bench_measure import PeakMemory, bare_loop_rate, measure_data_pipeline, train_timer

TASK_DATA = {
    "MULTI_CLASS_CLS": DATASETS / "hymenoptera",
    "MULTI_LABEL_CLS": DATASETS / "otx-assets" / "multilabel_classification",
    "H_LABEL_CLS": DATASETS / "otx-assets" / "hlabel_classification",
}
MONITOR = {"MULTI_CLASS_CLS": "val/accuracy", "MULTI_LABEL_CLS": "val/map", "H_LABEL_CLS": "val/score"}
DEFAULT_MODEL = "tiny_resnet"
COMPARE_MODEL = "timm_mobilenetv3_small"


# ------------------------------------------------------------------------------------------- training
def train_once(
    task: str, model: str, data_root: Path, work_dir: Path, seed: int, epochs: int, overrides: dict[str, Any]
) -> dict[str, Any]:
    """One ``Engine.train`` run; images/s of the training batches and the validation metric."""
    from otx.engine import Engine

    engine = Engine(data_root=data_root, task=task, model=model, work_dir=work_dir, seed=seed, overrides=overrides)
    timer = train_timer()
    start = time.perf_counter()
    best = engine.train(max_epochs=epochs, callbacks=[timer])
    fit_seconds = time.perf_counter() - start
    run = engine.work_dir.latest("train")
    stored = json.loads((run / "metrics.json").read_text()) if run and (run / "metrics.json").is_file() else {}
    train_images = 0
    result: dict[str, Any] = {"seed": seed, "best_val_accuracy": best.get(MONITOR[task])}
    if timer.epochs:
        train_images = sum(images for images, _ in timer.epochs)
        result |= {
            "train_images_per_s": timer.median_rate,
            "train_images_per_s_overall": train_images / sum(seconds for _, seconds in timer.epochs),
            "train_images_per_s_per_epoch": timer.rates,
            "val_accuracy_per_epoch": timer.val_scores,
            "final_val_accuracy": timer.val_scores[-1] if timer.val_scores else None,
        }
    else:
        result |= {"train_images_per_s": None, "final_val_accuracy": None}
    result["fit_seconds"] = stored.get("train_seconds", fit_seconds)
    if train_images:
        result["fit_images_per_s_incl_val"] = train_images / result["fit_seconds"]
    result["recipe"] = {
        "input_size": list(engine.config.data.input_size),
        "batch_size": engine.config.data.batch_size,
        "num_workers": engine.config.data.num_workers,
        "lr": engine.config.optimizer.lr,
        "init_args": dict(engine.config.model.init_args),
    }
    return result


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def bench_model(
    task: str, model: str, args: argparse.Namespace, overrides: dict[str, Any], memory: PeakMemory, root: Path
) -> dict[str, Any]:
    from otx.engine import Engine

    memory.reset()
    data_root = (args.data_root or TASK_DATA[task]).resolve()
    probe = Engine(
        data_root=data_root, task=task, model=model, work_dir=root / "probe", seed=args.seeds[0], overrides=overrides
    )
    data = measure_data_pipeline(probe, args.data_epochs) if args.data_epochs > 0 else None
    limit = bare_loop_rate(probe, args.limit_steps) if args.limit_steps > 0 else None
    data_peak = memory.peak_bytes()
    runs = []
    train_peak = 0
    for seed in args.seeds:
        gc.collect()
        memory.reset()
        run = train_once(task, model, data_root, root / f"{task}_{model}_seed{seed}", seed, args.epochs, overrides)
        run["peak_memory_bytes"] = memory.peak_bytes()
        train_peak = max(train_peak, run["peak_memory_bytes"])
        runs.append(run)
        log(
            f"{task} {model} seed {seed}: final val {fmt(run.get('final_val_accuracy'), '.3f')}, "
            f"best val {fmt(run.get('best_val_accuracy'), '.3f')}, "
            f"train {fmt(run.get('train_images_per_s'), '.1f')} img/s, peak {run['peak_memory_bytes'] / 2**30:.2f} GiB"
        )
    return {
        "task": task,
        "data_root": str(data_root),
        "metric": MONITOR[task],
        "model": model,
        "data_images_per_s": data["images_per_s"] if data else None,
        "data_pipeline": data,
        "limit_images_per_s": limit,
        "train_images_per_s": _median([r.get("train_images_per_s") for r in runs]),
        "final_val_accuracy": _median([r.get("final_val_accuracy") for r in runs]),
        "min_final_val_accuracy": min(
            (r["final_val_accuracy"] for r in runs if r.get("final_val_accuracy") is not None), default=None
        ),
        "best_val_accuracy": _median([r.get("best_val_accuracy") for r in runs]),
        "peak_memory_bytes": max(data_peak if memory.method != "getrusage" else 0, train_peak),
        "runs": runs,
    }


# ------------------------------------------------------------------------------------------- output
def print_table(rows: list[dict[str, Any]], args: argparse.Namespace, memory_method: str) -> None:
    seeds = ",".join(str(s) for s in args.seeds)
    title = (
        f"Classification benchmark: {args.epochs} epochs, seeds {seeds}, "
        f"torch threads {args.threads} (medians over seeds)"
    )
    headers = [
        "task",
        "dataset",
        "model",
        "data img/s",
        "limit img/s",
        "train img/s",
        "train/limit",
        "metric",
        "val (final)",
        "min val (final)",
        "val (best)",
        "peak mem",
    ]
    body = [
        [
            row["task"],
            Path(row["data_root"]).name,
            row["model"],
            fmt(row["data_images_per_s"], ".1f"),
            fmt(row["limit_images_per_s"], ".1f"),
            fmt(row["train_images_per_s"], ".1f"),
            fmt(ratio(row["train_images_per_s"], row["limit_images_per_s"]), ".2f"),
            row["metric"],
            fmt(row["final_val_accuracy"], ".3f"),
            fmt(row["min_final_val_accuracy"], ".3f"),
            fmt(row["best_val_accuracy"], ".3f"),
            f"{row['peak_memory_bytes'] / 2**30:.2f} GiB",
        ]
        for row in rows
    ]
    caption = (
        f"data: train dataloader alone, recipe num_workers, median of {args.data_epochs} epochs; "
        "limit: the same network, batch and threads in a plain torch loop on one batch in memory; "
        f"train: training batches only, median epoch; peak mem: {memory_method}, process tree RSS"
    )
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, caption=caption)
    for i, header in enumerate(headers):
        table.add_column(header, justify="left" if i == 0 else "right")
    for r in body:
        table.add_row(*r)
    Console(width=max(120, len(title) + 4)).print(table)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data_root",
        type=Path,
        help="dataset folder for every task run (default: each task's dataset under ../shared/datasets)",
    )
    parser.add_argument("--tasks", nargs="+", choices=list(TASK_DATA), default=list(TASK_DATA), help="tasks to run")
    parser.add_argument("--models", nargs="+", default=[DEFAULT_MODEL], help=f"recipes (default {DEFAULT_MODEL})")
    parser.add_argument("--compare", action="store_true", help=f"also benchmark {COMPARE_MODEL}")
    parser.add_argument("--epochs", type=int, default=10, help="training epochs per run (default 10)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="seeds, one training run each")
    parser.add_argument("--data_epochs", type=int, default=3, help="epochs of the data-pipeline test (0: skip)")
    add_common_options(parser)
    add_limit_option(parser)
    args = parser.parse_args(argv)
    if args.compare and COMPARE_MODEL not in args.models:
        args.models.append(COMPARE_MODEL)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    overrides = parse_set(args.set)
    set_threads(args.threads)
    rows = []
    with PeakMemory() as memory, work_root(args.work_dir) as root:
        for task in args.tasks:
            for model in args.models:
                rows.append(bench_model(task, model, args, overrides, memory, root))
    print_table(rows, args, memory.method)
    if args.json:
        import torch

        payload = {
            "tasks": args.tasks,
            "epochs": args.epochs,
            "seeds": args.seeds,
            "threads": args.threads,
            "cpu_count": os.cpu_count(),
            "torch": torch.__version__,
            "python": platform.python_version(),
            "memory_method": memory.method,
            "overrides": overrides,
            "results": rows,
        }
        write_json(args.json, payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
