"""Compare training at the input size auto-configuration picks from the data with a fixed one (the old recipe size).

For each dataset, the same model, epochs and seeds are trained twice through :class:`otx.engine.Engine`:
once with ``data.input_size`` chosen from the data, and once with each of ``--sizes`` (default 128, the
recipe size the data was trained at before the choice existed). It prints a Markdown table: the input size,
training images/s (median epoch, training batches only), wall time of ``train`` (validation included)
and the final and best validation accuracy, median over seeds.

Usage (from the repository root; digits from ``tools/make_digits_dataset.py``)::

    python tools/make_digits_dataset.py /tmp/digits8 --size 8
    python tools/bench_input_size.py /tmp/digits8 /tmp/digits28 --epochs 5 --seeds 0 1 2 --sizes 128 64 32
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
    parser.add_argument("--sizes", type=int, nargs="+", default=[128], help="fixed input sizes to compare with")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    set_threads(args.threads)
    print(f"| dataset | input | train img/s | train wall s | final val acc | best val acc |  ({args.epochs} epochs)")
    print("|---|---|---|---|---|---|")
    sizes: list[int | None] = [*args.sizes, None]
    for root in args.data_roots:
        runs: dict[int | None, list[dict[str, Any]]] = {size: [] for size in sizes}
        for seed in args.seeds:  # sizes interleaved per seed: a change in machine load hits them alike
            for size in sizes:
                with tempfile.TemporaryDirectory() as work:
                    runs[size].append(train_once(root, seed, args.epochs, size, Path(work)))
        for size in sizes:
            label = runs[size][0]["input"] + (" (fixed)" if size is not None else " (from the data)")
            print(
                f"| {root.name} | {label} | {_median(runs[size], 'rate'):.0f} | {_median(runs[size], 'wall'):.0f} | "
                f"{_median(runs[size], 'final'):.3f} | {_median(runs[size], 'best'):.3f} |",
                flush=True,
            )


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs if r[key] is not None)


if __name__ == "__main__":
    main()
