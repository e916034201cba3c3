"""Training progress: a live bar in a terminal, one line per epoch in a log file.

Lightning's bar redraws itself with carriage returns on stderr; written to a file or a CI log, that
is thousands of fragments. :func:`progress_callback` keeps the bar only when both stdout and stderr
are terminals and otherwise returns :class:`LineProgressBar`, which writes whole lines to stdout.
"""

import sys
import time
from typing import TextIO

from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.callbacks import ProgressBar, TQDMProgressBar

__all__ = ["LineProgressBar", "progress_callback"]


def progress_callback() -> ProgressBar:
    """The progress callback for this process's output: a TQDM bar in a terminal, lines otherwise."""
    if sys.stdout.isatty() and sys.stderr.isatty():
        return TQDMProgressBar()
    return LineProgressBar()


class LineProgressBar(ProgressBar):
    """One flushed line per training epoch once its validation is done, and one when a test or prediction ends.

    A line holds the epoch (or stage), the metrics the model logs with ``prog_bar=True`` and the seconds
    taken, e.g. ``epoch 3/10  train/loss 0.412  val/accuracy 0.7059  12.3 s``. ``stream`` defaults to
    the current ``sys.stdout``.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__()
        self._stream = stream
        self._enabled = True
        self._start = time.perf_counter()

    def disable(self) -> None:
        """Write nothing (Lightning calls this on all but the main process)."""
        self._enabled = False

    def enable(self) -> None:
        """Write lines again."""
        self._enabled = True

    def on_train_epoch_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Start the epoch's clock."""
        self._start = time.perf_counter()

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Write the epoch's line (Lightning validates before this hook, so validation metrics are current)."""
        total = trainer.max_epochs
        self._write(f"epoch {trainer.current_epoch + 1}" + (f"/{total}" if total and total > 0 else ""), trainer)

    def on_test_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Start the test's clock."""
        self._start = time.perf_counter()

    def on_test_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Write the test's line."""
        self._write("test", trainer)

    def on_predict_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Start the prediction's clock."""
        self._start = time.perf_counter()

    def on_predict_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        """Write the prediction's line."""
        self._write("predict", trainer)

    def _write(self, head: str, trainer: Trainer) -> None:
        if not self._enabled:
            return
        metrics = [f"{name} {value:.4g}" for name, value in trainer.progress_bar_metrics.items()]
        stream = self._stream or sys.stdout
        stream.write("  ".join([head, *metrics, f"{time.perf_counter() - self._start:.1f} s"]) + "\n")
        stream.flush()
