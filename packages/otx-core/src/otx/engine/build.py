"""What a plan's config builds: the data module, the model with its weights, the Lightning trainer."""

import json
from pathlib import Path
from typing import Any

import lightning
from lightning.pytorch.callbacks import Callback, ModelCheckpoint
from lightning.pytorch.profilers import SimpleProfiler

from otx.core.config.recipe import RunConfig
from otx.core.config.structure import unstructure
from otx.core.data.module import OTXDataModule
from otx.core.errors import CheckpointError, ConfigError
from otx.core.export.deployed import OpenVINOModule
from otx.core.model.base import OTXModel
from otx.core.plugin import find_task, import_class, import_object
from otx.core.types.label import LabelInfo
from otx.engine.checkpoint import AtomicCheckpointIO, ResolvedCheckpoint
from otx.engine.devices.trainer_args import trainer_device_arguments
from otx.engine.divergence import DivergenceGuard
from otx.engine.loggers import build_loggers
from otx.engine.progress import progress_callback

__all__ = ["DataModules", "build_datamodule", "build_model", "build_trainer"]


def build_datamodule(config: RunConfig, check_cache: Path | None = None) -> OTXDataModule:
    """Import the config's dataset for its task; with ``label_names`` set, labels map onto them.

    ``check_cache``: the file where image checks are remembered between runs.
    """
    if config.data_root is None or config.data_format is None:
        raise ConfigError("The config has no data_root/data_format: pass --data_root")
    adapter = import_object(find_task(config.task).dataset_adapter)()
    return OTXDataModule(
        adapter,
        Path(config.data_root),
        config.data_format,
        config.data,
        seed=config.seed,
        label_names=config.label_names,
        min_classes=adapter.min_classes,
        check_cache=check_cache,
        task=config.task,
    )


class DataModules:
    """Each dataset is imported (and its images checked) once: plan resolution and commands share it.

    The input size only shapes the transforms, so a config that differs from a built one in
    ``data.input_size`` alone (chosen from the data after the import) shares its import.
    """

    def __init__(self, check_cache: Path | None = None) -> None:
        self._built: dict[str, OTXDataModule] = {}
        self._check_cache = check_cache

    def get(self, config: RunConfig) -> OTXDataModule:
        """The data module of ``config``, built on first use."""
        data = {k: v for k, v in unstructure(config.data).items() if k != "input_size"}
        key = json.dumps([config.task.value, config.data_root, config.data_format, config.seed, data], sort_keys=True)
        datamodule = self._built.get(key)
        if datamodule is None or (
            config.label_names is not None and datamodule.label_info.label_names != config.label_names
        ):
            datamodule = self._built[key] = build_datamodule(config, self._check_cache)
        elif datamodule.config != config.data:
            datamodule = self._built[key] = datamodule.with_data_config(config.data)
        return datamodule


def build_model(config: RunConfig, checkpoint: ResolvedCheckpoint | None = None) -> OTXModel[Any, Any]:
    """The model of ``config``, with the weights (or the exported IR) of ``checkpoint``."""
    if config.label_names is None:
        raise ConfigError("The config has no label_names; resolve the plan with its data first")
    model_cls = import_class(config.model.class_path, OTXModel, "model.class_path")
    try:
        model = model_cls(
            label_info=LabelInfo.from_names(config.label_names, config.label_hierarchy),
            optimizer=config.optimizer,
            scheduler=config.scheduler,
            pretrained=None if checkpoint else config.model.pretrained,
            **config.model.init_args,
        )
    except TypeError as exc:
        raise ConfigError(f"Invalid model.init_args for {config.model.name}: {exc}") from None
    if checkpoint is None:
        return model
    if checkpoint.state_dict is None:
        model.use_deployed(OpenVINOModule(checkpoint.path))
        return model
    try:
        model.load_state_dict(checkpoint.state_dict)
    except RuntimeError as exc:
        raise CheckpointError(f"{checkpoint.path} does not fit {config.model.name}: {exc}".split("\n")[0]) from None
    return model


def build_trainer(
    config: RunConfig, run: Path, callbacks: list[Callback], log_version: str = "logs"
) -> lightning.Trainer:
    """A Lightning trainer for the config's trainer settings, logging to ``run``."""
    settings = config.trainer
    devices = trainer_device_arguments(settings)
    plugins = [AtomicCheckpointIO(), *devices.pop("plugins", [])]
    return lightning.Trainer(
        max_epochs=settings.max_epochs,
        **devices,
        gradient_clip_val=settings.gradient_clip_val,
        deterministic=settings.deterministic,
        log_every_n_steps=settings.log_every_n_steps,
        check_val_every_n_epoch=settings.check_val_every_n_epoch,
        default_root_dir=run,
        logger=build_loggers(settings, run, log_version),
        callbacks=[*callbacks, progress_callback(), DivergenceGuard()],
        plugins=plugins,
        enable_checkpointing=any(isinstance(c, ModelCheckpoint) for c in callbacks),
        enable_model_summary=False,
        num_sanity_val_steps=0,
        profiler=SimpleProfiler(dirpath=run, filename="profile") if settings.profiler == "simple" else None,
    )
