"""Benchmark the classification recipes on a small dataset, on this machine's CPU.

For each model it measures, through the public :class:`otx.engine.Engine`:

* data-pipeline throughput: the recipe's train dataloader alone (its ``num_workers``), iterated for
  ``--data_epochs`` full epochs; the median epoch is reported;
* training throughput: images per second of the training batches (time from the start of each
  training epoch to its last batch, so data waits and optimizer steps count, validation does not);
  the median epoch of every run, then the median over seeds;
* validation accuracy after ``--epochs`` epochs from random init: the final epoch's and the best
  epoch's (the one ``Engine.train`` restores and returns), median over ``--seeds``;
* peak memory: the largest sum of the resident set sizes of this process and all its descendants
  (dataloader workers included), sampled every 50 ms from ``/proc`` (or with psutil where it is
  installed); a sum of RSS counts pages that forked workers share with the parent once per process,
  so it errs high. Without either, ``resource.getrusage`` (self + reaped children) is used.

Usage (from the repository root)::

    python tools/bench_classification.py                       # tiny_resnet, seed 0, 10 epochs
    python tools/bench_classification.py --compare --seeds 0 1 2 --json bench.json
    python tools/bench_classification.py --set data.batch_size=32 --set optimizer.lr=0.002
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_ROOT = REPO_ROOT / ".." / "shared" / "datasets" / "hymenoptera"
DEFAULT_MODEL = "tiny_resnet"
COMPARE_MODEL = "timm_mobilenetv3_small"


# --------------------------------------------------------------------------------------------- memory
class PeakMemory:
    """Samples the RSS of this process tree in a background thread; ``peak_bytes`` since :meth:`reset`."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.method = _memory_method()
        self._peak = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sample: Callable[[], int] | None = {"psutil": _tree_rss_psutil, "/proc": _tree_rss_proc}.get(self.method)

    def __enter__(self) -> PeakMemory:
        if self._sample is not None:
            self._thread = threading.Thread(target=self._run, name="peak-memory", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        assert self._sample is not None
        while not self._stop.is_set():
            try:
                value = self._sample()
            except Exception:  # a process vanished mid-read; next sample
                value = 0
            with self._lock:
                self._peak = max(self._peak, value)
            self._stop.wait(self.interval)

    def reset(self) -> None:
        """Start a new window (sampling methods only; getrusage cannot be reset)."""
        with self._lock:
            self._peak = self._sample() if self._sample is not None else 0

    def peak_bytes(self) -> int:
        """Peak of the current window."""
        if self._sample is None:
            return _rusage_bytes()
        with self._lock:
            return max(self._peak, self._sample())


def _memory_method() -> str:
    try:
        import psutil  # noqa: F401
    except ImportError:
        pass
    else:
        return "psutil"
    if Path(f"/proc/{os.getpid()}/statm").is_file():
        return "/proc"
    return "getrusage"


def _tree_rss_psutil() -> int:
    import psutil

    me = psutil.Process()
    total = me.memory_info().rss
    for child in me.children(recursive=True):
        with suppress(psutil.Error):
            total += child.memory_info().rss
    return total


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _tree_rss_proc() -> int:
    parents: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    total, stack = 0, [os.getpid()]
    while stack:
        pid = stack.pop()
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE
        except (OSError, ValueError, IndexError):
            continue
        stack.extend(parents.get(pid, []))
    return total


def _rusage_bytes() -> int:
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) * scale


# ------------------------------------------------------------------------------------------- training
def _train_timer_class() -> type[Any]:
    """A Lightning callback timing the training batches of each epoch."""
    import time as _time

    from lightning.pytorch.callbacks import Callback

    class TrainTimer(Callback):
        """Per training epoch: images and seconds from epoch start to the last batch; val accuracy."""

        def __init__(self) -> None:
            self.epochs: list[tuple[int, float]] = []
            self.val_accuracy: list[float] = []
            self._start = 0.0
            self._last = 0.0
            self._images = 0

        def on_train_epoch_start(self, trainer: Any, pl_module: Any) -> None:
            self._start = self._last = _time.perf_counter()
            self._images = 0

        def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
            self._images += int(batch.batch_size)
            self._last = _time.perf_counter()

        def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
            if self._images:
                self.epochs.append((self._images, self._last - self._start))

        def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
            if trainer.sanity_checking or trainer.state.fn != "fit":
                return
            value = trainer.callback_metrics.get(pl_module.monitor)
            if value is not None:
                self.val_accuracy.append(float(value))

    return TrainTimer


def measure_data_pipeline(engine: Any, epochs: int) -> dict[str, Any]:
    """Iterate the recipe's train dataloader for ``epochs`` full epochs; images/s per epoch."""
    from otx.core.data.module import OTXDataModule
    from otx.core.plugin import find_task, import_object
    from otx.engine.autoconfig import parse_task

    config = engine.config
    spec = find_task(parse_task(config.task))
    datamodule = OTXDataModule(
        import_object(spec.dataset_adapter)(),
        Path(config.data_root),
        config.data_format,
        config.data,
        seed=config.seed,
        label_names=config.label_names,
    )
    loader = datamodule.train_dataloader()
    rates = []
    for _ in range(epochs):
        images, start = 0, time.perf_counter()
        for batch in loader:
            images += int(batch.batch_size)
        rates.append(images / (time.perf_counter() - start))
    workers = datamodule.num_workers
    del loader, datamodule
    gc.collect()
    return {"images_per_s": statistics.median(rates), "per_epoch": rates, "num_workers": workers}


def train_once(
    model: str, data_root: Path, work_dir: Path, seed: int, epochs: int, overrides: dict[str, Any]
) -> dict[str, Any]:
    """One ``Engine.train`` run; images/s of the training batches and validation accuracies."""
    from otx.engine import Engine

    engine = Engine(data_root=data_root, model=model, work_dir=work_dir, seed=seed, overrides=overrides)
    timer = _train_timer_class()()
    start = time.perf_counter()
    best = engine.train(max_epochs=epochs, callbacks=[timer])
    fit_seconds = time.perf_counter() - start
    run = engine.work_dir.latest("train")
    stored = json.loads((run / "metrics.json").read_text()) if run and (run / "metrics.json").is_file() else {}
    train_images = 0
    result: dict[str, Any] = {"seed": seed, "best_val_accuracy": best.get("val/accuracy")}
    if timer.epochs:
        rates = [images / seconds for images, seconds in timer.epochs]
        train_images = sum(images for images, _ in timer.epochs)
        result |= {
            "train_images_per_s": statistics.median(rates),
            "train_images_per_s_overall": train_images / sum(seconds for _, seconds in timer.epochs),
            "train_images_per_s_per_epoch": rates,
            "val_accuracy_per_epoch": timer.val_accuracy,
            "final_val_accuracy": timer.val_accuracy[-1] if timer.val_accuracy else None,
        }
    else:
        result |= {"train_images_per_s": None, "final_val_accuracy": None}
    result["fit_seconds"] = stored.get("train_seconds", fit_seconds)
    if train_images:
        result["fit_images_per_s_incl_val"] = train_images / result["fit_seconds"]
    result["recipe"] = {
        "input_size": list(engine.config.data.input_size),
        "batch_size": engine.config.data.batch_size,
        "num_workers": engine.config.data.num_workers,
        "lr": engine.config.optimizer.lr,
        "init_args": dict(engine.config.model.init_args),
    }
    return result


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def bench_model(
    model: str, args: argparse.Namespace, overrides: dict[str, Any], memory: PeakMemory, work_root: Path
) -> dict[str, Any]:
    from otx.engine import Engine

    memory.reset()
    probe = Engine(
        data_root=args.data_root, model=model, work_dir=work_root / "probe", seed=args.seeds[0], overrides=overrides
    )
    data = measure_data_pipeline(probe, args.data_epochs) if args.data_epochs > 0 else None
    data_peak = memory.peak_bytes()
    runs = []
    train_peak = 0
    for seed in args.seeds:
        gc.collect()
        memory.reset()
        run = train_once(model, args.data_root, work_root / f"{model}_seed{seed}", seed, args.epochs, overrides)
        run["peak_memory_bytes"] = memory.peak_bytes()
        train_peak = max(train_peak, run["peak_memory_bytes"])
        runs.append(run)
        _log(
            f"{model} seed {seed}: final acc {_fmt(run.get('final_val_accuracy'), '.3f')}, "
            f"best acc {_fmt(run.get('best_val_accuracy'), '.3f')}, "
            f"train {_fmt(run.get('train_images_per_s'), '.1f')} img/s, peak {run['peak_memory_bytes'] / 2**30:.2f} GiB"
        )
    return {
        "model": model,
        "data_images_per_s": data["images_per_s"] if data else None,
        "data_pipeline": data,
        "train_images_per_s": _median([r.get("train_images_per_s") for r in runs]),
        "final_val_accuracy": _median([r.get("final_val_accuracy") for r in runs]),
        "min_final_val_accuracy": min(
            (r["final_val_accuracy"] for r in runs if r.get("final_val_accuracy") is not None), default=None
        ),
        "best_val_accuracy": _median([r.get("best_val_accuracy") for r in runs]),
        "peak_memory_bytes": max(data_peak if memory.method != "getrusage" else 0, train_peak),
        "runs": runs,
    }


# ------------------------------------------------------------------------------------------- output
def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def print_table(rows: list[dict[str, Any]], args: argparse.Namespace, memory_method: str) -> None:
    seeds = ",".join(str(s) for s in args.seeds)
    title = (
        f"Classification benchmark: {Path(args.data_root).name}, {args.epochs} epochs, seeds {seeds}, "
        f"torch threads {args.threads} (medians over seeds)"
    )
    headers = [
        "model",
        "data img/s",
        "train img/s",
        "val acc (final)",
        "min val acc (final)",
        "val acc (best)",
        "peak mem",
    ]
    body = [
        [
            row["model"],
            _fmt(row["data_images_per_s"], ".1f"),
            _fmt(row["train_images_per_s"], ".1f"),
            _fmt(row["final_val_accuracy"], ".3f"),
            _fmt(row["min_final_val_accuracy"], ".3f"),
            _fmt(row["best_val_accuracy"], ".3f"),
            f"{row['peak_memory_bytes'] / 2**30:.2f} GiB",
        ]
        for row in rows
    ]
    caption = (
        f"data: train dataloader alone, recipe num_workers, median of {args.data_epochs} epochs; "
        f"train: training batches only, median epoch; peak mem: {memory_method}, process tree RSS"
    )
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(headers)]
        print(title)
        print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
        for r in body:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
        print(caption)
        return
    table = Table(title=title, caption=caption)
    for i, header in enumerate(headers):
        table.add_column(header, justify="left" if i == 0 else "right")
    for r in body:
        table.add_row(*r)
    Console(width=max(120, len(title) + 4)).print(table)


def _parse_set(items: Sequence[str]) -> dict[str, Any]:
    import yaml

    overrides: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--set needs KEY=VALUE, got '{item}'")
        overrides[key.strip()] = yaml.safe_load(value)
    return overrides


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data_root",
        type=Path,
        default=DEFAULT_DATA_ROOT,
        help="dataset folder (default: ../shared/datasets/hymenoptera from the repo root)",
    )
    parser.add_argument("--models", nargs="+", default=[DEFAULT_MODEL], help=f"recipes (default {DEFAULT_MODEL})")
    parser.add_argument("--compare", action="store_true", help=f"also benchmark {COMPARE_MODEL}")
    parser.add_argument("--epochs", type=int, default=10, help="training epochs per run (default 10)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="seeds, one training run each")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    parser.add_argument("--data_epochs", type=int, default=3, help="epochs of the data-pipeline test (0: skip)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="recipe override for every model, e.g. --set data.batch_size=32 (repeatable)",
    )
    parser.add_argument("--work_dir", type=Path, help="keep the runs here (default: a temporary folder)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    args = parser.parse_args(argv)
    if args.compare and COMPARE_MODEL not in args.models:
        args.models.append(COMPARE_MODEL)
    return args


@contextmanager
def _work_root(path: Path | None) -> Iterator[Path]:
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="otx-bench-") as tmp:
        yield Path(tmp)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    overrides = _parse_set(args.set)
    args.data_root = Path(args.data_root).resolve()
    rows = []
    with PeakMemory() as memory, _work_root(args.work_dir) as work_root:
        for model in args.models:
            rows.append(bench_model(model, args, overrides, memory, work_root))
    print_table(rows, args, memory.method)
    if args.json:
        payload = {
            "data_root": str(args.data_root),
            "epochs": args.epochs,
            "seeds": args.seeds,
            "threads": args.threads,
            "cpu_count": os.cpu_count(),
            "torch": torch.__version__,
            "python": platform.python_version(),
            "memory_method": memory.method,
            "overrides": overrides,
            "results": rows,
        }
        args.json.write_text(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
