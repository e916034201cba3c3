"""Stop a training run whose loss is no longer a number, or has exploded, instead of training on garbage.

A learning rate far too high sends the loss to ``inf``/``nan`` (or to 1e19 first) and every later
step is wasted; Lightning's ``detect_anomaly`` finds it too but slows every step down. This reads
the loss once per step, as the progress bar does anyway.
"""

import math
from typing import Any

import lightning
from lightning.pytorch.callbacks import Callback

from otx.core.errors import OTXError

__all__ = ["EXPLOSION_FACTOR", "DivergenceGuard", "TrainingDivergedError"]

EXPLOSION_FACTOR = 1e4
"""A loss this many times the first step's (and above this value) counts as diverged."""


class TrainingDivergedError(OTXError):
    """The training loss became nan/inf or exploded: the settings cannot train this model."""


class DivergenceGuard(Callback):
    """Raises :class:`TrainingDivergedError` at the first step whose loss is not finite or has exploded."""

    def __init__(self) -> None:
        self.first: float | None = None

    def on_train_batch_end(
        self, trainer: lightning.Trainer, pl_module: Any, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        """Check the step's loss."""
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        if loss is None:
            return
        value = float(loss)
        if self.first is None and math.isfinite(value):
            self.first = abs(value)
        limit = EXPLOSION_FACTOR * max(self.first or 1.0, 1.0)
        if math.isfinite(value) and abs(value) <= limit:
            return
        what = f"loss is {value}" if not math.isfinite(value) else f"loss {value:.3g} is over {limit:.3g}"
        optimizer = trainer.optimizers[0] if trainer.optimizers else None
        lr = f" (now {optimizer.param_groups[0]['lr']:.3g})" if optimizer is not None else ""
        raise TrainingDivergedError(
            f"training diverged at epoch {trainer.current_epoch} step {trainer.global_step}: {what}; "
            f"lower optimizer.lr{lr} or set trainer.gradient_clip_val"
        )
