"""Where each training step's time goes, per task and loader/thread setting, against the bare-loop limit.

Each run trains a task's default model through :class:`otx.engine.Engine` with ``trainer.profiler=simple``
(Lightning's simple profiler) and reads the profiler's recorded durations at the end of the fit. Per
training step (the median step over all epochs but the first, so loader start-up does not count):

* data wait: ``train_dataloader_next`` (the loader's next batch, waits for loader processes included);
* forward: the strategy's ``training_step`` (the model's forward, loss and its ``self.log`` calls);
* backward: the strategy's ``backward``;
* optimizer: ``optimizer_step`` less the forward and backward it runs as its closure (the update itself);
* rest of step: the step's remaining work (zero_grad, callbacks' and the module's batch hooks, logging);
  moving the batch to the CPU "device" is not timed apart (a fraction of a millisecond);

then train img/s (training batches only, median epoch, as the benchmarks measure it), the limit (the
same network, batch and ``--threads`` threads in a plain torch loop on one batch held in memory,
``bench_measure.bare_loop_rate``) and their ratio; per epoch, validation and checkpoint seconds.

Variants (``--variants``): ``plain`` (the recipe and the Engine's defaults on this machine), and with the
loader settings pinned: ``1_worker_no_cache`` (one loader process, images decoded every epoch: the
defaults on two cores before these measurements), ``1_thread_1_worker`` (the same with one torch thread,
the loader process on the other core), ``0_workers_no_cache`` (loading in the training process),
``cache_1_worker`` and ``cache_0_workers`` (``data.cache=ram``: images decoded once).

Usage (from the repository root; serialize CPU-heavy runs)::

    flock /tmp/otx-cpu.lock python tools/profile_training.py --epochs 3
    python tools/profile_training.py --tasks MULTI_CLASS_CLS --variants plain 1_worker_no_cache --epochs 2
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench_common import (
    add_common_options,
    add_limit_option,
    fmt,
    log,
    parse_set,
    print_markdown_table,
    ratio,
    set_threads,
    work_root,
    write_json,
)
from bench_measure import bare_loop_rate, train_timer
from bench_tasks import TASK_DATA, task_data_root

VARIANTS: dict[str, dict[str, Any]] = {
    "plain": {},
    "1_worker_no_cache": {"data.num_workers": 1, "data.cache": "none"},
    "1_thread_1_worker": {"trainer.num_threads": 1, "data.num_workers": 1, "data.cache": "none"},
    "0_workers_no_cache": {"data.num_workers": 0, "data.cache": "none"},
    "cache_1_worker": {"data.num_workers": 1, "data.cache": "ram"},
    "cache_0_workers": {"data.num_workers": 0, "data.cache": "ram"},
}
STEP_PARTS = ("data wait", "forward", "backward", "optimizer", "rest of step")


def _one(durations: dict[str, list[float]], suffix: str) -> list[float]:
    """The durations of the one recorded action whose name ends with ``suffix`` (empty when none)."""
    for name, values in durations.items():
        if name.endswith(suffix):
            return values
    return []


def step_breakdown(durations: dict[str, list[float]], steps_per_epoch: int) -> dict[str, float]:
    """Median milliseconds per training step of each part, and seconds per epoch of validation/checkpoints."""
    skip = steps_per_epoch  # the first epoch: loader processes start, caches warm up

    def per_step(values: list[float]) -> list[float]:
        return values[skip:] if len(values) > skip else values

    batch = per_step(durations.get("run_training_batch", []))
    data = per_step(_one(durations, "].train_dataloader_next"))
    forward = per_step(_one(durations, "Strategy.training_step"))
    backward = per_step(_one(durations, "Strategy.backward"))
    optimizer_step = per_step(_one(durations, ".optimizer_step"))
    count = min(len(batch), len(forward), len(backward), len(optimizer_step)) or 1
    optimizer = [optimizer_step[i] - forward[i] - backward[i] for i in range(count)]
    rest = [batch[i] - optimizer_step[i] for i in range(count)]
    epochs = max(len(durations.get("run_training_epoch", [])), 1)
    validation = sum(_one(durations, "Strategy.validation_step")) + sum(_one(durations, "].val_next"))
    checkpoint = sum(durations.get("save_checkpoint", []))

    def ms(values: list[float]) -> float:
        return 1000 * statistics.median(values) if values else 0.0

    return {
        "data wait": ms(data),
        "forward": ms(forward),
        "backward": ms(backward),
        "optimizer": ms(optimizer),
        "rest of step": ms(rest),
        "validation s/epoch": validation / epochs,
        "checkpoint s/epoch": checkpoint / epochs,
    }


def profile_run(task: str, data_root: Path, overrides: dict[str, Any], args: argparse.Namespace, work: Path) -> dict:
    """Train ``args.epochs`` epochs with the profiler on; the step breakdown, speed and limit."""
    from lightning.pytorch.callbacks import Callback

    from otx.engine import Engine

    recorded: dict[str, list[float]] = {}
    steps: list[int] = []

    class KeepProfile(Callback):
        """Copies the profiler's recorded durations before Lightning's teardown writes and clears them."""

        def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
            recorded.update({name: list(values) for name, values in trainer.profiler.recorded_durations.items()})
            steps.append(int(trainer.num_training_batches))

    engine = Engine(
        data_root=data_root,
        task=task,
        work_dir=work,
        seed=args.seed,
        overrides={**overrides, "trainer.profiler": "simple"},
    )
    timer = train_timer()
    engine.train(max_epochs=args.epochs, callbacks=[timer, KeepProfile()])
    assert engine.config is not None
    limit = bare_loop_rate(engine, steps=args.limit_steps) if args.limit_steps else None
    return {
        "model": engine.config.model.name,
        "batch": engine.config.data.batch_size,
        "train_images_per_s": timer.median_rate,
        "limit_images_per_s": limit,
        **step_breakdown(recorded, steps[0] if steps else 0),
    }


def print_table(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    """One row per task and variant: milliseconds per step by part, speed, limit and ratio."""
    body = [
        [
            row["task"],
            row["model"],
            row["variant"],
            *(fmt(row[part], ".1f") for part in STEP_PARTS),
            fmt(row["validation s/epoch"], ".2f"),
            fmt(row["train_images_per_s"], ".1f"),
            fmt(row["limit_images_per_s"], ".1f"),
            fmt(ratio(row["train_images_per_s"], row["limit_images_per_s"]), ".2f"),
        ]
        for row in rows
    ]
    print_markdown_table(
        f"Training step profile: {args.epochs} epochs, seed {args.seed}, {args.threads} torch threads "
        "(the limit's threads; a variant may train with fewer)",
        [
            "task",
            "model",
            "variant",
            *(f"{part} ms" for part in STEP_PARTS),
            "val s/epoch",
            "train img/s",
            "limit",
            "train/limit",
        ],
        body,
        "ms: median per training step, first epoch left out (Lightning's simple profiler); train img/s: training "
        "batches only, median epoch; limit: bare torch loop, same network, batch and threads",
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", nargs="+", choices=list(TASK_DATA), default=list(TASK_DATA), help="tasks to run")
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS), help="variants")
    parser.add_argument(
        "--epochs", type=int, default=3, help="training epochs per run (default 3; the first is left out)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of every run")
    add_limit_option(parser)
    add_common_options(parser)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Profile each task's variants, then print the table."""
    args = parse_args(argv)
    overrides = parse_set(args.set)
    set_threads(args.threads)
    rows = []
    with work_root(args.work_dir) as work:
        for task in args.tasks:
            data_root = task_data_root(task, work)
            for variant in args.variants:
                row = profile_run(task, data_root, {**overrides, **VARIANTS[variant]}, args, work / task / variant)
                log(f"{task} {variant}: {row}")
                rows.append({"task": task, "variant": variant, **row})
    print_table(rows, args)
    write_json(args.json, {"args": {k: str(v) for k, v in vars(args).items()}, "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
