"""Strict conversion between plain YAML data and the attrs config classes.

Unknown keys and wrong types raise :class:`~otx.core.errors.ConfigError` naming the dotted key
and, for typos, the closest valid key.
"""

import difflib
import types
import typing
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Any, Literal, TypeVar

import attrs
import yaml

from otx.core.config.safe_yaml import MAX_YAML_BYTES, safe_load
from otx.core.config.validators import InvalidValueError
from otx.core.errors import ConfigError

__all__ = ["apply_overrides", "dump_yaml", "load_yaml", "structure", "unstructure"]

T = TypeVar("T")


def load_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping with the safe loader, capped in size and aliases (:mod:`~otx.core.config.safe_yaml`)."""
    try:
        if path.stat().st_size > MAX_YAML_BYTES:
            raise ConfigError(f"{path} is larger than {MAX_YAML_BYTES >> 20} MiB; this is not a config")
        data = safe_load(path.read_text(encoding="utf-8"), str(path))
    except FileNotFoundError:
        raise ConfigError(f"Config file not found: {path}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"Cannot read config {path}: {exc.strerror or exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must contain a mapping of keys at the top level")
    return data


def dump_yaml(data: Mapping[str, Any], path: Path) -> None:
    """Write a mapping as YAML, atomically."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(yaml.safe_dump(dict(data), sort_keys=False), encoding="utf-8")
    tmp.replace(path)


def structure(data: Any, cls: type[T], where: str = "") -> T:
    """Build an attrs instance of ``cls`` from plain data, refusing unknown keys."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"'{where or cls.__name__}' must be a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in attrs.fields(cls)}  # type: ignore[arg-type]
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{where}.{key}" if where else str(key)
        if key not in fields:
            raise ConfigError(_unknown_key_message(dotted, str(key), list(fields)))
        kwargs[key] = _convert(value, hints[key], dotted)
    missing = [name for name, f in fields.items() if f.default is attrs.NOTHING and name not in kwargs]
    if missing:
        keys = ", ".join(f"{where}.{m}" if where else m for m in missing)
        raise ConfigError(f"Missing required config key(s): {keys}")
    try:
        return cls(**kwargs)
    except InvalidValueError as exc:
        raise exc.within(where) from None


def unstructure(obj: Any) -> Any:
    """Plain YAML-safe data from an attrs config (tuples become lists, enums their values)."""
    if isinstance(obj, Enum):
        return obj.value
    if attrs.has(type(obj)):
        return {f.name: unstructure(getattr(obj, f.name)) for f in attrs.fields(type(obj))}
    if isinstance(obj, Mapping):
        return {str(k): unstructure(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [unstructure(v) for v in obj]
    return obj


def apply_overrides(data: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Set dotted keys (``"optimizer.lr": 0.01``) in plain config data; validation happens in ``structure``."""
    for dotted, value in overrides.items():
        node = data
        *parents, leaf = dotted.split(".")
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"Cannot set '{dotted}': '{part}' is not a section")
            node = child
        node[leaf] = value
    return data


def _unknown_key_message(dotted: str, key: str, valid: list[str]) -> str:
    close = difflib.get_close_matches(key, valid, n=1)
    prefix = dotted.removesuffix(key)
    hint = f" Did you mean '{prefix}{close[0]}'?" if close else f" Valid keys: {', '.join(valid)}."
    return f"Unknown config key '{dotted}'.{hint}"


def _convert(value: Any, hint: Any, where: str) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if hint is Any:
        return value
    if isinstance(hint, type) and attrs.has(hint):
        return structure(value, hint, where)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return _convert_enum(value, hint, where)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for option in (a for a in args if a is not type(None)):
            try:
                return _convert(value, option, where)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(f"Invalid value {value!r} for '{where}': {'; '.join(errors)}")
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"Invalid value {value!r} for '{where}'; choose one of {list(args)}")
        return value
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"'{where}' must be a list, got {value!r}")
        return tuple(_convert(v, args[0], f"{where}[{i}]") for i, v in enumerate(value))
    if origin is tuple:
        if not isinstance(value, list | tuple) or len(value) != len(args):
            raise ConfigError(f"'{where}' must be a list of {len(args)} values, got {value!r}")
        return tuple(_convert(v, a, f"{where}[{i}]") for i, (v, a) in enumerate(zip(value, args, strict=True)))
    if origin is list:
        if not isinstance(value, list | tuple):
            raise ConfigError(f"'{where}' must be a list, got {value!r}")
        return [_convert(v, args[0], f"{where}[{i}]") for i, v in enumerate(value)]
    if origin is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"'{where}' must be a mapping, got {value!r}")
        return dict(value)
    return _convert_scalar(value, hint, where)


def _convert_enum(value: Any, hint: type[Enum], where: str) -> Enum:
    """An enum member from its value, case-insensitively for strings."""
    for member in hint:
        if value == member.value or (isinstance(value, str) and value.upper() == str(member.value).upper()):
            return member
    choices = ", ".join(str(member.value) for member in hint)
    raise ConfigError(f"Invalid value {value!r} for '{where}'; choose one of: {choices}")


def _convert_scalar(value: Any, hint: Any, where: str) -> Any:
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if hint is float and isinstance(value, str):
        try:
            return float(value)  # YAML 1.1 reads "1e-3" (no dot) as a string
        except ValueError:
            pass
    if hint is bool and isinstance(value, bool):
        return value
    if hint in (int, str) and isinstance(value, hint) and not isinstance(value, bool):
        return value
    if value is None and hint is type(None):
        return None
    name = getattr(hint, "__name__", str(hint))
    raise ConfigError(f"'{where}' must be {name}, got {value!r}")
