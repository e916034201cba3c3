"""``Engine``: train, test and predict with one object, on ``lightning.Trainer``.

>>> engine = Engine(data_root="datasets/hymenoptera")  # doctest: +SKIP
>>> engine.train()  # doctest: +SKIP
>>> engine.test()  # doctest: +SKIP
"""

import csv
import logging
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import lightning
import torch
from lightning.pytorch.callbacks import Callback, ModelCheckpoint, TQDMProgressBar
from lightning.pytorch.loggers import CSVLogger

from otx.core.config.recipe import RunConfig
from otx.core.config.structure import apply_overrides, dump_yaml, load_yaml, structure, unstructure
from otx.core.data.entity import OTXBatchPredEntity
from otx.core.data.module import OTXDataModule
from otx.core.errors import CheckpointError, ConfigError
from otx.core.model.base import OTXModel
from otx.core.plugin import find_task, import_object
from otx.engine.autoconfig import auto_configure, parse_task
from otx.engine.checkpoint import METADATA_KEY, AtomicCheckpointIO, ResolvedCheckpoint, read_checkpoint
from otx.engine.report import print_choices, print_summary, write_metrics
from otx.engine.workdir import WorkDir

__all__ = ["Engine"]

CONFIG_FILE = "config.yaml"
METRICS_FILE = "metrics.json"


class _SaveRunConfig(Callback):
    """Embeds the run config in every checkpoint so that a checkpoint alone can be tested."""

    def __init__(self, config: RunConfig) -> None:
        self.config = unstructure(config)

    def on_save_checkpoint(self, trainer: lightning.Trainer, pl_module: Any, checkpoint: dict[str, Any]) -> None:
        checkpoint[METADATA_KEY] = {"config": self.config}


class Engine:
    """Train, test and predict a model on a dataset; each call writes a run folder under ``work_dir``.

    Args:
        data_root: dataset folder. Its format, the task, model and recipe are chosen automatically.
        task: force a task (e.g. ``"MULTI_CLASS_CLS"``) instead of deriving it from the format.
        model: a model name from ``otx find`` or a recipe ``.yaml``; default: the task's default.
        work_dir: where run folders go.
        seed: seed for the split, initialisation and data order.
        overrides: dotted recipe keys to set, e.g. ``{"optimizer.lr": 0.01, "data.batch_size": 16}``.
        config: a complete run config (see :meth:`from_config`); replaces the arguments above.
    """

    def __init__(
        self,
        data_root: str | Path | None = None,
        task: str | None = None,
        model: str | None = None,
        work_dir: str | Path = "otx-workspace",
        *,
        seed: int = 0,
        overrides: Mapping[str, Any] | None = None,
        config: RunConfig | None = None,
    ) -> None:
        _quiet_lightning()
        self.work_dir = WorkDir(Path(work_dir))
        self.config = config
        if config is None and data_root is not None:
            self.config, choices = auto_configure(data_root, task, model, seed, overrides)
            print_choices(choices)
        elif config is None and (task or model or overrides):
            raise ConfigError("--task, --model and overrides need --data_root (or --config)")
        self._data_root = Path(data_root) if data_root is not None else None

    @classmethod
    def from_config(
        cls,
        path: str | Path,
        work_dir: str | Path = "otx-workspace",
        data_root: str | Path | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> "Engine":
        """An engine that replays a saved ``config.yaml`` (or the one in a run folder)."""
        config_path = Path(path) / CONFIG_FILE if Path(path).is_dir() else Path(path)
        data = apply_overrides(load_yaml(config_path), overrides or {})
        if data_root is not None:
            data["data_root"] = str(Path(data_root).resolve())
        config = structure(data, RunConfig)
        find_task(parse_task(config.task))
        return cls(work_dir=work_dir, config=config)

    @classmethod
    def from_model_name(
        cls, model_name: str, data_root: str | Path, task: str | None = None, **kwargs: Any
    ) -> "Engine":
        """An engine for ``model_name`` (see ``otx find``) on ``data_root``."""
        return cls(data_root=data_root, task=task, model=model_name, **kwargs)

    def train(self, max_epochs: int | None = None, resume: bool = False) -> dict[str, float]:
        """Train and return the best checkpoint's validation metrics.

        With ``resume=True`` the latest training run continues from its last checkpoint.
        """
        if resume:
            run, config, ckpt_path = self._resume_target()
        else:
            config = self._require_config()
            run, ckpt_path = self.work_dir.new_run("train"), None
        if max_epochs is not None:
            config.trainer.max_epochs = max_epochs
        dump_yaml(unstructure(config), run / CONFIG_FILE)
        lightning.seed_everything(config.seed, verbose=False)
        datamodule, model = self._build(config)
        checkpoints = ModelCheckpoint(
            dirpath=run / "checkpoints",
            filename="best",
            monitor=model.monitor,
            mode="max",
            save_last=True,
            enable_version_counter=False,
        )
        trainer = self._trainer(config, run, [checkpoints, _SaveRunConfig(config)], log_version=_free_log_name(run))
        start = time.perf_counter()
        trainer.fit(model, datamodule=datamodule, ckpt_path=ckpt_path)
        elapsed = time.perf_counter() - start
        best = Path(checkpoints.best_model_path) if checkpoints.best_model_path else run / "checkpoints" / "last.ckpt"
        model.load_state_dict(read_checkpoint(best).state_dict)
        metrics = _scalars(trainer.validate(model, datamodule=datamodule, verbose=False)[0])
        write_metrics({**metrics, "epochs": float(trainer.current_epoch), "train_seconds": elapsed}, run / METRICS_FILE)
        print_summary(
            f"{config.model.name} on {Path(config.data_root or '').name}: best validation metrics",
            metrics,
            {"run": str(run), "checkpoint": str(best), "train time": f"{elapsed:.1f} s"},
        )
        return metrics

    def test(self, checkpoint: str | Path | None = None) -> dict[str, float]:
        """Evaluate a checkpoint (default: the latest training run's best) on the test subset."""
        resolved = self._resolve_checkpoint(checkpoint)
        config = self._config_for(resolved)
        datamodule, model = self._build(config, resolved)
        run = self.work_dir.new_run("test")
        trainer = self._trainer(config, run, [])
        metrics = _scalars(trainer.test(model, datamodule=datamodule, verbose=False)[0])
        write_metrics(metrics, run / METRICS_FILE)
        print_summary(
            f"{config.model.name}: test metrics", metrics, {"run": str(run), "checkpoint": str(resolved.path)}
        )
        return metrics

    def predict(self, checkpoint: str | Path | None = None) -> list[OTXBatchPredEntity]:
        """Predict on the test subset; writes ``predictions.csv`` (path, label, score) to the run folder."""
        resolved = self._resolve_checkpoint(checkpoint)
        config = self._config_for(resolved)
        datamodule, model = self._build(config, resolved)
        run = self.work_dir.new_run("predict")
        trainer = self._trainer(config, run, [])
        batches = trainer.predict(model, datamodule=datamodule) or []
        preds = [b for b in batches if isinstance(b, OTXBatchPredEntity)]
        _write_predictions(preds, model.label_info.label_names, run / "predictions.csv")
        print_summary(
            f"{config.model.name}: predictions",
            {},
            {"images": str(sum(len(p.imgs_info) for p in preds)), "written to": str(run / "predictions.csv")},
        )
        return preds

    def _require_config(self) -> RunConfig:
        if self.config is None:
            raise ConfigError("Nothing to train on: pass --data_root DIR (or --config a saved config.yaml)")
        return self.config

    def _resume_target(self) -> tuple[Path, RunConfig, Path]:
        run = self.work_dir.latest("train")
        if run is None:
            raise CheckpointError(f"Nothing to resume: no training run in {self.work_dir.root}")
        last = run / "checkpoints" / "last.ckpt"
        if not last.is_file():
            raise CheckpointError(f"Cannot resume {run}: it has no checkpoints/last.ckpt yet; start a new run")
        config = structure(load_yaml(run / CONFIG_FILE), RunConfig)
        print_choices([f"resuming {run} from {last.name}"])
        return run, config, last

    def _resolve_checkpoint(self, checkpoint: str | Path | None) -> ResolvedCheckpoint:
        """The one place that decides which checkpoint a command uses and checks it fits this engine."""
        if checkpoint is None:
            run = self.work_dir.latest("train")
            if run is None:
                raise CheckpointError(f"No training run in {self.work_dir.root}: train first or pass --checkpoint")
            best = run / "checkpoints" / "best.ckpt"
            checkpoint = best if best.is_file() else run / "checkpoints" / "last.ckpt"
        resolved = read_checkpoint(Path(checkpoint))
        if self.config is not None and resolved.config.task != self.config.task:
            raise CheckpointError(
                f"{resolved.path} is a {resolved.config.task} checkpoint, but this dataset is {self.config.task}"
            )
        return resolved

    def _config_for(self, resolved: ResolvedCheckpoint) -> RunConfig:
        config = resolved.config
        if self._data_root is not None and self.config is not None:
            config.data_root, config.data_format = self.config.data_root, self.config.data_format
        return config

    def _build(
        self, config: RunConfig, resolved: ResolvedCheckpoint | None = None
    ) -> tuple[OTXDataModule, OTXModel[Any, Any]]:
        spec = find_task(parse_task(config.task))
        adapter = import_object(spec.dataset_adapter)()
        if config.data_root is None or config.data_format is None:
            raise ConfigError("The config has no data_root/data_format: pass --data_root")
        datamodule = OTXDataModule(
            adapter,
            Path(config.data_root),
            config.data_format,
            config.data,
            seed=config.seed,
            label_names=config.label_names,
            min_classes=adapter.min_classes,
        )
        config.label_names = list(datamodule.label_info.label_names)
        model_cls = import_object(config.model.class_path)
        if not (isinstance(model_cls, type) and issubclass(model_cls, OTXModel)):
            raise ConfigError(f"model.class_path '{config.model.class_path}' is not an OTXModel")
        try:
            model = model_cls(
                label_info=datamodule.label_info,
                optimizer=config.optimizer,
                scheduler=config.scheduler,
                pretrained=None if resolved else config.model.pretrained,
                **config.model.init_args,
            )
        except TypeError as exc:
            raise ConfigError(f"Invalid model.init_args for {config.model.name}: {exc}") from None
        if resolved is not None:
            try:
                model.load_state_dict(resolved.state_dict)
            except RuntimeError as exc:
                raise CheckpointError(
                    f"{resolved.path} does not fit {config.model.name}: {exc}".split("\n")[0]
                ) from None
        return datamodule, model

    def _trainer(
        self, config: RunConfig, run: Path, callbacks: list[Callback], log_version: str = "logs"
    ) -> lightning.Trainer:
        trainer_config = config.trainer
        return lightning.Trainer(
            max_epochs=trainer_config.max_epochs,
            precision=trainer_config.precision,  # type: ignore[arg-type]
            accelerator=trainer_config.accelerator,
            devices=trainer_config.devices,
            gradient_clip_val=trainer_config.gradient_clip_val,
            deterministic=trainer_config.deterministic,
            log_every_n_steps=trainer_config.log_every_n_steps,
            default_root_dir=run,
            logger=CSVLogger(save_dir=run, name="", version=log_version),
            callbacks=[*callbacks, TQDMProgressBar()],
            plugins=[AtomicCheckpointIO()],
            enable_checkpointing=any(isinstance(c, ModelCheckpoint) for c in callbacks),
            enable_model_summary=False,
            num_sanity_val_steps=0,
        )


def _free_log_name(run: Path) -> str:
    """``logs`` for a new run; ``logs_2``, ``logs_3``... when a resumed run must keep earlier logs."""
    name, attempt = "logs", 1
    while (run / name).exists():
        attempt += 1
        name = f"logs_{attempt}"
    return name


def _scalars(metrics: Mapping[str, Any]) -> dict[str, float]:
    return {name: float(value) for name, value in sorted(metrics.items())}


def _write_predictions(preds: list[OTXBatchPredEntity], label_names: tuple[str, ...], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["path", "label", "score"])
        for batch in preds:
            best_scores, best_labels = batch.scores.max(dim=1)
            for info, label, score in zip(batch.imgs_info, best_labels.tolist(), best_scores.tolist(), strict=True):
                writer.writerow([info.path or info.index, label_names[label], f"{score:.4f}"])


def _quiet_lightning() -> None:
    for message in (
        ".*LeafSpec.*",
        ".*smaller than the logging interval.*",
        ".*does not have many workers.*",
        ".*exists and is not empty.*",
    ):
        warnings.filterwarnings("ignore", message=message)
    for name in ("lightning.pytorch", "lightning.fabric", "lightning"):
        logging.getLogger(name).setLevel(logging.WARNING)
    torch.set_float32_matmul_precision("high")
