"""Training images/s of each task's default model with and without IPEX, in fp32 and bf16, on the CPU.

A bare training loop (forward, loss, backward, optimizer step) over batches of the real datasets,
decoded once before timing, so the figure is the model's and IPEX's, not the data pipeline's. Runs in
the IPEX environment (``uv run nox -s ipex`` makes it; see docs/devices.md)::

    .nox/ipex/bin/python tools/bench_ipex.py --steps 10
"""

from __future__ import annotations

import argparse
import copy
import itertools
import time
from pathlib import Path
from typing import Any

from bench_common import (
    DATASETS,
    add_common_options,
    fmt,
    log,
    print_markdown_table,
    set_threads,
    work_root,
    write_json,
)

TASKS = {"MULTI_CLASS_CLS": "hymenoptera", "DETECTION": "bccd", "SEMANTIC_SEGMENTATION": "membrane"}
"""Each task's dataset under ../shared/datasets; the task's default model trains on it."""


def batches(task: str, root: Path, count: int, work_dir: Path) -> tuple[Any, list[Any]]:
    """The task's default recipe (labels from the data) and ``count`` decoded training batches."""
    from otx.engine.build import build_datamodule
    from otx.engine.engine import Engine

    plan = Engine(data_root=root, task=task, work_dir=work_dir, overrides={"data.num_workers": 0}).plan("train")
    loader = build_datamodule(plan.config).train_dataloader()
    return plan.config, list(itertools.islice(itertools.cycle(loader), count))


def images_per_s(config: Any, data: list[Any], ipex: Any, bf16: bool, warmup: int) -> float:
    """Images/s of the timed steps after ``warmup`` steps."""
    import lightning
    import torch

    from otx.core.model.optim import build_optimizer
    from otx.engine.build import build_model
    from otx.engine.devices.ipex import optimize_options

    lightning.seed_everything(config.seed, verbose=False)
    model = build_model(config).train()
    optimizer = build_optimizer(model.parameters(), config.optimizer)
    if ipex is not None:
        dtype = torch.bfloat16 if bf16 else torch.float32
        options = optimize_options(ipex, dtype)
        model, optimizer = ipex.optimize(model, optimizer=optimizer, dtype=dtype, inplace=True, **options)
    images, start = 0, 0.0
    for step, batch in enumerate(data):
        if step == warmup:
            images, start = 0, time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = model(copy.copy(batch)).total
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        images += batch.batch_size
    return images / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=10, help="timed training steps per case (default 10)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first (default 3)")
    parser.add_argument("--tasks", nargs="*", default=list(TASKS), help=f"tasks (default: {' '.join(TASKS)})")
    add_common_options(parser, set_option=False)
    args = parser.parse_args()
    set_threads(args.threads)
    import torch

    from otx.engine.devices.ipex import find_ipex

    ipex, why = find_ipex()
    log(f"torch {torch.__version__}; IPEX: {why}")
    rows, results = [], []
    for task in args.tasks:
        root = DATASETS / TASKS[task]
        if not root.is_dir():
            log(f"skipping {task}: {root} is not there")
            continue
        with work_root(args.work_dir) as work_dir:
            config, data = batches(task, root, args.warmup + args.steps, work_dir)
        row = [task, config.model.name, str(config.data.batch_size), "x".join(map(str, config.data.input_size))]
        for bf16, use in itertools.product((False, True), (False, True)):
            if use and ipex is None:
                row.append("-")
                continue
            log(f"{task}: {'bf16' if bf16 else 'fp32'}, {'with' if use else 'without'} IPEX")
            speed = images_per_s(config, data, ipex if use else None, bf16, args.warmup)
            results.append({"task": task, "bf16": bf16, "ipex": use, "images_per_s": speed})
            row.append(fmt(speed, ".1f"))
        rows.append(row)
    headers = ["task", "model", "batch", "input", "fp32", "fp32 + IPEX", "bf16", "bf16 + IPEX"]
    print_markdown_table(
        f"Training images/s on the CPU ({args.threads} threads, torch {torch.__version__}, IPEX {why})",
        headers,
        rows,
        f"{args.steps} timed steps after {args.warmup} warm-up steps; batches decoded before timing.",
    )
    write_json(args.json, results)


if __name__ == "__main__":
    main()
