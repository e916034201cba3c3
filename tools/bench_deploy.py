"""Deploy benchmark: for each installed task's default model, torch eager vs OpenVINO IR FP32 vs INT8.

Trains the default model on the task's benchmark dataset (or reuses --work_dir's latest run with
--reuse), exports it, quantizes it with NNCF, then prints accuracy of each form and latency at
batch 1 and 8 with the speed-up over torch eager, all in one run.

Usage: ``python tools/bench_deploy.py [--epochs 10] [--threads 2] [--work_dir DIR] [--reuse]``
"""

import argparse
from pathlib import Path
from typing import Any

from bench_common import DATASETS, add_common_options, set_threads, work_root, write_json
from otx.core.plugin import all_specs
from otx.core.types.task import OTXTaskType
from otx.engine import Engine

TASK_DATASETS = {OTXTaskType.MULTI_CLASS_CLS: DATASETS / "hymenoptera"}


def bench_task(
    task: OTXTaskType, data_root: Path, work_dir: Path, epochs: int, reuse: bool, iters: int
) -> dict[str, Any]:
    if not reuse:
        Engine(data_root=data_root, work_dir=work_dir).train(max_epochs=epochs)
    engine = Engine(work_dir=work_dir)
    torch_metrics = engine.test()
    ir = engine.export(formats=("openvino",))["OpenVINO IR FP32"]
    ir_metrics = engine.test(checkpoint=ir)
    quantized = engine.optimize()
    rows = engine.benchmark(batch_sizes=(1, 8), iterations=iters)
    return {
        "task": task.value,
        "accuracy": {
            "torch": torch_metrics["test/accuracy"],
            "ir_fp32": ir_metrics["test/accuracy"],
            "int8": quantized["int8/test/accuracy"],
        },
        "rows": rows,
    }


def print_table(results: list[dict[str, Any]]) -> None:
    columns = ("median ms", "p90 ms", "img/s", "speed-up", "accuracy")
    header = f"{'task':<16} {'model':<14} {'batch':>5} " + " ".join(f"{c:>10}" for c in columns)
    print(header)
    print("-" * len(header))
    keys = {"torch eager": "torch", "OpenVINO FP32": "ir_fp32", "OpenVINO INT8": "int8"}
    for result in results:
        eager = {r["batch"]: r["median_ms"] for r in result["rows"] if r["model"] == "torch eager"}
        for row in result["rows"]:
            accuracy = result["accuracy"][keys[row["model"]]]
            print(
                f"{result['task']:<16} {row['model']:<14} {row['batch']:>5} {row['median_ms']:>10.2f} "
                f"{row['p90_ms']:>10.2f} {row['images_per_s']:>10.1f} {eager[row['batch']] / row['median_ms']:>9.2f}x "
                f"{accuracy:>10.4f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--iterations", type=int, default=50, help="timed calls per model and batch size")
    parser.add_argument("--reuse", action="store_true", help="reuse the latest training run in --work_dir")
    add_common_options(parser, set_option=False)
    args = parser.parse_args()
    set_threads(args.threads)
    results = []
    with work_root(args.work_dir) as root:
        for task, spec in all_specs().items():
            data_root = TASK_DATASETS.get(task)
            if data_root is None or not data_root.is_dir():
                print(f"skipping {task.value}: no benchmark dataset at {data_root}")
                continue
            work_dir = root / task.value.lower()
            print(f"== {task.value}: default model {spec.default_model} on {data_root}")
            results.append(bench_task(task, data_root, work_dir, args.epochs, args.reuse, args.iterations))
    print()
    print_table(results)
    for result in results:
        b1 = {r["model"]: r["median_ms"] for r in result["rows"] if r["batch"] == 1}
        ratio = b1["torch eager"] / b1["OpenVINO INT8"]
        print(f"{result['task']}: INT8 is {ratio:.1f}x faster than torch eager at batch 1 (medians)")
    write_json(args.json, results)


if __name__ == "__main__":
    main()
