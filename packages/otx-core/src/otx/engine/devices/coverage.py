"""How many images a validation epoch evaluated, over all processes of a distributed run.

Each process validates its own share of the validation subset (an unpadded distributed sampler), and
the task's metrics gather their states across processes; :class:`ValidationCoverage` sums the
processes' image counts the same way, so a run can show that every image counted exactly once.
"""

from typing import Any

import lightning
import torch
from lightning.pytorch.callbacks import Callback

__all__ = ["ValidationCoverage"]


class ValidationCoverage(Callback):
    """``images``: the images the latest validation epoch evaluated, summed over all processes."""

    def __init__(self) -> None:
        self.images = 0
        self._seen = 0

    def on_validation_epoch_start(self, trainer: lightning.Trainer, pl_module: lightning.LightningModule) -> None:
        """Start counting."""
        self._seen = 0

    def on_validation_batch_end(
        self,
        trainer: lightning.Trainer,
        pl_module: lightning.LightningModule,
        outputs: Any,
        batch: Any,
        batch_idx: int,
        dataloader_idx: int = 0,
    ) -> None:
        """Count the batch's images."""
        self._seen += int(batch.batch_size)

    def on_validation_epoch_end(self, trainer: lightning.Trainer, pl_module: lightning.LightningModule) -> None:
        """Sum the counts of all processes (every process calls this, so the reduction meets)."""
        seen = torch.tensor(float(self._seen), device=pl_module.device)
        total = trainer.strategy.reduce(seen, reduce_op="sum")
        self.images = round(float(total))
