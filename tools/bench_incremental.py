"""Class-incremental training figures: a model trained on some classes, then fine-tuned on all of them.

Two experiments, each through the public :class:`otx.engine.Engine`:

* classification: scikit-learn's digits (``tools/make_digits_dataset.py``) - train on digits 0-4, then
  ``train(checkpoint=...)`` on 0-9;
* detection: BCCD (Pascal VOC) - train on RBC and WBC (``tools/filter_voc_classes.py`` writes the
  copy without Platelets), then on all three classes.

For each: the metric of the old classes before (the first model on its own data's validation
subset) and after (the fine-tuned model on the full data), and of the new classes after; and, for
comparison, a model trained on all classes from scratch for the sum of both phases' epochs.
Classification reports per-class accuracy, detection per-class AP (COCO, IoU 0.50:0.95).
Datasets are written under the work folder, never into the repository.

Usage (from the repository root)::

    flock /tmp/otx-cpu.lock python tools/bench_incremental.py --epochs 3
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
from collections.abc import Sequence
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

TOOLS = Path(__file__).resolve().parent
SMALL_DIGITS = {"data.input_size": [32, 32], "data.batch_size": 32}


def _mean(metrics: dict[str, float], prefix: str, labels: Sequence[str]) -> float:
    return statistics.mean(metrics[f"{prefix}{label}"] for label in labels)


def _run(
    name: str,
    old_data: Path,
    new_data: Path,
    old_labels: Sequence[str],
    new_labels: Sequence[str],
    metric: str,
    epochs: int,
    work: Path,
    overrides: dict[str, Any],
) -> dict[str, Any]:
    from otx.engine import Engine

    prefix = f"test/{metric}_"
    log(f"{name}: training on {', '.join(old_labels)}")
    old = Engine(data_root=old_data, work_dir=work / f"{name}_old", overrides=overrides)
    old.train(max_epochs=epochs)
    before = old.test()
    checkpoint = old.last_plan.checkpoint.path if old.last_plan and old.last_plan.checkpoint else None
    log(f"{name}: fine-tuning from {checkpoint} on {', '.join([*old_labels, *new_labels])}")
    new = Engine(data_root=new_data, work_dir=work / f"{name}_new", overrides=overrides)
    new.train(max_epochs=epochs, checkpoint=checkpoint)
    after = new.test()
    log(f"{name}: from scratch on all classes for {2 * epochs} epochs")
    scratch = Engine(data_root=new_data, work_dir=work / f"{name}_scratch", overrides=overrides)
    scratch.train(max_epochs=2 * epochs)
    baseline = scratch.test()
    return {
        "experiment": name,
        "metric": metric,
        "old_before": _mean(before, prefix, old_labels),
        "old_after": _mean(after, prefix, old_labels),
        "new_after": _mean(after, prefix, new_labels),
        "old_scratch": _mean(baseline, prefix, old_labels),
        "new_scratch": _mean(baseline, prefix, new_labels),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs of each phase (default 3)")
    parser.add_argument("--bccd", type=Path, default=DATASETS / "bccd", help="the BCCD Pascal VOC folder")
    parser.add_argument("--only", choices=("classification", "detection"), help="run one experiment")
    add_common_options(parser, set_option=False)
    args = parser.parse_args(argv)
    set_threads(args.threads)
    rows = []
    with work_root(args.work_dir) as work:
        if args.only != "detection":
            digits = [str(d) for d in range(10)]
            for folder, classes in (("digits_0_4", digits[:5]), ("digits_0_9", digits)):
                tool = [sys.executable, str(TOOLS / "make_digits_dataset.py"), str(work / folder)]
                subprocess.run([*tool, "--classes", *classes], check=True, capture_output=True)
            rows.append(
                _run(
                    "digits",
                    work / "digits_0_4",
                    work / "digits_0_9",
                    digits[:5],
                    digits[5:],
                    "per_class_accuracy",
                    args.epochs,
                    work,
                    SMALL_DIGITS,
                )
            )
        if args.only != "classification":
            if not args.bccd.is_dir():
                sys.exit(f"BCCD not found at {args.bccd}")
            tool = [sys.executable, str(TOOLS / "filter_voc_classes.py"), str(args.bccd), str(work / "bccd_rbc_wbc")]
            subprocess.run([*tool, "--keep", "RBC", "WBC"], check=True, capture_output=True)
            rows.append(
                _run(
                    "bccd", work / "bccd_rbc_wbc", args.bccd, ["RBC", "WBC"], ["Platelets"], "AP", args.epochs, work, {}
                )
            )
    write_json(args.json, rows)
    print_markdown_table(
        f"Class-incremental training, {args.epochs} epochs per phase (scratch: {2 * args.epochs})",
        ["experiment", "metric", "old before", "old after", "new after", "old scratch", "new scratch"],
        [
            [
                r["experiment"],
                r["metric"],
                *(fmt(r[k], ".3f") for k in ("old_before", "old_after", "new_after", "old_scratch", "new_scratch")),
            ]
            for r in rows
        ],
        "old: classes of the first model, new: classes added; test subset (validation where there is none)",
    )


if __name__ == "__main__":
    main()
