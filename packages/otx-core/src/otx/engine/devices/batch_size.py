"""Adaptive batch size: the largest batch that fits the GPU (Lightning's ``Tuner.scale_batch_size``).

With ``data.auto_batch_size`` (``otx train --batch_size auto``) a training run on a CUDA GPU or an Intel
XPU first doubles the recipe's batch until a few training steps no longer fit, keeps the largest that
did, and scales the learning rate with it (linear rule: ``lr * found / recipe batch``). The run's
config records the batch and learning rate found, so a replay trains with them. On the CPU, and in a
distributed run (the tuner runs one process), the recipe's batch stands.
"""

import copy
from typing import Any

import lightning
from attrs import evolve
from lightning import LightningDataModule
from lightning.pytorch.tuner.tuning import Tuner
from torch.utils.data import DataLoader

from otx.core.config.recipe import RunConfig
from otx.core.data.module import OTXDataModule
from otx.engine.devices.selection import process_count
from otx.engine.devices.trainer_args import trainer_device_arguments

__all__ = ["GPU_ACCELERATORS", "choose_batch_size"]

GPU_ACCELERATORS = ("cuda", "xpu")

STEPS_PER_TRIAL = 3
"""Training steps tried at each batch size."""


def choose_batch_size(
    config: RunConfig, model: lightning.LightningModule, datamodule: OTXDataModule
) -> tuple[RunConfig, str]:
    """``config`` with the batch size (and learning rate) to train with, and the line that says why.

    The returned config has ``data.auto_batch_size`` off: it records the choice, not the request.
    """
    data, trainer = config.data, config.trainer
    recipe = data.batch_size
    done = evolve(config, data=evolve(data, auto_batch_size=False))
    if trainer.accelerator not in GPU_ACCELERATORS:
        return (
            done,
            f"batch:  {recipe} (the recipe's: a larger batch is searched on a GPU, not on the {trainer.accelerator})",
        )
    if process_count(trainer.devices, trainer.accelerator) * trainer.num_nodes > 1:
        return done, f"batch:  {recipe} (the recipe's; the largest batch is searched on one device, not in DDP)"
    found = largest_batch(config, model, datamodule)
    if found <= recipe:
        return done, f"batch:  {recipe} (auto: the recipe's batch is the largest that fits the {trainer.accelerator})"
    lr = config.optimizer.lr * found / recipe
    scaled = evolve(done, data=evolve(done.data, batch_size=found), optimizer=evolve(config.optimizer, lr=lr))
    return scaled, (
        f"batch:  {found} (auto: the largest that fits the {trainer.accelerator}, from the recipe's {recipe}); "
        f"lr {lr:.3g} (x{found / recipe:g}, linear rule)"
    )


def largest_batch(config: RunConfig, model: lightning.LightningModule, datamodule: OTXDataModule) -> int:
    """Lightning's power search from the recipe's batch; the model's weights are restored afterwards."""
    trainer = lightning.Trainer(
        **trainer_device_arguments(config.trainer),
        max_epochs=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
    )
    probe = _BatchProbe(datamodule)
    found = Tuner(trainer).scale_batch_size(
        model, datamodule=probe, mode="power", steps_per_trial=STEPS_PER_TRIAL, init_val=config.data.batch_size
    )
    return int(found or config.data.batch_size)


class _BatchProbe(LightningDataModule):
    """The data module with a settable ``batch_size``, as the tuner changes it."""

    def __init__(self, datamodule: OTXDataModule) -> None:
        super().__init__()
        self.source = datamodule
        self.batch_size = datamodule.config.batch_size

    def _sized(self) -> OTXDataModule:
        sized = copy.copy(self.source)
        sized.config = evolve(self.source.config, batch_size=self.batch_size)
        return sized

    def train_dataloader(self) -> DataLoader[Any]:
        """Training batches of the current size."""
        return self._sized().train_dataloader()

    def val_dataloader(self) -> DataLoader[Any]:
        """Validation batches of the current size."""
        return self._sized().val_dataloader()
