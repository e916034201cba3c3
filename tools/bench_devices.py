"""Train each task's default model on one device (CUDA by default) and print train images/s, peak memory, accuracy.

The same Engine path as on the CPU, with mixed precision on a GPU; no export. It needs the OTX packages
and their training dependencies (torch, torchvision, lightning, torchmetrics, datumaro, attrs, ...), not
OpenVINO or NNCF: where ``openvino`` is missing, a placeholder stands in for it (nothing here exports)::

    python tools/bench_devices.py                              # CUDA, 16-mixed, 10 epochs, 3 tasks
    python tools/bench_devices.py --accelerator cpu --epochs 1 --tasks MULTI_CLASS_CLS
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
import types
from pathlib import Path
from typing import Any

from bench_common import DATASETS, add_common_options, fmt, log, print_markdown_table, set_threads, work_root
from bench_common import write_json as save_json
from bench_measure import train_timer

TASKS = {
    "MULTI_CLASS_CLS": DATASETS / "hymenoptera",
    "DETECTION": DATASETS / "bccd",
    "SEMANTIC_SEGMENTATION": DATASETS / "membrane",
}


def without_openvino() -> None:
    """Let the OTX modules import where OpenVINO is not installed; using it raises, naming it."""
    for name in ("openvino", "nncf"):
        if importlib.util.find_spec(name) is None:
            placeholder = types.ModuleType(name)

            def missing(attribute: str, module: str = name) -> Any:
                raise ImportError(f"{module} is not installed here: tools/bench_devices.py does not export")

            placeholder.__getattr__ = missing  # type: ignore[method-assign]
            sys.modules[name] = placeholder


def peak_memory(accelerator: str) -> float | None:
    """Peak allocated device memory in MiB since the last reset; ``None`` on the CPU."""
    import torch

    if accelerator == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    if accelerator == "xpu":
        return torch.xpu.max_memory_allocated() / 2**20
    return None


def reset_peak(accelerator: str) -> None:
    import torch

    if accelerator == "cuda":
        torch.cuda.reset_peak_memory_stats()
    elif accelerator == "xpu":
        torch.xpu.reset_peak_memory_stats()


def train_one(task: str, root: Path, work_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """One training run of the task's default model; its speed, memory and best validation metric."""
    from otx.engine.engine import Engine

    overrides: dict[str, Any] = {"trainer.accelerator": args.accelerator, "trainer.precision": args.precision}
    if args.batch_size:
        overrides["data.batch_size"] = args.batch_size
    engine = Engine(data_root=root, task=task, work_dir=work_dir, seed=0, overrides=overrides)
    timer = train_timer()
    reset_peak(args.accelerator)
    metrics = engine.train(max_epochs=args.epochs, callbacks=[timer])
    plan = engine.last_plan
    assert plan is not None
    module, _, name = plan.config.model.class_path.rpartition(".")
    monitor = str(getattr(importlib.import_module(module), name).monitor)  # the metric the best checkpoint is chosen by
    return {
        "task": task,
        "model": plan.config.model.name,
        "device": plan.config.trainer.accelerator,
        "precision": plan.config.trainer.precision,
        "batch": plan.config.data.batch_size,
        "images_per_s": timer.median_rate,
        "peak_mib": peak_memory(plan.config.trainer.accelerator),
        "metric": monitor,
        "value": metrics.get(monitor),
    }


def device_name(accelerator: str) -> str:
    import platform

    import torch

    if accelerator == "cuda":
        return torch.cuda.get_device_name(0)
    if accelerator == "xpu":
        return str(torch.xpu.get_device_name(0))
    return platform.processor() or platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accelerator", default="cuda", choices=("cuda", "xpu", "cpu"), help="default cuda")
    parser.add_argument("--precision", help="default: 16-mixed on a GPU, 32-true on the CPU")
    parser.add_argument("--epochs", type=int, default=10, help="training epochs (default 10, as the task benchmarks)")
    parser.add_argument("--batch_size", type=int, help="default: the recipe's")
    parser.add_argument("--tasks", nargs="*", default=list(TASKS), help=f"default: {' '.join(TASKS)}")
    add_common_options(parser, set_option=False)
    args = parser.parse_args()
    args.precision = args.precision or ("32-true" if args.accelerator == "cpu" else "16-mixed")
    set_threads(args.threads)
    without_openvino()
    rows, results = [], []
    with work_root(args.work_dir) as root:
        for task in args.tasks:
            if not TASKS[task].is_dir():
                log(f"skipping {task}: {TASKS[task]} is not there")
                continue
            log(f"{task}: {args.epochs} epochs on {args.accelerator}, {args.precision}")
            result = train_one(task, TASKS[task], root / task, args)
            results.append(result)
            rows.append(
                [
                    task,
                    result["model"],
                    str(result["batch"]),
                    fmt(result["images_per_s"], ".1f"),
                    fmt(result["peak_mib"], ".0f", " MiB"),
                    f"{result['metric']} {fmt(result['value'], '.4f')}",
                ]
            )
    print_markdown_table(
        f"Training on {device_name(args.accelerator)} ({args.accelerator}, {args.precision}, {args.epochs} epochs)",
        ["task", "model", "batch", "train images/s", "peak memory", "best validation"],
        rows,
        "images/s: median epoch of the training batches (validation excluded); memory: peak allocated on the device.",
    )
    save_json(args.json, results)


if __name__ == "__main__":
    main()
