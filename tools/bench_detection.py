"""Benchmark the detection recipes on BCCD (Pascal VOC, 205 train / 87 val / 72 test photos), on this CPU.

Every model trains from random init for the same ``--epochs`` with its own recipe, through the
public :class:`otx.engine.Engine`. For each model:

* data-pipeline throughput: the recipe's train dataloader alone (decoding and augmentation, its
  ``num_workers``), iterated for ``--data_epochs`` full epochs, median epoch;
* the limit: the same network, loss, optimizer, batch and threads in a plain torch loop on one
  augmented batch held in memory (``bench_measure.bare_loop_rate``), and training's ratio to it;
* training throughput: images per second of the training batches (from the start of each training
  epoch to its last batch: data waits and optimizer steps count, validation does not), median epoch;
* mAP@50 and mAP (COCO, IoU 0.50:0.95) on the validation subset: of the final epoch, and of the best
  epoch (the checkpoint ``Engine.train`` keeps, chosen on validation mAP@50);
* the same checkpoint on the test subset, which took no part in choosing it (``Engine.test``);
* peak memory of training: the largest sum of the resident set sizes of this process and its
  dataloader workers (see ``bench_measure.PeakMemory``);
* inference latency at batch 1 in eager torch, post-processing (NMS) included: median of 30 calls
  on one validation image at the recipe's input size, after 5 warm-up calls.

Usage (from the repository root, on a quiet machine: other processes on the CPU distort every figure)::

    flock /tmp/otx-cpu.lock python tools/bench_detection.py
    flock /tmp/otx-cpu.lock python tools/bench_detection.py --models tiny_det --set optimizer.lr=0.004
    flock /tmp/otx-cpu.lock .nox/mmdet/bin/python tools/bench_detection.py --models tiny_det rtmdet_tiny
    flock /tmp/otx-cpu.lock .nox/mmdet/bin/python tools/bench_detection.py \
        --models tiny_det tiny_det_albumentations tiny_det_mmdet_aug    # the augmentation pipelines
"""

from __future__ import annotations

import argparse
import json
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
    print_markdown_table,
    ratio,
    set_threads,
    work_root,
    write_json,
)
from bench_measure import PeakMemory, bare_loop_rate, measure_data_pipeline, train_timer

DEFAULT_DATA_ROOT = DATASETS / "bccd"
DEFAULT_MODELS = ("tiny_det", "ssdlite_mobilenetv3", "fasterrcnn_mobilenetv3")
EXTRA_MODELS = {"mmdet": ("rtmdet_tiny", "tiny_det_mmdet_aug"), "albumentations": ("tiny_det_albumentations",)}
"""Benchmarked by default where the library of the extra otx-detection[mmdet] or [albumentations] is installed
(docs/mm-extras.md)."""


def default_models() -> list[str]:
    """Our recipes, and those of the extras whose library is installed."""
    import importlib.util

    extras = [name for library, names in EXTRA_MODELS.items() if importlib.util.find_spec(library) for name in names]
    return [*DEFAULT_MODELS, *extras]


def _latency_callback_class() -> type[Any]:
    from lightning.pytorch.callbacks import Callback

    class Latency(Callback):
        """After training: median eager latency of one validation image, post-processing included."""

        median_ms: float | None = None

        def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
            import torch

            datamodule = trainer.datamodule
            batch = datamodule.adapter.collate([datamodule.dataset("val")[0]])
            pl_module.eval()
            times = []
            with torch.no_grad():
                for i in range(35):
                    start = time.perf_counter()
                    pl_module.predict_batch(batch)
                    if i >= 5:
                        times.append(time.perf_counter() - start)
            self.median_ms = 1000 * statistics.median(times)

    return Latency


def bench_model(model: str, args: argparse.Namespace, overrides: dict[str, Any], work: Path) -> dict[str, Any]:
    """Train, test and time one recipe."""
    from otx.engine import Engine

    memory = PeakMemory()
    engine = Engine(data_root=args.data_root, model=model, work_dir=work, seed=args.seed, overrides=overrides)
    data = measure_data_pipeline(engine, args.data_epochs) if args.data_epochs > 0 else None
    limit = bare_loop_rate(engine, args.limit_steps) if args.limit_steps > 0 else None
    timer, latency = train_timer(), _latency_callback_class()()
    with memory:
        memory.reset()
        best = engine.train(max_epochs=args.epochs, callbacks=[timer, latency])
        peak = memory.peak_bytes()
    run = engine.work_dir.latest("train")
    final = _final_val_metrics(run / "logs" / "metrics.csv") if run else {}
    tested = Engine(work_dir=work).test()
    config = engine.config
    assert config is not None
    row = {
        "model": model,
        "input_size": list(config.data.input_size),
        "batch_size": config.data.batch_size,
        "data_images_per_s": data["images_per_s"] if data else None,
        "limit_images_per_s": limit,
        "train_images_per_s": timer.median_rate,
        "val_map_50_final": final.get("val/map_50"),
        "val_map_final": final.get("val/map"),
        "val_map_50_best": best.get("val/map_50"),
        "val_map_best": best.get("val/map"),
        "test_map_50": tested.get("test/map_50"),
        "test_map": tested.get("test/map"),
        "val_ap_per_class_best": {k: v for k, v in best.items() if k.startswith("val/AP_")},
        "peak_memory_bytes": peak,
        "latency_ms": latency.median_ms,
    }
    log(json.dumps(row))
    return row


def _final_val_metrics(csv_path: Path) -> dict[str, float]:
    import csv

    if not csv_path.is_file():
        return {}
    with csv_path.open() as file:
        rows = [r for r in csv.DictReader(file) if r.get("val/map_50")]
    return {k: float(v) for k, v in rows[-1].items() if k.startswith("val/") and v} if rows else {}


def print_table(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    """The results as a Markdown table."""
    headers = [
        "model",
        "input",
        "data img/s",
        "limit img/s",
        "train img/s",
        "train/limit",
        "val mAP@50 (final)",
        "val mAP (final)",
        "val mAP@50 (best)",
        "val mAP (best)",
        "test mAP@50",
        "test mAP",
        "peak mem",
        "latency",
    ]
    body = [
        [
            r["model"],
            "x".join(map(str, r["input_size"])),
            fmt(r.get("data_images_per_s"), ".1f"),
            fmt(r.get("limit_images_per_s"), ".1f"),
            fmt(r["train_images_per_s"], ".1f"),
            fmt(ratio(r["train_images_per_s"], r.get("limit_images_per_s")), ".2f"),
            fmt(r["val_map_50_final"], ".3f"),
            fmt(r["val_map_final"], ".3f"),
            fmt(r["val_map_50_best"], ".3f"),
            fmt(r["val_map_best"], ".3f"),
            fmt(r["test_map_50"], ".3f"),
            fmt(r["test_map"], ".3f"),
            fmt(r["peak_memory_bytes"] / 2**30, ".2f", " GiB"),
            fmt(r["latency_ms"], ".1f", " ms"),
        ]
        for r in rows
    ]
    print_markdown_table(
        f"Detection benchmark: {Path(args.data_root).name}, {args.epochs} epochs from random init, seed {args.seed}, "
        f"torch threads {args.threads}",
        headers,
        body,
        "data img/s: the recipe's train dataloader alone (augmentation included), median of --data_epochs epochs; "
        "limit img/s: the same network, batch and threads in a plain torch loop on one batch in memory; "
        "train img/s: training batches only, median epoch; best: the epoch with the best val mAP@50 (the kept "
        "checkpoint), also scored on test; latency: batch 1, eager torch with NMS, median of 30; peak mem: tree RSS",
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data_root", type=Path, default=DEFAULT_DATA_ROOT, help="BCCD (Pascal VOC) folder")
    parser.add_argument("--models", nargs="+", default=default_models(), help="recipes to compare")
    parser.add_argument("--epochs", type=int, default=12, help="training epochs per model (default 12)")
    parser.add_argument("--seed", type=int, default=0, help="seed of training")
    parser.add_argument(
        "--data_epochs", type=int, default=2, help="epochs of the train dataloader alone, timed (0: skip; default 2)"
    )
    add_common_options(parser)
    add_limit_option(parser)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Benchmark each model in turn, then print the table."""
    args = parse_args(argv)
    if not (args.data_root / "Annotations").is_dir():
        raise SystemExit(f"No BCCD dataset at {args.data_root} (expected Annotations/, JPEGImages/, ImageSets/)")
    overrides = parse_set(args.set)
    set_threads(args.threads)
    with work_root(args.work_dir) as work:
        rows = [bench_model(model, args, overrides, work / model) for model in args.models]
    print_table(rows, args)
    write_json(args.json, {"args": vars(args), "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
