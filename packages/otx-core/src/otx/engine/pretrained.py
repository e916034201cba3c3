"""Pretrained weights in auto-configuration: which default model, and whether a recipe's weights can be had.

A task's pretrained default (``TaskSpec.pretrained_model``) is picked when its weights are on this
machine (weights folder, torch or Hugging Face cache) or their host answers a quick check; otherwise
the from-scratch default (``TaskSpec.default_model``). A recipe whose weights cannot be had trains
from random init, and the plan says so. Either way the choice is one printed line.
"""

from attrs import evolve

from otx.core.config.recipe import RunConfig
from otx.core.config.structure import load_yaml
from otx.core.model.weight_files import weights_status
from otx.core.plugin import TaskSpec

__all__ = ["pick_default_model", "recipe_weights", "resolve_weights"]


def recipe_weights(spec: TaskSpec, model: str) -> str | None:
    """The ``model.pretrained`` of a recipe of ``spec``'s task (a path or URL), or ``None``."""
    section = load_yaml(spec.recipe_path(model)).get("model") or {}
    pretrained = section.get("pretrained")
    return str(pretrained) if pretrained else None


def pick_default_model(spec: TaskSpec) -> tuple[str, str]:
    """The model for a task when none is given, and why (the rest of the ``model:`` line after its name)."""
    pretrained = spec.pretrained_model
    source = recipe_weights(spec, pretrained) if pretrained else None
    if pretrained is None or source is None:
        return spec.default_model, "(default for the task)"
    status = weights_status(source)
    if status.available:
        return pretrained, f"(pretrained default for the task: {status.reason})"
    return spec.default_model, (
        f"(default for the task); pretrained {pretrained} not used: {status.reason} "
        f"(`otx weights --model {pretrained}` says where to put the file)"
    )


def resolve_weights(config: RunConfig) -> tuple[RunConfig, str | None]:
    """``config`` with its recipe's weights kept if they can be had, else dropped (random init); the line to print.

    No line for a recipe without pretrained weights.
    """
    source = config.model.pretrained
    if not source:
        return config, None
    if "://" not in source:
        return config, f"weights: {source} (given)"
    status = weights_status(source)
    if status.available:
        return config, f"weights: {source} ({status.reason})"
    dropped = evolve(config, model=evolve(config.model, pretrained=None))
    return dropped, (
        f"weights: none, random init: {status.reason} (`otx weights --model {config.model.name}` says where to put it)"
    )
