"""Measurements the benchmark scripts share: peak memory of the process tree, training throughput.

Peak memory is the largest sum of the resident set sizes of this process and all its descendants
(dataloader workers included), sampled every 50 ms with psutil where it is installed, else from
``/proc``; a sum of RSS counts pages that forked workers share with the parent once per process,
so it errs high. Without either, ``resource.getrusage`` (self + reaped children) is used.
"""

from __future__ import annotations

import gc
import os
import resource
import statistics
import sys
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any


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
    total = int(me.memory_info().rss)
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


def train_timer() -> Any:
    """A Lightning callback timing the training batches of each epoch (Lightning imported here, not at start)."""
    from lightning.pytorch.callbacks import Callback

    class TrainTimer(Callback):
        """Per training epoch: images and seconds from epoch start to the last batch; the monitored val metric."""

        def __init__(self) -> None:
            self.epochs: list[tuple[int, float]] = []
            self.val_scores: list[float] = []
            self._start = 0.0
            self._last = 0.0
            self._images = 0

        @property
        def rates(self) -> list[float]:
            """Images per second of each epoch's training batches."""
            return [images / seconds for images, seconds in self.epochs]

        @property
        def median_rate(self) -> float | None:
            """Median epoch of :attr:`rates`, ``None`` without a timed epoch."""
            return statistics.median(self.rates) if self.epochs else None

        def on_train_epoch_start(self, trainer: Any, pl_module: Any) -> None:
            self._start = self._last = time.perf_counter()
            self._images = 0

        def on_train_batch_end(self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int) -> None:
            self._images += int(batch.batch_size)
            self._last = time.perf_counter()

        def on_train_epoch_end(self, trainer: Any, pl_module: Any) -> None:
            if self._images:
                self.epochs.append((self._images, self._last - self._start))

        def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
            if trainer.sanity_checking or trainer.state.fn != "fit":
                return
            value = trainer.callback_metrics.get(pl_module.monitor)
            if value is not None:
                self.val_scores.append(float(value))

    return TrainTimer()


def measure_data_pipeline(engine: Any, epochs: int) -> dict[str, Any]:
    """Iterate the recipe's train dataloader for ``epochs`` full epochs; images/s per epoch."""
    from otx.engine.build import build_datamodule

    datamodule = build_datamodule(engine.config)
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


def bare_loop_rate(engine: Any, steps: int = 20, warmup: int = 3) -> float:
    """The limit: training images/s of the recipe's model, loss and optimizer in a plain torch loop.

    One augmented batch of the recipe's train dataloader is held in memory and stepped on ``steps``
    times after ``warmup`` untimed steps: no Lightning, no data loading, no metrics or logging; the
    same network, batch size, input size and torch threads as the Engine's training.
    """
    from otx.core.model.optim import build_optimizer
    from otx.engine.build import build_datamodule, build_model

    config = engine.config
    loader = build_datamodule(config).train_dataloader()
    batch = next(iter(loader))
    del loader
    model = build_model(config)
    model.train()
    optimizer = build_optimizer(model.parameters(), config.optimizer)
    start = time.perf_counter()
    for step in range(warmup + steps):
        if step == warmup:
            start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        model(batch).total.backward()
        optimizer.step()
    rate = int(batch.batch_size) * steps / (time.perf_counter() - start)
    del model, optimizer, batch
    gc.collect()
    return rate
