"""``train``: fit the plan's model on its data, keep the best and last checkpoints, report the best."""

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lightning
from lightning.pytorch.callbacks import Callback, ModelCheckpoint

from otx.core.config.recipe import RunConfig
from otx.core.config.structure import dump_yaml, unstructure
from otx.engine.build import DataModules, build_model, build_trainer
from otx.engine.checkpoint import METADATA_KEY, read_checkpoint
from otx.engine.plan import RunPlan
from otx.engine.report import METRICS_FILE, print_summary, scalars, write_metrics
from otx.engine.resolve import CONFIG_FILE
from otx.engine.workdir import WorkDir

__all__ = ["run_train"]


class _SaveRunConfig(Callback):
    """Embeds the run config in every checkpoint so that a checkpoint alone can be tested."""

    def __init__(self, config: RunConfig) -> None:
        self.config = unstructure(config)

    def on_save_checkpoint(self, trainer: lightning.Trainer, pl_module: Any, checkpoint: dict[str, Any]) -> None:
        checkpoint[METADATA_KEY] = {"config": self.config}


def run_train(
    plan: RunPlan, work_dir: WorkDir, data: DataModules, callbacks: Sequence[Callback], run: Path | None = None
) -> dict[str, float]:
    """Train (or resume) ``plan``; returns the best checkpoint's validation metrics.

    ``run`` is the folder to train in (an HPO trial's); by default a new run folder of the work dir.
    """
    config = plan.config
    if run is not None:
        run.mkdir(parents=True, exist_ok=True)
    run = plan.resume_run or run or work_dir.new_run(plan.command)
    lightning.seed_everything(config.seed, verbose=False)
    datamodule = data.get(config)
    model = build_model(config)
    dump_yaml(unstructure(config), run / CONFIG_FILE)
    checkpoints = ModelCheckpoint(
        dirpath=run / "checkpoints",
        filename="best",
        monitor=model.monitor,
        mode="max",
        save_last=True,
        enable_version_counter=False,
    )
    trainer = build_trainer(
        config, run, [checkpoints, _SaveRunConfig(config), *callbacks], log_version=_free_log_name(run)
    )
    resume_from = plan.checkpoint.path if plan.checkpoint is not None else None
    start = time.perf_counter()
    trainer.fit(model, datamodule=datamodule, ckpt_path=resume_from)
    elapsed = time.perf_counter() - start
    best = Path(checkpoints.best_model_path) if checkpoints.best_model_path else run / "checkpoints" / "last.ckpt"
    model.load_state_dict(read_checkpoint(best).state_dict or {})
    metrics = scalars(trainer.validate(model, datamodule=datamodule, verbose=False)[0])
    write_metrics({**metrics, "epochs": float(trainer.current_epoch), "train_seconds": elapsed}, run / METRICS_FILE)
    print_summary(
        f"{config.model.name} on {Path(config.data_root or '').name}: best validation metrics",
        metrics,
        {"run": str(run), "checkpoint": str(best), "train time": f"{elapsed:.1f} s"},
    )
    return metrics


def _free_log_name(run: Path) -> str:
    """``logs`` for a new run; ``logs_2``, ``logs_3``... when a resumed run must keep earlier logs."""
    name, attempt = "logs", 1
    while (run / name).exists():
        attempt += 1
        name = f"logs_{attempt}"
    return name
