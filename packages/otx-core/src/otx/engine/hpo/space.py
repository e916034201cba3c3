"""A trial's sample of the search space, and the recipe overrides it makes."""

import json
from collections.abc import Mapping
from typing import Any

import optuna

from otx.core.config.hpo import TRANSFORM_KEYS, SearchParam, parse_space
from otx.core.config.recipe import RunConfig
from otx.core.config.structure import unstructure
from otx.core.errors import ConfigError

__all__ = ["search_space", "suggest", "to_overrides"]


def search_space(config: RunConfig) -> tuple[SearchParam, ...]:
    """The config's ``hpo.space``; when empty, the learning rate from a tenth to three times the recipe's."""
    if config.hpo.space:
        return parse_space(config.hpo.space)
    lr = config.optimizer.lr
    return (SearchParam(name="lr", keys=("optimizer.lr",), type="float", low=lr / 10, high=lr * 3, log=True),)


def suggest(trial: optuna.Trial, params: tuple[SearchParam, ...]) -> dict[str, Any]:
    """One value per parameter, sampled by the study's sampler."""
    values: dict[str, Any] = {}
    for param in params:
        if param.type == "choice":
            # Optuna stores scalars; a list choice (an input size, a crop range) is sampled as its JSON text.
            options = [json.dumps(c) if isinstance(c, list | dict) else c for c in param.choices]
            picked = trial.suggest_categorical(param.name, options)
            values[param.name] = param.choices[options.index(picked)]
        elif param.type == "int":
            step = int(param.step or 1)
            values[param.name] = trial.suggest_int(
                param.name, int(param.low or 0), int(param.high or 0), step=step, log=param.log
            )
        else:
            values[param.name] = trial.suggest_float(
                param.name, param.low or 0.0, param.high or 0.0, step=param.step, log=param.log
            )
    return values


def to_overrides(values: Mapping[str, Any], params: tuple[SearchParam, ...], config: RunConfig) -> dict[str, Any]:
    """Dotted recipe overrides that set each sampled value on its key(s).

    A key ``data.train_transforms.<Type>.<arg>`` rewrites that list with the argument set on every
    transform of that type; a type the pipeline lacks is a ConfigError naming the key.
    """
    overrides: dict[str, Any] = {}
    for param in params:
        for key in param.keys:
            prefix = next((p for p in TRANSFORM_KEYS if key.startswith(p + ".")), None)
            if prefix is None:
                overrides[key] = values[param.name]
                continue
            transforms = overrides.get(prefix) or unstructure(_transforms(config, prefix))
            overrides[prefix] = _set_transform_arg(transforms, key, prefix, values[param.name])
    return overrides


def _transforms(config: RunConfig, prefix: str) -> list[dict[str, Any]]:
    return config.data.train_transforms if prefix == "data.train_transforms" else config.data.val_transforms


def _set_transform_arg(transforms: list[dict[str, Any]], key: str, prefix: str, value: Any) -> list[dict[str, Any]]:
    kind, _, arg = key.removeprefix(prefix + ".").partition(".")
    if not arg or "." in arg:
        raise ConfigError(f"hpo.space key '{key}' must be {prefix}.<TransformType>.<argument>")
    if not any(t.get("type") == kind for t in transforms):
        present = ", ".join(str(t.get("type")) for t in transforms) or "none"
        raise ConfigError(f"hpo.space key '{key}': {prefix} has no {kind} (it has: {present})")
    return [{**t, arg: value} if t.get("type") == kind else t for t in transforms]
