"""``train``: fit the plan's model on its data, keep the best and the last epoch's checkpoints, report the best."""

import copy
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import lightning
from attrs import evolve
from lightning.pytorch.callbacks import Callback, ModelCheckpoint

from otx.core.config.recipe import RunConfig
from otx.core.config.structure import dump_yaml, unstructure
from otx.core.data.module import OTXDataModule
from otx.engine.build import DataModules, build_model, build_trainer
from otx.engine.checkpoint import METADATA_KEY, load_checkpoint_file, read_checkpoint
from otx.engine.devices.batch_size import choose_batch_size
from otx.engine.devices.coverage import ValidationCoverage
from otx.engine.devices.ipex import ipex_callbacks
from otx.engine.devices.network_speed import network_speed_callbacks
from otx.engine.devices.ranks import is_rank_zero
from otx.engine.incremental import start_incremental
from otx.engine.loggers import stopping_callbacks
from otx.engine.plan import RunPlan
from otx.engine.plots.recorder import FigureRecorder
from otx.engine.report import METRICS_FILE, print_choices, print_summary, scalars, write_metrics
from otx.engine.resolve import CONFIG_FILE
from otx.engine.resumable import LAST_CHECKPOINT, LastEpochCheckpoint, RandomStates
from otx.engine.run_report import write_run_report
from otx.engine.signals import Interrupted, interruptible
from otx.engine.threads import torch_threads
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
    whose message says how to resume it. In a distributed run only rank zero writes the run folder;
    the other processes train in a scratch folder that is removed when they end.
    """
    if not is_rank_zero():
        with tempfile.TemporaryDirectory(prefix="otx-rank-") as scratch, torch_threads(plan.config.trainer.num_threads):
            return _fit(plan, Path(scratch), None, data, callbacks, writes=False)
    track = run is None or plan.resume_run is not None
    folder = plan.resume_run or run or work_dir.new_run(plan.command)
    on_last = partial(work_dir.point_latest, plan.command, folder) if track else None
    with interruptible():
        try:
            with work_dir.run(plan.command, folder, track=track), torch_threads(plan.config.trainer.num_threads):
                return _fit(plan, folder, on_last, data, callbacks)
        except Interrupted as exc:  # the run's FAILED marker has the signal; the message says how to go on
            if on_last is not None and (folder / "checkpoints" / f"{LAST_CHECKPOINT}.ckpt").is_file():
                on_last()  # the signal may have come between writing last.ckpt and pointing at the run
            raise Interrupted(exc.signum, _resume_hint(exc, folder, work_dir)) from None


def _fit(
    plan: RunPlan,
    run: Path,
    on_last: Callable[[], None] | None,
    data: DataModules,
    callbacks: Sequence[Callback],
    writes: bool = True,
) -> dict[str, float]:
    """Fit in ``run``; ``on_last`` is called each time the run has a new ``last.ckpt``.

    ``writes`` is false on the processes of a distributed run other than rank zero: they train and
    validate with it, and leave config, metrics, reports and the summary to it.
    """
    plan, datamodule, accelerated = _run_settings(plan, data, writes)
    if writes:
        datamodule.save_image_checks()
    config = plan.config
    lightning.seed_everything(config.seed, verbose=False)
    model = build_model(config)
    if plan.start_from is not None:
        start_incremental(model, plan.start_from)
    if writes:
        dump_yaml(unstructure(config), run / CONFIG_FILE)
    best = ModelCheckpoint(
        dirpath=run / "checkpoints", filename="best", monitor=model.monitor, mode="max", enable_version_counter=False
    )
    last = LastEpochCheckpoint(run / "checkpoints", on_saved=on_last)
    figures = FigureRecorder()
    coverage = ValidationCoverage()
    trainer = build_trainer(
        config,
        run,
        [
            best,
            last,
            RandomStates(),
            _SaveRunConfig(config),
            figures,
            coverage,
            *accelerated,
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
    state: Any = read_checkpoint(chosen).state_dict if writes else None
    model.load_state_dict(trainer.strategy.broadcast(state, src=0) or {})  # rank zero's file, every rank's model
    metrics = scalars(trainer.validate(model, datamodule=datamodule, verbose=False)[0])
    if not writes:
        return metrics
    facts = {"epochs": float(trainer.current_epoch), "train_seconds": elapsed, "val_images": float(coverage.images)}
    write_metrics({**metrics, **facts}, run / METRICS_FILE)
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


def _run_settings(plan: RunPlan, data: DataModules, writes: bool) -> tuple[RunPlan, OTXDataModule, list[Callback]]:
    """What only training decides (batch size, IPEX, the network's speed options); printed and kept in the plan."""
    config = plan.config
    datamodule = data.get(config)
    lines = []
    if config.data.auto_batch_size:
        lightning.seed_everything(config.seed, verbose=False)
        config, line = choose_batch_size(config, build_model(config), datamodule)
        datamodule = copy.copy(datamodule)
        datamodule.config = config.data
        lines.append(line)
    accelerated, ipex_line = ipex_callbacks(config.trainer.accelerator, config.trainer.precision, config.trainer.ipex)
    lines += [ipex_line] if ipex_line else []
    speed, speed_line = network_speed_callbacks(config.trainer.channels_last, config.trainer.compile)
    accelerated += speed
    lines += [speed_line] if speed_line else []
    if lines and writes:
        print_choices(str(plan.command), lines)
    return evolve(plan, config=config, choices=(*plan.choices, *lines)), datamodule, accelerated


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
