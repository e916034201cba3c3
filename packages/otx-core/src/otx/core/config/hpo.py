"""Hyper-parameter optimization settings: the search space and the study's budget, pruner and storage.

A recipe's ``hpo`` section names each searched parameter, the recipe key(s) it sets and its range::

    hpo:
      space:
        lr: {key: optimizer.lr, low: 0.0003, high: 0.01, log: true}
        batch_size: {key: data.batch_size, choices: [8, 16, 32]}
        crop: {key: data.train_transforms.RandomResizedCrop.scale, choices: [[0.25, 1.0], [0.5, 1.0]]}
      trials: 20

A key ``data.train_transforms.<Type>.<arg>`` sets one argument of the pipeline's transform of that
type. Every entry is checked when the config is read, so ``--set hpo.space.lr.low=abc`` is an error
that names ``hpo.space.lr.low``.
"""

import contextlib
from collections.abc import Mapping
from typing import Any, Literal

from attrs import field, frozen

from otx.core.errors import ConfigError

__all__ = ["TRANSFORM_KEYS", "HPOConfig", "SearchParam", "parse_space"]

TRANSFORM_KEYS = ("data.train_transforms", "data.val_transforms")
"""Keys of transform lists: ``<list key>.<Type>.<arg>`` names an argument of one transform."""

_PARAM_KEYS = ("key", "type", "low", "high", "log", "step", "choices")


@frozen(kw_only=True)
class SearchParam:
    """One searched parameter: a float or int range (``log`` for a log scale) or a list of choices."""

    name: str
    keys: tuple[str, ...]
    """Dotted recipe keys the sampled value is written to (one value, several keys allowed)."""
    type: Literal["float", "int", "choice"]
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple[Any, ...] = ()


def parse_space(space: Mapping[str, Any]) -> tuple[SearchParam, ...]:
    """The search parameters of an ``hpo.space`` mapping; an invalid entry is a ConfigError naming its key."""
    return tuple(_parse_param(str(name), entry) for name, entry in space.items())


def _parse_param(name: str, entry: Any) -> SearchParam:
    where = f"hpo.space.{name}"
    if not isinstance(entry, Mapping):
        raise ConfigError(f"'{where}' must be a mapping like {{key: optimizer.lr, low: 1e-4, high: 1e-2, log: true}}")
    unknown = sorted(set(entry) - set(_PARAM_KEYS))
    if unknown:
        raise ConfigError(f"Unknown config key '{where}.{unknown[0]}'. Valid keys: {', '.join(_PARAM_KEYS)}.")
    keys = entry.get("key")
    keys = [keys] if isinstance(keys, str) else keys
    if not keys or not isinstance(keys, list) or not all(isinstance(k, str) and k for k in keys):
        raise ConfigError(f"'{where}.key' must name the recipe key(s) to set, e.g. optimizer.lr")
    if "choices" in entry:
        return _parse_choices(name, where, tuple(keys), entry)
    kind = entry.get("type", "float")
    if kind not in ("float", "int"):
        raise ConfigError(f"Invalid value {kind!r} for '{where}.type'; choose one of ['float', 'int'] or give choices")
    low, high = (_number(entry.get(bound), f"{where}.{bound}") for bound in ("low", "high"))
    step = None if entry.get("step") is None else _number(entry["step"], f"{where}.step")
    log = entry.get("log", False)
    if not isinstance(log, bool):
        raise ConfigError(f"'{where}.log' must be true or false, got {log!r}")
    if low >= high:
        raise ConfigError(f"'{where}': low ({low}) must be below high ({high})")
    if log and low <= 0:
        raise ConfigError(f"'{where}': a log range needs low > 0, got {low}")
    if log and step is not None:
        raise ConfigError(f"'{where}': step and log cannot be combined")
    if kind == "int" and not all(float(v).is_integer() for v in (low, high, step or 1)):
        raise ConfigError(f"'{where}': an int range needs integer low, high and step")
    return SearchParam(name=name, keys=tuple(keys), type=kind, low=low, high=high, log=log, step=step)


def _parse_choices(name: str, where: str, keys: tuple[str, ...], entry: Mapping[str, Any]) -> SearchParam:
    choices = entry["choices"]
    if not isinstance(choices, list) or not choices:
        raise ConfigError(f"'{where}.choices' must be a non-empty list, got {choices!r}")
    extra = sorted(set(entry) & {"low", "high", "log", "step"})
    if extra:
        raise ConfigError(f"'{where}': give either choices or a range, not both ({extra[0]} with choices)")
    if entry.get("type", "choice") != "choice":
        raise ConfigError(f"'{where}.type' must be 'choice' (or left out) with choices")
    return SearchParam(name=name, keys=keys, type="choice", choices=tuple(choices))


def _number(value: Any, where: str) -> float:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value)  # YAML 1.1 reads "1e-3" as a string
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"'{where}' must be a number, got {value!r}")
    return float(value)


def _check_space(instance: Any, attribute: Any, value: Mapping[str, Any]) -> None:
    parse_space(value)


def _check_positive(instance: Any, attribute: Any, value: float | None) -> None:
    if value is not None and value <= 0:
        raise ConfigError(f"'hpo.{attribute.name}' must be positive, got {value!r}")


@frozen(kw_only=True)
class HPOConfig:
    """The search space and how the study runs; see ``otx hpo``."""

    space: dict[str, Any] = field(factory=dict, validator=_check_space)
    """Searched parameters by name, each ``{key, low, high, log}`` or ``{key, choices}``; empty: the learning rate."""
    trials: int | None = field(default=20, validator=_check_positive)
    """Trials in the study, counting those of earlier (resumed) runs; ``None``: until ``time`` runs out."""
    time: float | None = field(default=None, validator=_check_positive)
    """Wall-clock seconds for the search; a trial still running then is stopped (pruned) at its next epoch."""
    epochs_per_trial: int | None = field(default=None, validator=_check_positive)
    """Epochs a trial may train; ``None``: the recipe's ``trainer.max_epochs``."""
    pruner: Literal["asha", "hyperband", "median", "none"] = "asha"
    """How unpromising trials are stopped early (Optuna's pruners); ``none``: every trial runs its epochs."""
    sampler: Literal["tpe", "random"] = "tpe"
    """How the next trial's values are chosen: Optuna's TPE sampler or uniformly at random."""
    storage: str | None = None
    """An Optuna RDB storage URL (``postgresql://user@host/db``); ``None``: ``hpo.db`` (SQLite) in the work dir."""
    study_name: str | None = None
    """``None``: named after the model and the dataset folder, so the same command resumes the same study."""
