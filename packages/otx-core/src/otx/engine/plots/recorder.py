"""Keeps the task's figure data of the last validation or test epoch outside training."""

from typing import Any

import lightning
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.trainer.states import TrainerFn

from otx.core.model.base import OTXModel
from otx.core.model.figures import FigureData

__all__ = ["FigureRecorder"]


class FigureRecorder(Callback):
    """Asks the model for :meth:`OTXModel.figure_data` at the end of a ``validate`` or ``test`` epoch.

    Callbacks run before the model's own epoch-end hook, so the metrics are not reset yet. Validation
    epochs during ``fit`` are skipped: the report shows the chosen checkpoint's final evaluation.
    """

    def __init__(self) -> None:
        self.figures: list[FigureData] = []

    def on_validation_epoch_end(self, trainer: lightning.Trainer, pl_module: Any) -> None:
        """Record the validation metric's figures (outside ``fit``)."""
        if trainer.state.fn != TrainerFn.FITTING and isinstance(pl_module, OTXModel):
            self.figures = pl_module.figure_data(pl_module.val_metric)

    def on_test_epoch_end(self, trainer: lightning.Trainer, pl_module: Any) -> None:
        """Record the test metric's figures."""
        if isinstance(pl_module, OTXModel):
            self.figures = pl_module.figure_data(pl_module.test_metric)
