"""``train``: fit the plan's model on its data, keep the best and the last epoch's checkpoints, report the best."""

import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import lightning
from lightning.pytorch.callbacks import Callback, ModelCheckpoint

from otx.core.config.recipe import RunConfig
from otx.core.config.structure import dump_yaml, unstructure
from otx.engine.build import DataModules, build_model, build_trainer
from otx.engine.checkpoint import METADATA_KEY, load_checkpoint_file, read_checkpoint
from otx.engine.incremental import start_incremental
from otx.engine.loggers import stopping_callbacks
from otx.engine.plan import RunPlan
from otx.engine.plots.recorder import FigureRecorder
from otx.engine.report import METRICS_FILE, print_summary, scalars, write_metrics
from otx.engine.resolve import CONFIG_FILE
from otx.engine.resumable import LAST_CHECKPOINT, LastEpochCheckpoint, RandomStates
from otx.engine.run_report import write_run_report
from otx.engine.signals import Interrupted, interruptible
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

    ``run`` is the folder to train in (an HPO trial's, which ``.latest/train`` never points at); by
    default a new run folder of the work dir. SIGINT/SIGTERM stop the run with :class:`Interrupted`,
    whose message says how to resume it.
    """
    track = run is None or plan.resume_run is not None
    folder = plan.resume_run or run or work_dir.new_run(plan.command)
    on_last = partial(work_dir.point_latest, plan.command, folder) if track else None
    with interruptible():
        try:
            with work_dir.run(plan.command, folder, track=track):
                return _fit(plan, folder, on_last, data, callbacks)
        except Interrupted as exc:  # the run's FAILED marker has the signal; the message says how to go on
            raise Interrupted(exc.signum, _resume_hint(exc, folder, work_dir)) from None


def _fit(
    plan: RunPlan, run: Path, on_last: Callable[[], None] | None, data: DataModules, callbacks: Sequence[Callback]
) -> dict[str, float]:
    """Fit in ``run``; ``on_last`` is called each time the run has a new ``last.ckpt``."""
    config = plan.config
    lightning.seed_everything(config.seed, verbose=False)
    datamodule = data.get(config)
    model = build_model(config)
    if plan.start_from is not None:
        start_incremental(model, plan.start_from)
    dump_yaml(unstructure(config), run / CONFIG_FILE)
    best = ModelCheckpoint(
        dirpath=run / "checkpoints", filename="best", monitor=model.monitor, mode="max", enable_version_counter=False
    )
    last = LastEpochCheckpoint(run / "checkpoints", on_saved=on_last)
    figures = FigureRecorder()
    trainer = build_trainer(
        config,
        run,
        [
            best,
            last,
            RandomStates(),
            _SaveRunConfig(config),
            figures,
            *stopping_callbacks(config.trainer, model.monitor),
            *callbacks,
        ],
        log_version=_free_log_name(run),
    )
    resume_from = plan.checkpoint.path if plan.checkpoint is not None else None
    start = time.perf_counter()
    trainer.fit(model, datamodule=datamodule, ckpt_path=resume_from)
    elapsed = time.perf_counter() - start
    chosen = Path(best.best_model_path) if best.best_model_path else last.path
    model.load_state_dict(read_checkpoint(chosen).state_dict or {})
    metrics = scalars(trainer.validate(model, datamodule=datamodule, verbose=False)[0])
    write_metrics({**metrics, "epochs": float(trainer.current_epoch), "train_seconds": elapsed}, run / METRICS_FILE)
    write_run_report(
        plan,
        run,
        title=f"{config.model.name} on {Path(config.data_root or '').name}: training",
        metrics=metrics,
        epochs=trainer.current_epoch,
        figures=figures.figures,
        model=model,
        batches=datamodule.val_dataloader(),
    )
    print_summary(
        f"{config.model.name} on {Path(config.data_root or '').name}: best validation metrics",
        metrics,
        {"run": str(run), "checkpoint": str(chosen), "train time": f"{elapsed:.1f} s"},
    )
    return metrics


def _resume_hint(exc: Interrupted, run: Path, work_dir: WorkDir) -> str:
    """What an interrupted run kept, and the command that continues it."""
    last = run / "checkpoints" / f"{LAST_CHECKPOINT}.ckpt"
    if not last.is_file():
        return f"{exc}: no epoch of {run} finished, so there is nothing to resume; train again"
    epochs = int(load_checkpoint_file(last)["epoch"]) + 1
    return (
        f"{exc}: {run} keeps its last finished epoch ({epochs}) in {last}; "
        f"resume with: otx train --resume --work_dir {work_dir.root}"
    )


def _free_log_name(run: Path) -> str:
    """``logs`` for a new run; ``logs_2``, ``logs_3``... when a resumed run must keep earlier logs."""
    name, attempt = "logs", 1
    while (run / name).exists():
        attempt += 1
        name = f"logs_{attempt}"
    return name
