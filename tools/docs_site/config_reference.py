"""The config reference page: every key of ``RunConfig`` with its type, default and meaning.

The meaning is the attribute docstring under the field in :mod:`otx.core.config.recipe` and
:mod:`otx.core.config.hpo`, read with griffe; a key without one fails the build.
"""

import enum
import types
import typing
from collections.abc import Iterator
from typing import Any

import attrs
import griffe

from otx.core.config.recipe import RunConfig

MODULES = ("otx.core.config.recipe", "otx.core.config.hpo")


class UndocumentedKeyError(Exception):
    """A config key whose field has no docstring."""


def config_keys() -> list[tuple[str, str, str, str]]:
    """``(dotted key, type, default, meaning)`` for every key, depth first in declaration order."""
    docs = _field_docstrings()
    return list(_walk(RunConfig, "", docs))


def config_page() -> str:
    """The markdown of the config reference."""
    rows = "\n".join(
        f"| `{key}` | {_cell(kind)} | {_cell(default)} | {_cell(meaning)} |"
        for key, kind, default, meaning in config_keys()
    )
    return f"""# Config keys

Every key of a run's `config.yaml`, which is also every key that a recipe sets and that
`--set KEY=VALUE` (CLI) or `overrides={{"KEY": VALUE}}` (`Engine`) accepts. A key not listed here is
refused with the closest valid key. Generated from the typed config classes
(`otx.core.config.recipe.RunConfig` and the classes it holds) when the site is built.

Defaults are the config classes' own; a model's recipe sets many of them (`otx train --model NAME`
prints the resolved values, and every run saves them in its `config.yaml`).

| key | type | default | meaning |
|---|---|---|---|
{rows}
"""


def _walk(cls: type, prefix: str, docs: dict[tuple[str, str], str]) -> Iterator[tuple[str, str, str, str]]:
    hints = typing.get_type_hints(cls)
    for field in attrs.fields(cls):  # type: ignore[arg-type]
        key = f"{prefix}{field.name}"
        hint = hints[field.name]
        meaning = docs.get((cls.__name__, field.name), "")
        if attrs.has(hint):
            yield key, "section", "", meaning
            yield from _walk(hint, f"{key}.", docs)
            continue
        if not meaning:
            msg = f"Config key '{key}' ({cls.__name__}.{field.name}) has no docstring; write one under the field"
            raise UndocumentedKeyError(msg)
        yield key, _type_name(hint), _default(field), meaning


def _field_docstrings() -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    for module_name in MODULES:
        module = griffe.load(module_name)
        for cls in module.classes.values():
            for name, member in cls.attributes.items():
                if member.docstring is not None:
                    found[(cls.name, name)] = " ".join(member.docstring.value.split())
    return found


def _type_name(hint: Any) -> str:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin is typing.Literal:
        return " | ".join(repr(arg) for arg in args)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(arg) for arg in args)
    if origin is not None:
        inner = ", ".join("..." if arg is Ellipsis else _type_name(arg) for arg in args)
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]"
    if hint is type(None):
        return "None"
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return f"{hint.__name__} (one of {', '.join(m.value for m in hint)})"
    return getattr(hint, "__name__", str(hint))


def _default(field: attrs.Attribute) -> str:  # type: ignore[type-arg]
    default = field.default
    if default is attrs.NOTHING:
        return "required"
    if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
        default = default.factory()  # type: ignore[attr-defined]
    if isinstance(default, enum.Enum):
        default = default.value
    return f"`{default!r}`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
