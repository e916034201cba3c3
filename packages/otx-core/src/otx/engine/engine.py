"""``Engine``: train, test, predict, export, optimize and benchmark with one object, on ``lightning.Trainer``.

Each method resolves its plan (see :mod:`otx.engine.resolve`), prints it, and runs it:

>>> engine = Engine(data_root="datasets/hymenoptera")  # doctest: +SKIP
>>> engine.train()  # doctest: +SKIP
>>> engine.test()  # doctest: +SKIP
"""

import logging
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from attrs import evolve
from lightning.pytorch.callbacks import Callback

from otx.core.config.recipe import DEFAULT_MAX_PIXELS, RunConfig
from otx.core.data.entity import OTXBatchPredEntity
from otx.core.data.formats import check_data_root
from otx.core.data.sources import PredictSource, find_source
from otx.core.errors import ConfigError
from otx.core.types.task import parse_task
from otx.engine.build import DataModules
from otx.engine.collection import collector_paused
from otx.engine.commands.deployment import run_benchmark, run_export, run_optimize
from otx.engine.commands.evaluation import run_test
from otx.engine.commands.explain import run_explain
from otx.engine.commands.prediction import run_predict
from otx.engine.commands.training import run_train
from otx.engine.deploy import BENCHMARK_BATCH_SIZES, EXPORT_FORMATS
from otx.engine.devices.ranks import is_rank_zero
from otx.engine.plan import Command, PlanRequest, RunPlan
from otx.engine.preflight import check_benchmark_arguments, check_request, check_work_dir
from otx.engine.report import print_choices
from otx.engine.resolve import read_run_config, resolve_plan
from otx.engine.workdir import WorkDir

if TYPE_CHECKING:
    from otx.engine.commands.hpo import HPOResult

__all__ = ["Engine"]


class Engine:
    """Train, test, predict, export, optimize and benchmark; each call writes a run folder under ``work_dir``.

    Args:
        data_root: dataset folder. Its format, the task, model and recipe are chosen automatically;
            commands that start from a checkpoint take only the data from it.
        task: force a task (e.g. ``"MULTI_CLASS_CLS"``) instead of deriving it from the format.
        model: a model name from ``otx find`` or a recipe ``.yaml``; default: the task's default.
        work_dir: where run folders go.
        seed: seed for the split, initialisation and data order (default: the recipe's or the saved config's).
        overrides: dotted recipe keys to set, e.g. ``{"optimizer.lr": 0.01, "data.batch_size": 16}``.
        config: a saved run config (a ``RunConfig``, a ``config.yaml`` or a run folder) to replay.
    """

    def __init__(
        self,
        data_root: str | Path | None = None,
        task: str | None = None,
        model: str | None = None,
        work_dir: str | Path = "otx-workspace",
        *,
        seed: int | None = None,
        overrides: Mapping[str, Any] | None = None,
        config: RunConfig | str | Path | None = None,
    ) -> None:
        _quiet_lightning()
        if config is None:
            check_request(task, model, overrides or {})
        self.work_dir = WorkDir(check_work_dir(Path(work_dir)))
        self.request = PlanRequest(
            data_root=check_data_root(data_root) if data_root is not None else None,
            task=parse_task(task) if task is not None else None,
            model=model,
            config=_read_config(config),
            seed=seed,
            overrides=dict(overrides or {}),
        )
        self._data = DataModules(self.work_dir.root / ".cache" / "image_checks.json")
        self.last_plan: RunPlan | None = None
        """The plan the latest command ran."""

    @classmethod
    def from_config(
        cls,
        path: str | Path,
        work_dir: str | Path = "otx-workspace",
        data_root: str | Path | None = None,
        overrides: Mapping[str, Any] | None = None,
        seed: int | None = None,
    ) -> "Engine":
        """An engine that replays a saved ``config.yaml`` (or the one in a run folder), optionally on other data."""
        return cls(data_root=data_root, work_dir=work_dir, seed=seed, overrides=overrides, config=path)

    @classmethod
    def from_model_name(
        cls, model_name: str, data_root: str | Path, task: str | None = None, **kwargs: Any
    ) -> "Engine":
        """An engine for ``model_name`` (see ``otx find``) on ``data_root``."""
        return cls(data_root=data_root, task=task, model=model_name, **kwargs)

    @property
    def config(self) -> RunConfig:
        """The run config that :meth:`train` would run (imports the dataset on first use; writes nothing)."""
        return self.plan(Command.TRAIN).config

    def plan(self, command: Command | str = Command.TRAIN, **arguments: Any) -> RunPlan:
        """The plan of ``command`` with ``arguments`` (``checkpoint``, ``max_epochs``, ``resume``, ``source``)."""
        with collector_paused():  # the dataset's import creates objects faster than collections pay off
            return resolve_plan(Command(command), self._request(**arguments), self.work_dir, self._data.get)

    def train(
        self,
        max_epochs: int | None = None,
        resume: bool = False,
        callbacks: Sequence[Callback] = (),
        checkpoint: str | Path | None = None,
        patience: int | None = None,
        max_time: str | None = None,
        logger: str | None = None,
        accelerator: str | None = None,
        devices: int | str | None = None,
        num_nodes: int | None = None,
        strategy: str | None = None,
        precision: str | None = None,
    ) -> dict[str, float]:
        """Train and return the best checkpoint's validation metrics.

        With ``resume=True`` the latest training run continues from its last checkpoint. ``callbacks``
        are extra Lightning callbacks for the training run. With ``checkpoint``, a new run starts from
        that trained model on this engine's data: class-incremental training, the known classes'
        weights kept by name and new classes added. ``patience`` stops training after that many
        validations without a better monitored metric, ``max_time`` (``[DD:]HH:MM:SS``) when the time
        is spent; ``logger="tensorboard"`` adds TensorBoard logs (``trainer.*`` keys of the recipe).
        ``accelerator`` (``auto``: an Intel XPU, then CUDA, then the CPU), ``devices``, ``num_nodes``,
        ``strategy`` and ``precision`` say where and how it trains (see ``docs/devices.md``).
        """
        given = {
            "patience": patience,
            "max_time": max_time,
            "logger": logger,
            "accelerator": accelerator,
            "devices": devices,
            "num_nodes": num_nodes,
            "strategy": strategy,
            "precision": precision,
        }
        trainer = {key: value for key, value in given.items() if value is not None}
        plan = self._start(Command.TRAIN, max_epochs=max_epochs, resume=resume, checkpoint=checkpoint, trainer=trainer)
        return run_train(plan, self.work_dir, self._data, callbacks)

    def test(self, checkpoint: str | Path | None = None) -> dict[str, float]:
        """Evaluate a checkpoint or IR (default: the latest training run's best) on the test subset."""
        return run_test(self._start(Command.TEST, checkpoint=checkpoint), self.work_dir, self._data)

    def predict(
        self, checkpoint: str | Path | None = None, save_images: bool = False, source: str | Path | None = None
    ) -> list[OTXBatchPredEntity]:
        """Predict with a checkpoint or IR on the test subset, or on ``source``: an image, a video, a folder or a glob.

        Returns the task's prediction entities, one per batch (``imgs_info`` names each file, and the frame
        of a video); writes ``predictions.csv`` and ``predictions.json`` to the run folder, and with
        ``save_images=True`` each image (each frame) to ``images/`` with its prediction drawn on it. Images
        in ``source`` are read upright (EXIF orientation); unreadable files are skipped and named.
        """
        found = None
        if source is not None:  # the engine's data_root, if any, is not read: the model's classes and input decide
            cap = self.request.overrides.get("data.max_image_pixels", DEFAULT_MAX_PIXELS)
            found = find_source(source, int(cap))
        plan = self._start(Command.PREDICT, checkpoint=checkpoint, source=found)
        return run_predict(plan, self.work_dir, self._data, save_images)

    def explain(self, checkpoint: str | Path | None = None) -> Path:
        """Saliency maps of a checkpoint on the test subset: per image one PNG overlay per class and an ``.npz``.

        Returns the folder they are in (``saliency/`` in the run folder); see ``docs/explain.md``.
        """
        return run_explain(self._start(Command.EXPLAIN, checkpoint=checkpoint), self.work_dir, self._data)

    def export(
        self,
        checkpoint: str | Path | None = None,
        formats: tuple[str, ...] = EXPORT_FORMATS,
        explain: bool = False,
    ) -> dict[str, Path]:
        """Export a checkpoint (default: the latest training run's best) to OpenVINO IR FP32/FP16 and ONNX.

        With ``explain=True`` the models also output ``saliency_map`` and ``feature_vector`` for Model API.
        """
        return run_export(self._start(Command.EXPORT, checkpoint=checkpoint), self.work_dir, formats, explain)

    def optimize(self, checkpoint: str | Path | None = None, subset_size: int = 300) -> dict[str, float]:
        """INT8-quantize an IR (default: the latest export's, exporting first if there is none) with NNCF.

        Calibrates on up to ``subset_size`` training images and reports the accuracy before and after.
        """
        plan = self._start(Command.OPTIMIZE, checkpoint=checkpoint)
        return run_optimize(plan, self.work_dir, self._data, subset_size)

    def benchmark(
        self,
        checkpoint: str | Path | None = None,
        batch_sizes: tuple[int, ...] = BENCHMARK_BATCH_SIZES,
        iterations: int = 30,
    ) -> list[dict[str, Any]]:
        """Latency and throughput of the torch model and the latest IRs (FP32, INT8), params and FLOPs."""
        check_benchmark_arguments(batch_sizes, iterations)
        plan = self._start(Command.BENCHMARK, checkpoint=checkpoint)
        return run_benchmark(plan, self.work_dir, batch_sizes, iterations)

    def hpo(
        self,
        trials: int | None = None,
        time: float | None = None,
        workers: int = 1,
        storage: str | None = None,
        study_name: str | None = None,
        epochs_per_trial: int | None = None,
    ) -> "HPOResult":
        """Search the recipe's ``hpo.space`` with Optuna; returns the best trial and its ``best_config.yaml``.

        Each argument overrides the config's ``hpo`` section: ``trials`` in the study in all (a study
        resumes: trials of earlier runs count), ``time`` in seconds (given alone, it is the only budget),
        ``storage`` an Optuna RDB URL shared by ``workers`` processes here and by runs on other machines
        (default: SQLite ``hpo.db`` in the work dir). Train the best with
        ``Engine.from_config(result.best_config).train()``.
        """
        from otx.engine.commands.hpo import run_hpo

        if workers < 1:
            raise ConfigError(f"hpo needs at least one worker, got {workers}")
        given = {
            "hpo.trials": trials,
            "hpo.time": time,
            "hpo.storage": storage,
            "hpo.study_name": study_name,
            "hpo.epochs_per_trial": epochs_per_trial,
        }
        overrides: dict[str, Any] = {key: value for key, value in given.items() if value is not None}
        if time is not None and trials is None:
            overrides["hpo.trials"] = None
        request = evolve(self.request, overrides={**self.request.overrides, **overrides})
        plan = resolve_plan(Command.TRAIN, request, self.work_dir, self._data.get)
        settings = plan.config.hpo
        budget = " and ".join(
            part
            for part in (
                f"{settings.trials} trials" if settings.trials else "",
                f"{settings.time:.0f} s" if settings.time else "",
            )
            if part
        )
        epochs = settings.epochs_per_trial or plan.config.trainer.max_epochs
        line = f"hpo:    {budget}, {epochs} epochs per trial, {settings.pruner} pruner, {workers} worker(s)"
        plan = evolve(plan, command=Command.HPO, choices=(*plan.choices, line))
        print_choices(str(Command.HPO), plan.choices)
        self.last_plan = plan
        return run_hpo(plan, self.work_dir, self._data, workers)

    def _request(
        self,
        checkpoint: str | Path | None = None,
        max_epochs: int | None = None,
        resume: bool = False,
        trainer: Mapping[str, Any] | None = None,
        source: PredictSource | None = None,
    ) -> PlanRequest:
        overrides = dict(self.request.overrides)
        if max_epochs is not None:
            overrides["trainer.max_epochs"] = max_epochs
        overrides.update({f"trainer.{key}": value for key, value in (trainer or {}).items()})
        return evolve(
            self.request,
            checkpoint=Path(checkpoint) if checkpoint is not None else None,
            overrides=overrides,
            resume=resume,
            source=source,
        )

    def _start(self, command: Command, **arguments: Any) -> RunPlan:
        """Resolve the command's plan and print it (on rank zero only): what is printed is what runs."""
        plan = self.plan(command, **arguments)
        if is_rank_zero():
            print_choices(str(command), plan.choices)
        self.last_plan = plan
        return plan


def _read_config(config: RunConfig | str | Path | None) -> RunConfig | None:
    if config is None or isinstance(config, RunConfig):
        return config
    return read_run_config(Path(config))


def _quiet_lightning() -> None:
    for message in (
        ".*LeafSpec.*",
        ".*smaller than the logging interval.*",
        ".*does not have many workers.*",
        ".*exists and is not empty.*",
        ".*sync_dist=True.*",  # epoch metrics are torchmetrics results, gathered from every process already
    ):
        warnings.filterwarnings("ignore", message=message)
    for name in ("lightning.pytorch", "lightning.fabric", "lightning"):
        logging.getLogger(name).setLevel(logging.WARNING)
    torch.set_float32_matmul_precision("high")
