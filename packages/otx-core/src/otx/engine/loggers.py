"""The trainer's loggers (``trainer.logger``) and when it stops early (``trainer.patience``, ``trainer.max_time``)."""

from importlib.util import find_spec
from pathlib import Path

from lightning.pytorch.callbacks import Callback, EarlyStopping, Timer
from lightning.pytorch.loggers import CSVLogger, Logger, TensorBoardLogger

from otx.core.config.recipe import TrainerConfig
from otx.core.config.validators import parse_duration
from otx.core.errors import ConfigError

__all__ = ["TENSORBOARD_INSTALL", "build_loggers", "stopping_callbacks"]

TENSORBOARD_INSTALL = 'pip install "otx-core[tensorboard]"'


def build_loggers(settings: TrainerConfig, run: Path, version: str) -> list[Logger]:
    """CSV logs in ``run/<version>`` (the run report reads them), and TensorBoard's in ``run/tensorboard/<version>``."""
    loggers: list[Logger] = [CSVLogger(save_dir=run, name="", version=version)]
    if settings.logger == "tensorboard":
        if find_spec("tensorboard") is None:
            raise ConfigError(f"trainer.logger tensorboard needs the tensorboard package: {TENSORBOARD_INSTALL}")
        loggers.append(TensorBoardLogger(save_dir=run, name="tensorboard", version=version, default_hp_metric=False))
    return loggers


def stopping_callbacks(settings: TrainerConfig, monitor: str) -> list[Callback]:
    """Early stopping on ``monitor`` (higher is better) and the time budget, as ``trainer.*`` asks.

    Early stopping ends training once ``monitor`` has not improved for ``trainer.patience``
    validations. The time budget is checked at the end of each epoch, so that the last epoch is
    validated and checkpointed: a run may end up to one epoch past ``trainer.max_time``.
    """
    callbacks: list[Callback] = []
    if settings.patience is not None:
        callbacks.append(
            EarlyStopping(monitor=monitor, mode="max", patience=settings.patience, check_on_train_epoch_end=False)
        )
    budget = parse_duration(settings.max_time) if settings.max_time else None
    if budget is not None:
        callbacks.append(Timer(duration=budget, interval="epoch"))
    return callbacks
