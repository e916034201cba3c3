"""A model's recipe merged with a run's fields and overrides into a validated :class:`RunConfig`, without data."""

from collections.abc import Mapping
from typing import Any

from otx.core.config.recipe import RunConfig
from otx.core.config.structure import apply_overrides, load_yaml, structure
from otx.core.plugin import TaskSpec, allow_code_from

__all__ = ["recipe_config"]


def recipe_config(
    spec: TaskSpec, model: str | None, base: Mapping[str, Any], overrides: Mapping[str, Any] | None
) -> RunConfig:
    """Merge the model's recipe with run fields and overrides into a validated config."""
    recipe_path = spec.recipe_path(model or spec.default_model)
    data = {**base, **load_yaml(recipe_path)}
    config = structure(apply_overrides(data, overrides or {}), RunConfig)
    if recipe_path not in spec.recipe_paths().values():  # the user's own recipe: its classes are theirs to run
        transforms = [*config.data.train_transforms, *config.data.val_transforms]
        allow_code_from(config.model.class_path, *(str(t.get("type", "")) for t in transforms))
    return config
