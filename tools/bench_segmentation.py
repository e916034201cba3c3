"""Benchmark the semantic segmentation recipes on the membrane dataset, on this machine's CPU.

``../shared/datasets/membrane/train/{image,label}/N.png`` (grayscale images, 0/255 label PNGs) is
converted into the common semantic segmentation format with subset folders (``dataset_meta.json``
naming ``membrane`` (0) and ``cell`` (255)): a seeded shuffle puts ``--test`` images in a held-back
``test`` subset, ``--val`` in ``val`` (which picks the best epoch), the rest in ``train``. Then, for
each model, through the public :class:`otx.engine.Engine`:

* the limit: the same network, loss, optimizer, batch and threads in a plain torch loop on one
  augmented batch held in memory (``bench_measure.bare_loop_rate``), and training's ratio to it;
* training throughput: images per second of the training batches (from the start of each training
  epoch to its last batch; data waits and optimizer steps count, validation does not), median epoch;
* mIoU and Dice of the best-on-validation checkpoint on the held-back test subset (``Engine.test``),
  at the recipe's input size, plus the final epoch's validation mIoU;
* peak memory of training: the largest sum of the resident set sizes of this process and its
  dataloader workers (see ``bench_measure.PeakMemory``);
* inference latency at batch 1: the torch module (eager) and the exported OpenVINO IR (FP32).

Every model trains for the same ``--epochs`` with its own recipe (input size, batch, optimizer).

Usage (from the repository root, under the CPU lock shared with other benchmarks)::

    flock /tmp/otx-cpu.lock python tools/bench_segmentation.py
    flock /tmp/otx-cpu.lock python tools/bench_segmentation.py --models tiny_seg --set data.input_size=[320,320]
    flock /tmp/otx-cpu.lock .nox/mmseg/bin/python tools/bench_segmentation.py --models tiny_seg segformer_b0
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

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
from bench_measure import PeakMemory, bare_loop_rate, train_timer

DEFAULT_DATA_ROOT = DATASETS / "membrane"
DEFAULT_MODELS = ("tiny_seg", "lraspp_mobilenetv3", "deeplabv3_mobilenetv3")
MMSEG_MODELS = ("segformer_b0",)
"""Benchmarked by default where the extra otx-segmentation[mmseg] is installed (docs/mm-extras.md)."""
LABELS = {"0": "membrane", "1": "cell"}


def default_models() -> list[str]:
    """Our recipes, and the MMSegmentation ones where mmseg is installed."""
    import importlib.util

    return [*DEFAULT_MODELS, *(MMSEG_MODELS if importlib.util.find_spec("mmseg") else ())]


def convert_membrane(source: Path, target: Path, n_val: int, n_test: int, seed: int) -> Path:
    """Write ``source`` as common semantic segmentation with ``train``/``val``/``test`` subset folders."""
    labels_dir = source / "train" / "label"
    images_dir = source / "train" / "image"
    names = sorted((p.name for p in images_dir.glob("*.png")), key=lambda n: int(Path(n).stem))
    if len(names) <= n_val + n_test:
        raise SystemExit(f"{images_dir} has {len(names)} images; need more than --val + --test = {n_val + n_test}")
    random.Random(seed).shuffle(names)
    subsets = {"test": names[:n_test], "val": names[n_test : n_test + n_val], "train": names[n_test + n_val :]}
    for subset, members in subsets.items():
        (target / subset / "images").mkdir(parents=True, exist_ok=True)
        (target / subset / "masks").mkdir(parents=True, exist_ok=True)
        (target / subset / "dataset_meta.json").write_text(json.dumps({"label_map": LABELS}))
        for name in members:
            shutil.copy(images_dir / name, target / subset / "images" / name)
            label = np.asarray(Image.open(labels_dir / name).convert("L"))
            Image.fromarray((label > 127).astype(np.uint8)).save(target / subset / "masks" / name)
    return target


def bench_model(
    model: str, data_root: Path, args: argparse.Namespace, overrides: dict[str, Any], work: Path
) -> dict[str, Any]:
    """Train, test on the held-back subset, export and time inference for one recipe."""
    from otx.engine import Engine

    memory = PeakMemory()
    engine = Engine(data_root=data_root, model=model, work_dir=work, seed=args.seed, overrides=overrides)
    limit = bare_loop_rate(engine, args.limit_steps) if args.limit_steps > 0 else None
    timer = train_timer()
    with memory:
        memory.reset()
        engine.train(max_epochs=args.epochs, callbacks=[timer])
        peak = memory.peak_bytes()
    tested = Engine(work_dir=work).test()
    Engine(work_dir=work).export(formats=("openvino",))
    latency = {
        row["model"]: row["median_ms"] for row in Engine(work_dir=work).benchmark(batch_sizes=(1,), iterations=30)
    }
    config = engine.config
    assert config is not None
    row = {
        "model": model,
        "input_size": list(config.data.input_size),
        "batch_size": config.data.batch_size,
        "limit_images_per_s": limit,
        "train_images_per_s": timer.median_rate,
        "test_mIoU": tested["test/mIoU"],
        "test_dice": tested["test/dice"],
        "final_val_mIoU": timer.val_scores[-1] if timer.val_scores else None,
        "peak_memory_bytes": peak,
        "latency_torch_ms": latency.get("torch eager"),
        "latency_openvino_ms": latency.get("OpenVINO FP32"),
    }
    log(json.dumps(row))
    return row


def print_table(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    """The results as a Markdown table."""
    headers = [
        "model",
        "input",
        "limit img/s",
        "train img/s",
        "train/limit",
        "test mIoU",
        "test Dice",
        "final val mIoU",
        "peak mem",
        "latency torch",
        "latency OV FP32",
    ]

    body = [
        [
            r["model"],
            "x".join(map(str, r["input_size"])),
            fmt(r.get("limit_images_per_s"), ".1f"),
            fmt(r["train_images_per_s"], ".1f"),
            fmt(ratio(r["train_images_per_s"], r.get("limit_images_per_s")), ".2f"),
            fmt(r["test_mIoU"], ".3f"),
            fmt(r["test_dice"], ".3f"),
            fmt(r["final_val_mIoU"], ".3f"),
            fmt(r["peak_memory_bytes"] / 2**30, ".2f", " GiB"),
            fmt(r["latency_torch_ms"], ".1f", " ms"),
            fmt(r["latency_openvino_ms"], ".1f", " ms"),
        ]
        for r in rows
    ]
    print_markdown_table(
        f"Semantic segmentation benchmark: membrane ({args.val} val, {args.test} held-back test images, seed "
        f"{args.seed}), {args.epochs} epochs, torch threads {args.threads}",
        headers,
        body,
        "limit img/s: the same network, batch and threads in a plain torch loop on one batch in memory; "
        "train img/s: training batches only, median epoch; latency: batch 1, median of 30; peak mem: tree RSS",
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data_root", type=Path, default=DEFAULT_DATA_ROOT, help="membrane dataset folder")
    parser.add_argument("--models", nargs="+", default=default_models(), help="recipes to compare")
    parser.add_argument("--epochs", type=int, default=30, help="training epochs per model (default 30)")
    parser.add_argument("--val", type=int, default=4, help="validation images (default 4)")
    parser.add_argument("--test", type=int, default=6, help="held-back test images (default 6)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the split and of training")
    add_common_options(parser, work_dir_help="keep the dataset and runs here")
    add_limit_option(parser)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Convert, then benchmark each model in turn."""
    args = parse_args(argv)
    if not (args.data_root / "train" / "image").is_dir():
        raise SystemExit(f"No membrane dataset at {args.data_root} (expected train/image and train/label)")
    overrides = parse_set(args.set)
    set_threads(args.threads)
    with work_root(args.work_dir) as work:
        data_root = convert_membrane(args.data_root, work / "membrane", args.val, args.test, args.seed)
        rows = [bench_model(model, data_root, args, overrides, work / model) for model in args.models]
    print_table(rows, args)
    write_json(args.json, {"args": vars(args), "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
