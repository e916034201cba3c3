"""Plan resolution: the one place, and the one order, in which a command's plan is decided.

checkpoint (torch or IR) -> task -> model -> data (format, labels, input size) -> trainer settings
(accelerator, devices, strategy: see :mod:`otx.engine.devices`).

With a checkpoint (or a resumed run), task and model come from it and only the data from
``data_root``; a flag that would change anything else is refused with a one-line error, never
ignored. ``train`` with a checkpoint starts a new run from its weights on ``data_root``'s classes
(class-incremental). Without one, ``train`` auto-configures from the data (or replays a saved config).
"""

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from attrs import evolve

from otx.core.config.recipe import RunConfig
from otx.core.config.structure import apply_overrides, load_yaml, structure, unstructure
from otx.core.data.formats import check_data_root
from otx.core.data.module import OTXDataModule
from otx.core.data.sources import PredictSource
from otx.core.errors import CheckpointError, ConfigError, DataError
from otx.core.plugin import find_task
from otx.engine.autoconfig import auto_configure, format_for_task
from otx.engine.checkpoint import ResolvedCheckpoint, read_checkpoint
from otx.engine.deploy import IR_FP32
from otx.engine.devices.selection import process_count, resolve_devices
from otx.engine.incremental import incremental_report
from otx.engine.input_size import choose_input_size
from otx.engine.plan import Command, PlanRequest, RunPlan
from otx.engine.pretrained import resolve_weights
from otx.engine.workdir import WorkDir

__all__ = ["CONFIG_FILE", "EVALUATION_KEYS", "read_run_config", "resolve_plan"]

CONFIG_FILE = "config.yaml"

EVALUATION_KEYS = frozenset(
    {
        "data_root",
        "data_format",
        "data.batch_size",
        "data.num_workers",
        "data.check_images",
        "data.skip_unreadable_images",
        "data.max_image_pixels",
        "trainer.accelerator",
        "trainer.devices",
        "trainer.precision",
    }
)
"""Keys a command that starts from a checkpoint may change: where the data is and how it runs."""

RESUME_KEYS = frozenset(
    {"trainer.max_epochs", "trainer.accelerator", "trainer.devices", "trainer.num_nodes", "trainer.strategy"}
)
"""Keys a resumed run may change: how long it trains and on what."""

NEEDS_DATA = frozenset({Command.TRAIN, Command.TEST, Command.PREDICT, Command.OPTIMIZE, Command.EXPLAIN})

LoadData = Callable[[RunConfig], OTXDataModule]
"""Builds (or returns the already built) data module of a config."""


def read_run_config(path: Path) -> RunConfig:
    """The run config saved at ``path``: a ``config.yaml`` or a run folder holding one; errors name the file."""
    file = path / CONFIG_FILE if path.is_dir() else path
    try:
        return structure(load_yaml(file), RunConfig)
    except ConfigError as exc:
        message = str(exc)
        raise ConfigError(message if str(file) in message else f"{file}: {message}") from None


def resolve_plan(command: Command, request: PlanRequest, work_dir: WorkDir, load_data: LoadData) -> RunPlan:
    """The plan ``command`` runs for ``request``; the data is imported once through ``load_data``."""
    if command == Command.TRAIN and request.resume:
        plan = _resume_plan(request, work_dir, load_data)
    elif command == Command.TRAIN:
        plan = _train_plan(request, load_data)
    else:
        plan = _checkpoint_plan(command, request, work_dir, load_data)
    return _with_devices(plan, request)


def _with_devices(plan: RunPlan, request: PlanRequest) -> RunPlan:
    """The plan on a concrete accelerator, device count and strategy, with the line that says so.

    A command other than ``train`` runs on one device of this machine (``auto`` unless given), not on
    the devices its checkpoint was trained on.
    """
    trainer = plan.config.trainer
    if plan.command != Command.TRAIN:
        given = request.overrides
        trainer = evolve(
            trainer,
            accelerator=given.get("trainer.accelerator", "auto"),
            devices=given.get("trainer.devices", "auto"),
            num_nodes=1,
            strategy="auto",
        )
        if process_count(trainer.devices, "cpu") > 1:
            raise ConfigError(f"{plan.command} runs on one device; several devices (trainer.devices) apply to train")
    trainer, line = resolve_devices(trainer)
    return evolve(plan, config=evolve(plan.config, trainer=trainer), choices=(*plan.choices, line))


def _train_plan(request: PlanRequest, load_data: LoadData) -> RunPlan:
    if request.checkpoint is not None:
        return _incremental_plan(request, request.checkpoint, load_data)
    if request.config is not None:
        config, choices = _apply_request(
            request.config, request, "the replayed config", "the replayed config", frozenset({"*"})
        )
        config, weights = resolve_weights(config)
        choices = ["config: replaying a saved run config", *choices, *([weights] if weights else [])]
    elif request.data_root is not None:
        config, choices = auto_configure(
            request.data_root, request.task, request.model, request.seed, request.overrides
        )
        plan = RunPlan(command=Command.TRAIN, config=config, choices=tuple(choices))
        size_given = "data.input_size" in request.overrides
        return _with_data(plan, load_data, size_from_data=not size_given, size_note=" (given)" if size_given else "")
    else:
        raise ConfigError("Nothing to train on: pass --data_root DIR (or --config a saved config.yaml)")
    return _with_data(RunPlan(command=Command.TRAIN, config=config, choices=tuple(choices)), load_data)


def _incremental_plan(request: PlanRequest, path: Path, load_data: LoadData) -> RunPlan:
    """A new run from a trained model: task and model from the checkpoint, data and classes from ``data_root``."""
    checkpoint = read_checkpoint(path)
    if checkpoint.is_ir:
        raise CheckpointError(f"train --checkpoint takes a .ckpt training checkpoint, not the exported {path}")
    if request.config is not None:
        raise ConfigError("--checkpoint starts from a trained model and --config replays a run; pass one of them")
    if request.data_root is None:
        raise ConfigError("train --checkpoint needs --data_root: the data (and classes) to train on")
    config, choices = _apply_request(
        checkpoint.config, request, f"the checkpoint {path}", "the checkpoint", frozenset({"*"})
    )
    config = evolve(config, label_names=None, label_hierarchy=None)
    first = f"checkpoint: {path} (given: a new run starts from its weights)"
    plan = _with_data(
        RunPlan(command=Command.TRAIN, config=config, start_from=checkpoint, choices=(first, *choices)), load_data
    )
    report = incremental_report(checkpoint, plan.config.label_names or ())
    return evolve(plan, choices=(*plan.choices, report.summary()))


def _resume_plan(request: PlanRequest, work_dir: WorkDir, load_data: LoadData) -> RunPlan:
    if request.config is not None or request.checkpoint is not None:
        raise ConfigError("--resume continues the latest training run as it was; drop --config/--checkpoint")
    run = work_dir.latest(Command.TRAIN)
    if run is None:
        raise CheckpointError(f"Nothing to resume: no training run in {work_dir.root}")
    last = run / "checkpoints" / "last.ckpt"
    if not last.is_file():
        raise CheckpointError(f"Cannot resume {run}: it has no checkpoints/last.ckpt yet; start a new run")
    recorded = read_run_config(run)
    config, choices = _apply_request(
        recorded, request, f"the run being resumed ({run})", "the resumed run", RESUME_KEYS
    )
    plan = RunPlan(
        command=Command.TRAIN,
        config=config,
        checkpoint=read_checkpoint(last),
        resume_run=run,
        choices=(f"resume: {run} from {last.name}{_stopped(run)}", *choices),
    )
    return _with_data(plan, load_data)


def _checkpoint_plan(command: Command, request: PlanRequest, work_dir: WorkDir, load_data: LoadData) -> RunPlan:
    checkpoint, why = _find_checkpoint(command, request.checkpoint, work_dir)
    if checkpoint.is_ir and command in (Command.EXPORT, Command.BENCHMARK, Command.EXPLAIN):
        raise CheckpointError(f"{command} takes a .ckpt training checkpoint, not the exported {checkpoint.path}")
    if request.config is not None:
        raise ConfigError(f"--config replays a training run; {command} takes its settings from the checkpoint")
    config, choices = _apply_request(
        checkpoint.config, request, f"the checkpoint {checkpoint.path}", "the checkpoint", EVALUATION_KEYS
    )
    plan = RunPlan(
        command=command,
        config=config,
        checkpoint=checkpoint,
        choices=(f"checkpoint: {checkpoint.path} ({why})", *choices),
    )
    if command == Command.PREDICT and request.source is not None:
        return _with_source(plan, request.source)
    return _with_data(plan, load_data) if command in NEEDS_DATA else plan


def _with_source(plan: RunPlan, source: PredictSource) -> RunPlan:
    """A ``predict`` plan on ``source`` rather than a dataset: classes and input from the checkpoint alone."""
    config = plan.config
    names = config.label_names or ()
    height, width = config.data.input_size
    lines = (
        f"labels: {len(names)} ({', '.join(names[:8])}{', ...' if len(names) > 8 else ''}; from the checkpoint)",
        f"input:  {height}x{width}, batch {config.data.batch_size}",
        f"source: {source.describe()}",
    )
    kept = tuple(line for line in plan.choices if not line.startswith("data:"))
    return evolve(plan, source=source, choices=(*kept, *lines))


def _find_checkpoint(command: Command, given: Path | None, work_dir: WorkDir) -> tuple[ResolvedCheckpoint, str]:
    """The checkpoint a command starts from: the one given, or the latest one it can use."""
    if given is not None:
        return read_checkpoint(given), "given"
    if command == Command.OPTIMIZE:
        export = work_dir.latest(Command.EXPORT)
        if export is not None and (export / IR_FP32).is_file():
            return read_checkpoint(export / IR_FP32), "the latest export"
    run = work_dir.latest(Command.TRAIN)
    if run is None:
        raise CheckpointError(f"No training run in {work_dir.root}: train first or pass --checkpoint")
    best = run / "checkpoints" / "best.ckpt"
    if best.is_file():
        return read_checkpoint(best), f"the latest training run's best{_stopped(run)}"
    return read_checkpoint(run / "checkpoints" / "last.ckpt"), f"the latest training run's last{_stopped(run)}"


def _stopped(run: Path) -> str:
    """Why ``run`` stopped before it finished (it has a checkpoint, so it is the latest run); empty if it finished."""
    reason = WorkDir.stopped(run)
    return f"; that run stopped: {reason}" if reason else ""


def _apply_request(
    recorded: RunConfig, request: PlanRequest, source: str, label: str, changeable: frozenset[str]
) -> tuple[RunConfig, list[str]]:
    """``recorded`` with what ``request`` sets; a change outside ``changeable`` (``*``: any) is refused.

    ``source`` names where ``recorded`` comes from in errors, ``label`` in the printed choices.
    """
    if request.task is not None and request.task != recorded.task:
        raise ConfigError(f"--task {request.task.value} does not apply: {source} is {recorded.task.value}")
    if request.model is not None and request.model != recorded.model.name:
        raise ConfigError(f"--model {request.model} does not apply: {source} is model {recorded.model.name}")
    spec = find_task(recorded.task)
    data = apply_overrides(unstructure(recorded), dict(request.overrides))
    if request.seed is not None:
        data["seed"] = request.seed
    data_choice = f"data:   {recorded.data_format} in {recorded.data_root} (from {label})"
    if request.data_root is not None and _differs(request.data_root, recorded.data_root):
        root = check_data_root(request.data_root)
        data["data_root"], data["data_format"] = str(root.resolve()), format_for_task(spec, root)
        data_choice = f"data:   {data['data_format']} in {root} (detected for {recorded.task.value})"
        if "*" in changeable:
            data["label_names"] = None  # a replay on other data takes that data's classes
    config = structure(data, RunConfig)
    if "*" not in changeable:
        _refuse_changes(recorded, config, changeable, source)
    return config, [
        f"task:   {config.task.value} (from {label})",
        f"model:  {config.model.name} (from {label})",
        data_choice,
    ]


def _differs(root: Path, recorded: str | None) -> bool:
    return recorded is None or Path(root).expanduser().resolve() != Path(recorded)


def _refuse_changes(recorded: RunConfig, requested: RunConfig, changeable: frozenset[str], source: str) -> None:
    before, after = _flatten(unstructure(recorded)), _flatten(unstructure(requested))
    for key in sorted(before.keys() | after.keys()):
        if before.get(key) != after.get(key) and key not in changeable:
            raise ConfigError(
                f"'{key}' cannot change here: it comes from {source} "
                f"({before.get(key)!r} there, {after.get(key)!r} asked)"
            )


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, Mapping) and key != "init_args":
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _with_data(plan: RunPlan, load_data: LoadData, size_from_data: bool = False, size_note: str = "") -> RunPlan:
    """The plan with the dataset imported: its classes (fixed by a checkpoint), the input size and the last choices.

    With ``size_from_data`` the input size is chosen from the training images (see :mod:`otx.engine.input_size`).
    """
    config = plan.config
    if config.data_root is None or config.data_format is None:
        raise ConfigError(f"{plan.command} needs data and the config names none: pass --data_root")
    if not Path(config.data_root).is_dir():
        raise DataError(f"{plan.command} needs the dataset, and {config.data_root} is not there: pass --data_root DIR")
    datamodule = load_data(config)
    names = datamodule.label_info.label_names
    hierarchy = config.label_hierarchy if plan.checkpoint is not None else datamodule.label_info.hierarchy
    config = evolve(config, label_names=names, label_hierarchy=hierarchy)
    if size_from_data:
        choice = choose_input_size(datamodule.subsets["train"], datamodule.adapter, config)
        config = evolve(config, data=evolve(config.data, input_size=choice.size))
        size_note = f" ({choice.reason})"
    source = "from the checkpoint" if plan.checkpoint is not None else "from the data"
    height, width = config.data.input_size
    trainer = config.trainer
    lines = [
        f"labels: {len(names)} ({', '.join(names[:8])}{', ...' if len(names) > 8 else ''}; {source})",
        f"input:  {height}x{width}, batch {config.data.batch_size}{size_note}",
    ]
    if plan.command == Command.TRAIN:
        lines.append(f"train:  {trainer.max_epochs} epochs, seed {config.seed}")
    return evolve(plan, config=config, choices=(*plan.choices, *lines))
