"""Checks of a command's arguments that run before any work starts, so a bad flag costs nothing."""

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from otx.core.config.recipe_loader import recipe_config
from otx.core.errors import ConfigError
from otx.core.plugin import all_specs, find_task
from otx.core.types.task import OTXTaskType, parse_task

__all__ = ["check_benchmark_arguments", "check_request", "check_work_dir"]


def check_work_dir(root: Path) -> Path:
    """``root``, if it is (or can be made) a writable folder; otherwise an error naming the obstacle."""
    existing = next(p for p in (root, *root.parents) if p.exists())
    if not existing.is_dir():
        raise ConfigError(f"work dir {root} cannot be made: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"work dir {root} is not writable: {existing} is read-only")
    return root


def check_benchmark_arguments(batch_sizes: Sequence[int], iterations: int) -> None:
    """Refuse timing runs that would time nothing."""
    if iterations < 1:
        raise ConfigError(f"benchmark iterations must be >= 1, got {iterations}")
    if not batch_sizes or min(batch_sizes) < 1:
        raise ConfigError(f"benchmark batch sizes must be >= 1, got {list(batch_sizes)}")


def check_request(task: str | OTXTaskType | None, model: str | None, overrides: Mapping[str, Any]) -> None:
    """Refuse an unknown model or a bad ``--set`` key or value before any data is read.

    The recipe the request would resolve is built without data: the given task's, or, with no task,
    that of each installed task that has the model (its default models where none is given); the
    request passes if one of them accepts it. Imports neither torch nor Datumaro, so it answers in
    well under a second whatever the dataset's size.
    """
    if model is None and not overrides:
        return
    specs = [find_task(parse_task(task))] if task is not None else list(all_specs().values())
    recipe_file = model is not None and Path(model).suffix in {".yaml", ".yml"}
    errors: list[ConfigError] = []
    for spec in specs:
        if model is not None and not recipe_file and model not in spec.recipe_paths():
            continue
        names = (
            [model]
            if model is not None
            else list(dict.fromkeys(filter(None, (spec.default_model, spec.pretrained_model))))
        )
        for name in names:
            try:
                recipe_config(spec, name, {"task": spec.task.value}, overrides)
                return
            except ConfigError as exc:
                errors.append(exc)
    if errors:
        raise errors[0]
    if task is not None:
        specs[0].recipe_path(str(model))  # the unknown model, with the task's models listed
    if specs:
        available = "; ".join(f"{spec.task.value}: {', '.join(spec.recipe_paths())}" for spec in specs)
        raise ConfigError(f"Unknown model '{model}'. Available: {available} (or a path to a recipe .yaml).")
