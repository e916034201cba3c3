"""Compare training at the input size auto-configuration picks from the data with a fixed one (the old recipe size).

For each dataset, the same model, epochs and seeds are trained twice through :class:`otx.engine.Engine`:
once with ``data.input_size`` chosen from the data, once with ``--size`` (default 128, the recipe size
the data was trained at before the choice existed). It prints a Markdown table: the input size,
training images/s (median epoch, training batches only), wall time of ``train`` (validation included)
and the final and best validation accuracy, median over seeds.

Usage (from the repository root; digits from ``tools/make_digits_dataset.py``)::

    python tools/make_digits_dataset.py /tmp/digits8 --size 8
    python tools/bench_input_size.py /tmp/digits8 /tmp/digits28 --epochs 5 --seeds 0 1
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_common import set_threads
from bench_measure import train_timer


def train_once(data_root: Path, seed: int, epochs: int, size: int | None, work_dir: Path) -> dict[str, Any]:
    """One training run; ``size=None`` lets auto-configuration choose the input size."""
    from otx.engine import Engine

    overrides: dict[str, Any] = {"data.num_workers": 1}
    if size is not None:
        overrides["data.input_size"] = [size, size]
    engine = Engine(data_root=data_root, work_dir=work_dir, seed=seed, overrides=overrides)
    timer = train_timer()
    start = time.perf_counter()
    best = engine.train(max_epochs=epochs, callbacks=[timer])
    wall = time.perf_counter() - start
    assert engine.last_plan is not None
    return {
        "input": "x".join(map(str, engine.last_plan.config.data.input_size)),
        "rate": timer.median_rate,
        "wall": wall,
        "final": timer.val_scores[-1] if timer.val_scores else None,
        "best": best.get("val/accuracy"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_roots", type=Path, nargs="+")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--size", type=int, default=128, help="the fixed input size to compare with")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    set_threads(args.threads)
    print(f"| dataset | input | train img/s | train wall s | final val acc | best val acc |  ({args.epochs} epochs)")
    print("|---|---|---|---|---|---|")
    for root in args.data_roots:
        for size in (args.size, None):
            runs = []
            for seed in args.seeds:
                with tempfile.TemporaryDirectory() as work:
                    runs.append(train_once(root, seed, args.epochs, size, Path(work)))
            label = runs[0]["input"] + (" (fixed)" if size is not None else " (from the data)")

            def median(key: str, runs: list[dict[str, Any]] = runs) -> float:
                return statistics.median(r[key] for r in runs if r[key] is not None)

            print(
                f"| {root.name} | {label} | {median('rate'):.0f} | {median('wall'):.0f} | "
                f"{median('final'):.3f} | {median('best'):.3f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
