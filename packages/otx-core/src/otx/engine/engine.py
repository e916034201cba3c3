"""``Engine``: train, test, predict, export, optimize and benchmark with one object, on ``lightning.Trainer``.

>>> engine = Engine(data_root="datasets/hymenoptera")  # doctest: +SKIP
>>> engine.train()  # doctest: +SKIP
>>> engine.test()  # doctest: +SKIP
"""

import csv
import logging
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import lightning
import torch
from lightning.pytorch.callbacks import Callback, ModelCheckpoint, TQDMProgressBar
from lightning.pytorch.loggers import CSVLogger

from otx.core.config.recipe import RunConfig
from otx.core.config.structure import apply_overrides, dump_yaml, load_yaml, structure, unstructure
from otx.core.data.entity import OTXBatchPredEntity
from otx.core.data.formats import check_data_root
from otx.core.data.module import OTXDataModule
from otx.core.errors import CheckpointError, ConfigError, DataError
from otx.core.export.deployed import OpenVINOModule
from otx.core.export.ir import read_ir
from otx.core.export.quantize import quantize_ir
from otx.core.model.base import OTXModel
from otx.core.plugin import find_task, import_object
from otx.core.types.label import LabelInfo
from otx.engine.autoconfig import auto_configure, format_for_task, parse_task
from otx.engine.checkpoint import METADATA_KEY, AtomicCheckpointIO, ResolvedCheckpoint, read_checkpoint
from otx.engine.deploy import (
    BENCHMARK_BATCH_SIZES,
    EXPORT_FORMATS,
    IR_FP32,
    IR_INT8,
    benchmark_rows,
    export_files,
    model_size,
)
from otx.engine.drawing import save_drawn_predictions
from otx.engine.report import print_benchmark, print_choices, print_summary, write_metrics
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
    """Train, test, predict, export, optimize and benchmark; each call writes a run folder under ``work_dir``.

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
        config = structure(apply_overrides(load_yaml(config_path), overrides or {}), RunConfig)
        spec = find_task(parse_task(config.task))
        if data_root is not None:
            root = check_data_root(data_root)
            config.data_root, config.data_format = str(root.resolve()), format_for_task(spec, root)
        return cls(work_dir=work_dir, config=config)

    @classmethod
    def from_model_name(
        cls, model_name: str, data_root: str | Path, task: str | None = None, **kwargs: Any
    ) -> "Engine":
        """An engine for ``model_name`` (see ``otx find``) on ``data_root``."""
        return cls(data_root=data_root, task=task, model=model_name, **kwargs)

    def train(
        self, max_epochs: int | None = None, resume: bool = False, callbacks: Sequence[Callback] = ()
    ) -> dict[str, float]:
        """Train and return the best checkpoint's validation metrics.

        With ``resume=True`` the latest training run continues from its last checkpoint. ``callbacks``
        are extra Lightning callbacks for the training run (timers, early stopping, ...).
        """
        if resume:
            run, config, ckpt_path = self._resume_target()
        else:
            config = self._require_config()
            run, ckpt_path = self.work_dir.new_run("train"), None
        if max_epochs is not None:
            config.trainer.max_epochs = max_epochs
        lightning.seed_everything(config.seed, verbose=False)
        datamodule = self._build_datamodule(config)
        model = self._build_model(config)
        dump_yaml(unstructure(config), run / CONFIG_FILE)
        checkpoints = ModelCheckpoint(
            dirpath=run / "checkpoints",
            filename="best",
            monitor=model.monitor,
            mode="max",
            save_last=True,
            enable_version_counter=False,
        )
        trainer = self._trainer(
            config, run, [checkpoints, _SaveRunConfig(config), *callbacks], log_version=_free_log_name(run)
        )
        start = time.perf_counter()
        trainer.fit(model, datamodule=datamodule, ckpt_path=ckpt_path)
        elapsed = time.perf_counter() - start
        best = Path(checkpoints.best_model_path) if checkpoints.best_model_path else run / "checkpoints" / "last.ckpt"
        model.load_state_dict(read_checkpoint(best).state_dict or {})
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
        config, resolved, datamodule, model = self._evaluation_setup(checkpoint)
        run = self.work_dir.new_run("test")
        trainer = self._trainer(config, run, [])
        metrics = _scalars(trainer.test(model, datamodule=datamodule, verbose=False)[0])
        write_metrics(metrics, run / METRICS_FILE)
        print_summary(
            f"{config.model.name}: test metrics", metrics, {"run": str(run), "checkpoint": str(resolved.path)}
        )
        return metrics

    def predict(self, checkpoint: str | Path | None = None, save_images: bool = False) -> list[OTXBatchPredEntity]:
        """Predict on the test subset; writes ``predictions.csv`` to the run folder.

        With ``save_images=True`` each image is also written to ``images/`` with its prediction drawn on it.
        """
        config, _, datamodule, model = self._evaluation_setup(checkpoint)
        run = self.work_dir.new_run("predict")
        trainer = self._trainer(config, run, [])
        batches = trainer.predict(model, datamodule=datamodule) or []
        preds = [b for b in batches if isinstance(b, OTXBatchPredEntity)]
        _write_predictions([row for batch in preds for row in model.prediction_rows(batch)], run / "predictions.csv")
        facts = {"images": str(sum(len(p.imgs_info) for p in preds)), "written to": str(run / "predictions.csv")}
        if save_images:
            drawn = save_drawn_predictions(model, preds, run / "images")
            facts["drawn"] = f"{drawn} image(s) in {run / 'images'}"
        print_summary(f"{config.model.name}: predictions", {}, facts)
        return preds

    def export(
        self, checkpoint: str | Path | None = None, formats: tuple[str, ...] = EXPORT_FORMATS
    ) -> dict[str, Path]:
        """Export a checkpoint (default: the latest training run's best) to OpenVINO IR FP32/FP16 and ONNX."""
        unknown = set(formats) - set(EXPORT_FORMATS)
        if unknown:
            raise ConfigError(f"Unknown export format(s) {sorted(unknown)}; choose from {list(EXPORT_FORMATS)}")
        resolved = self._resolve_checkpoint(checkpoint)
        if resolved.is_ir:
            raise CheckpointError(f"{resolved.path} is already exported; export takes a .ckpt training checkpoint")
        model = self._build_model(resolved.config, resolved).eval()
        model.export_module()  # models that cannot be exported say so before a run folder is made
        run = self.work_dir.new_run("export")
        written = export_files(model, resolved.config, run, formats)
        print_summary(f"{resolved.config.model.name}: exported", {}, {k: str(v) for k, v in written.items()})
        return written

    def optimize(self, checkpoint: str | Path | None = None, subset_size: int = 300) -> dict[str, float]:
        """INT8-quantize an IR (default: the latest export's, exporting first if there is none) with NNCF.

        Calibrates on up to ``subset_size`` training images and reports the accuracy before and after.
        """
        xml = self._ir_to_optimize(checkpoint)
        resolved = self._resolve_checkpoint(xml)
        config = self._config_for(resolved)
        try:
            datamodule = self._build_datamodule(config)
        except DataError as exc:
            raise DataError(f"INT8 calibration needs the training images ({exc}); pass --data_root") from None
        run = self.work_dir.new_run("optimize")
        int8 = quantize_ir(read_ir(xml), datamodule.calibration_dataloader(), subset_size, run / IR_INT8)
        trainer = self._trainer(config, run, [])
        before = _scalars(trainer.test(self._build_model(config, resolved), datamodule=datamodule, verbose=False)[0])
        int8_model = self._build_model(config, read_checkpoint(int8))
        after = _scalars(trainer.test(int8_model, datamodule=datamodule, verbose=False)[0])
        metrics = {**{f"fp32/{k}": v for k, v in before.items()}, **{f"int8/{k}": v for k, v in after.items()}}
        write_metrics(metrics, run / METRICS_FILE)
        print_summary(f"{config.model.name}: INT8 quantization", metrics, {"source": str(xml), "int8 model": str(int8)})
        return metrics

    def benchmark(
        self,
        checkpoint: str | Path | None = None,
        batch_sizes: tuple[int, ...] = BENCHMARK_BATCH_SIZES,
        iterations: int = 30,
    ) -> list[dict[str, Any]]:
        """Latency and throughput of the torch model and the latest IRs (FP32, INT8), params and FLOPs."""
        resolved = self._resolve_checkpoint(checkpoint)
        if resolved.is_ir:
            raise CheckpointError(
                f"benchmark takes a .ckpt training checkpoint, not {resolved.path}; it finds the latest IRs itself"
            )
        model = self._build_model(resolved.config, resolved).eval()
        irs = {
            name: path
            for name, path in (
                ("OpenVINO FP32", self._latest_file("export", IR_FP32)),
                ("OpenVINO INT8", self._latest_file("optimize", IR_INT8)),
            )
            if path is not None
        }
        input_size = resolved.config.data.input_size
        run = self.work_dir.new_run("benchmark")
        rows = benchmark_rows(model, irs, input_size, batch_sizes, iterations)
        size = model_size(model, input_size)
        write_metrics({"rows": rows, **size}, run / "benchmark.json")
        print_benchmark(f"{resolved.config.model.name}: latency", rows, size)
        return rows

    def _ir_to_optimize(self, checkpoint: str | Path | None) -> Path:
        if checkpoint is not None and Path(checkpoint).suffix == ".xml":
            return Path(checkpoint)
        latest = self._latest_file("export", IR_FP32) if checkpoint is None else None
        return latest if latest is not None else self.export(checkpoint, formats=("openvino",))["OpenVINO IR FP32"]

    def _latest_file(self, command: str, name: str) -> Path | None:
        run = self.work_dir.latest(command)
        return run / name if run is not None and (run / name).is_file() else None

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
        find_task(parse_task(resolved.config.task))
        if self.config is not None and resolved.config.task != self.config.task:
            raise CheckpointError(
                f"{resolved.path} is a {resolved.config.task} checkpoint, but this dataset is {self.config.task}"
            )
        return resolved

    def _evaluation_setup(
        self, checkpoint: str | Path | None
    ) -> tuple[RunConfig, ResolvedCheckpoint, OTXDataModule, OTXModel[Any, Any]]:
        """Checkpoint, its config, the data and the model with its weights, for test and predict."""
        resolved = self._resolve_checkpoint(checkpoint)
        config = self._config_for(resolved)
        return config, resolved, self._build_datamodule(config), self._build_model(config, resolved)

    def _config_for(self, resolved: ResolvedCheckpoint) -> RunConfig:
        config = resolved.config
        if self._data_root is not None and self.config is not None:
            config.data_root, config.data_format = self.config.data_root, self.config.data_format
        return config

    def _build_datamodule(self, config: RunConfig) -> OTXDataModule:
        """Import the dataset; fixes ``config.label_names`` on first use."""
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
        return datamodule

    def _build_model(self, config: RunConfig, resolved: ResolvedCheckpoint | None = None) -> OTXModel[Any, Any]:
        """The model of ``config``, with the weights (or the exported IR) of ``resolved``."""
        if config.label_names is None:
            raise ConfigError("The config has no label_names; build the data module first")
        model_cls = import_object(config.model.class_path)
        if not (isinstance(model_cls, type) and issubclass(model_cls, OTXModel)):
            raise ConfigError(f"model.class_path '{config.model.class_path}' is not an OTXModel")
        try:
            model = model_cls(
                label_info=LabelInfo.from_names(config.label_names),
                optimizer=config.optimizer,
                scheduler=config.scheduler,
                pretrained=None if resolved else config.model.pretrained,
                **config.model.init_args,
            )
        except TypeError as exc:
            raise ConfigError(f"Invalid model.init_args for {config.model.name}: {exc}") from None
        if resolved is None:
            return model
        if resolved.state_dict is None:
            model.use_deployed(OpenVINOModule(resolved.path))
            return model
        try:
            model.load_state_dict(resolved.state_dict)
        except RuntimeError as exc:
            raise CheckpointError(f"{resolved.path} does not fit {config.model.name}: {exc}".split("\n")[0]) from None
        return model

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


def _write_predictions(rows: list[dict[str, str]], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]) if rows else ["path"])
        writer.writeheader()
        writer.writerows(rows)


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
