"""Time from ``otx train`` to its first training step, and to a bad argument's error, as the dataset grows.

For each ``--sizes`` count it writes (once, kept in ``--data_dir``) a synthetic class-folder dataset of
that many 28x28 PNG images in 10 classes (a noisy digit-like blob per class), then, each in a fresh
Python process so that imports count as a user sees them:

* ``bad model``: ``otx train --data_root DIR --model no_such_model`` until it exits with its error;
* ``first step (1st run)``: ``Engine(data_root=DIR, work_dir=W).train(max_epochs=1)`` from process start
  to the start of the first training batch (a callback writes the time and stops the run there);
* ``first step (2nd run)``: the same again with the same work dir (what a run may reuse from the first).

Usage (from the repository root, on a quiet machine)::

    flock /tmp/otx-cpu.lock python tools/bench_first_step.py --sizes 1000 10000 100000 --data_dir /tmp/first-step
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench_common import fmt, log, print_markdown_table

CLASSES = 10
SIDE = 28

CHILD = """
import os, sys, time
from pathlib import Path
from lightning.pytorch.callbacks import Callback
from otx.engine import Engine

class FirstStep(Callback):
    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        Path(sys.argv[3]).write_text(repr(time.time()))
        os._exit(0)  # the rest of the run is not timed


Engine(data_root=sys.argv[1], work_dir=sys.argv[2]).train(max_epochs=1, callbacks=[FirstStep()])
"""


def write_dataset(root: Path, count: int, seed: int = 0) -> Path:
    """``count`` 28x28 grey PNGs in ``root/<class>/``; kept if a previous call wrote them all."""
    import numpy as np
    from PIL import Image

    done = root / ".complete"
    if done.is_file():
        return root
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:SIDE, 0:SIDE]
    for index in range(count):
        label = index % CLASSES
        folder = root / str(label)
        folder.mkdir(parents=True, exist_ok=True)
        cy, cx = 6 + 16 * (label // 5) + rng.normal(0, 1.5), 3 + 5.5 * (label % 5) + rng.normal(0, 1.5)
        blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 18.0) * 220 + rng.normal(0, 12, (SIDE, SIDE))
        Image.fromarray(np.clip(blob, 0, 255).astype(np.uint8), mode="L").save(folder / f"{index:06d}.png")
        if index and index % 20000 == 0:
            log(f"{root}: {index} images written")
    done.write_text(str(count))
    return root


def seconds_to_error(data_root: Path, work_dir: Path) -> float:
    """Wall seconds of ``otx train --model no_such_model`` (it must fail)."""
    start = time.perf_counter()
    args = ["--data_root", str(data_root), "--model", "no_such_model", "--work_dir", str(work_dir)]
    result = subprocess.run(
        [sys.executable, "-m", "otx.cli.main", "train", *args], capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - start
    if result.returncode == 0 or "no_such_model" not in result.stderr:
        raise SystemExit(f"expected an unknown-model error, got {result.returncode}: {result.stderr[-500:]}")
    return elapsed


def seconds_to_first_step(data_root: Path, work_dir: Path) -> float:
    """Wall seconds from starting a fresh Python process to the first training batch."""
    with tempfile.TemporaryDirectory() as tmp:
        stamp = Path(tmp) / "first_step"
        start = time.time()
        result = subprocess.run(
            [sys.executable, "-c", CHILD, str(data_root), str(work_dir), str(stamp)],
            capture_output=True,
            text=True,
            check=False,
        )
        if not stamp.is_file():
            raise SystemExit(f"no training step ({result.returncode}): {result.stderr[-2000:]}")
        return float(stamp.read_text()) - start


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000], help="images per dataset")
    parser.add_argument("--data_dir", type=Path, required=True, help="where the datasets are written (and kept)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Write the datasets, time each, print the table."""
    args = parse_args(argv)
    rows = []
    for size in args.sizes:
        root = write_dataset(args.data_dir / f"synthetic_{size}", size)
        with tempfile.TemporaryDirectory(prefix="otx-first-step-") as tmp:
            bad = seconds_to_error(root, Path(tmp) / "bad")
            first = seconds_to_first_step(root, Path(tmp) / "ws")
            second = seconds_to_first_step(root, Path(tmp) / "ws")
        log(f"{size} images: bad model {bad:.1f} s, first step {first:.1f} s, then {second:.1f} s")
        rows.append([f"{size:,}", fmt(bad, ".2f", " s"), fmt(first, ".1f", " s"), fmt(second, ".1f", " s")])
    print_markdown_table(
        f"Time to first training step, synthetic 28x28 PNG class folders, default recipe ({sys.platform})",
        ["images", "bad model error", "first step (1st run)", "first step (2nd run, same work dir)"],
        rows,
        "each in a fresh Python process, imports included; one measurement each",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
