"""A Lightning callback that reports a trial's validation metric each epoch and stops it when pruned.

The metric is the model's ``monitor`` (the one the best checkpoint is chosen by). After each
validation the callback reports it to the Optuna trial at step = epochs trained; when the study's pruner
says so, or the search's time budget has run out, it raises :class:`optuna.TrialPruned`, which ends
``trainer.fit`` and marks the trial pruned.
"""

import math
import time
from typing import Any

import lightning
import optuna
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.trainer.states import TrainerFn

from otx.core.errors import ConfigError

__all__ = ["TrialPruning"]


class TrialPruning(Callback):
    """Report ``pl_module.monitor`` to ``trial`` after each validation; prune on the pruner's word or ``deadline``.

    Args:
        trial: the running Optuna trial.
        deadline: ``time.time()`` after which the trial stops at its next validation (``None``: no limit).
    """

    def __init__(self, trial: optuna.Trial, deadline: float | None = None) -> None:
        self.trial = trial
        self.deadline = deadline
        self.monitor: str | None = None
        """The metric reported, known after the first validation."""

    def on_validation_end(self, trainer: lightning.Trainer, pl_module: Any) -> None:
        """Report this epoch's metric; raise ``TrialPruned`` to stop the trial."""
        if trainer.sanity_checking or trainer.state.fn != TrainerFn.FITTING:
            return  # the sanity check, and the validation of the best checkpoint after fit, are not epochs
        self.monitor = str(pl_module.monitor)
        value = trainer.callback_metrics.get(self.monitor)
        if value is None:
            logged = ", ".join(sorted(trainer.callback_metrics)) or "nothing"
            raise ConfigError(f"HPO monitors '{self.monitor}', which validation did not log (it logged: {logged})")
        epoch = trainer.current_epoch
        metric = float(value)
        if not math.isnan(metric):
            self.trial.report(metric, step=epoch + 1)  # the step is the number of epochs trained
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"pruned after epoch {epoch + 1} ({self.monitor} {metric:.4f})")
        last_epoch = trainer.max_epochs is not None and epoch + 1 >= trainer.max_epochs
        if self.deadline is not None and time.time() >= self.deadline and not last_epoch:
            raise optuna.TrialPruned(f"stopped after epoch {epoch + 1}: the search's time budget ran out")
