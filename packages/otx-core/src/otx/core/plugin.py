"""Task plugins: how task packages plug into the core without the core naming them.

A task package exposes a :class:`TaskPlugin` under the ``otx.tasks`` entry-point group::

    [project.entry-points."otx.tasks"]
    classification = "otx.classification.plugin:PLUGIN"

The plugin module must import nothing heavy (no torch): ``otx find`` and ``otx --help`` load it.
Classes are named by dotted path and imported only when a run needs them. A class named by a file
(checkpoint, exported model, saved config) is imported only from an installed task package, a module
already loaded, a recipe the user named, or anywhere with ``OTX_ALLOW_CUSTOM_CODE=1``: importing a
module runs its code, and a crafted checkpoint must not choose which.

The core names no task package: an installed plugin's distribution comes from its entry point's
metadata, and the package that provides a missing task from the extras of the ``otx-core``
distribution (``pip install "otx-core[detection]"``).
"""

import functools
import importlib
import os
import sys
from collections.abc import Mapping
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from attrs import evolve, frozen
from packaging.requirements import InvalidRequirement, Requirement

from otx.core.errors import ConfigError, TaskNotInstalledError
from otx.core.types.task import OTXTaskType

__all__ = [
    "ENTRY_POINT_GROUP",
    "TaskPlugin",
    "TaskSpec",
    "all_specs",
    "allow_code_from",
    "find_task",
    "import_class",
    "import_object",
    "installed_plugins",
    "package_for_task",
]

ENTRY_POINT_GROUP = "otx.tasks"

ALLOW_CUSTOM_CODE_ENV = "OTX_ALLOW_CUSTOM_CODE"
"""Set to ``1`` to let checkpoints and configs name classes outside the installed task packages."""

_USER_NAMED: set[str] = set()
"""Modules whose classes a recipe the user named asks for (see :func:`allow_code_from`)."""


@frozen(kw_only=True)
class TaskSpec:
    """What a task package provides for one task."""

    task: OTXTaskType
    recipe_package: str
    """Package whose ``*.yaml`` resources are the task's model recipes, one per model."""
    default_model: str
    """The model trained from scratch when no pretrained weights can be had."""
    dataset_adapter: str
    """Dotted ``module:attr`` of the task's :class:`~otx.core.data.adapter.TaskDataAdapter`."""
    formats: tuple[str, ...]
    """Dataset formats that imply this task when auto-configuring, most specific first."""
    default_for_formats: tuple[str, ...] = ()
    """Formats for which this task is the one chosen when several tasks accept them."""
    annotations: tuple[str, ...] = ()
    """Datumaro annotation types (``AnnotationType`` names: ``label``, ``bbox``, ``polygon``, ``mask`` ...) this
    task trains on."""
    default_for_annotations: tuple[str, ...] = ()
    """Of :attr:`annotations`, those that make this task the one chosen for a format that several tasks read and
    none claims (Datumaro JSON). Where several tasks claim what a dataset holds, the one that trains on most of its
    annotations wins (:func:`otx.core.data.annotations.task_for_annotations`)."""
    pretrained_model: str | None = None
    """The model auto-configuration picks instead of ``default_model`` when its pretrained weights are
    on this machine or can be downloaded."""
    dataset_formats: tuple[str, ...] = ()
    """Dotted ``module:attr`` of :class:`~otx.core.data.custom_format.DatasetFormat` readers this package adds.

    A reader whose name equals a Datumaro format replaces Datumaro's importer for that format.
    """

    def recipe_paths(self) -> dict[str, Path]:
        """Model name -> recipe YAML, from the package's resources."""
        root = resources.files(self.recipe_package)
        found = {
            entry.name.removesuffix(".yaml"): Path(str(entry))
            for entry in root.iterdir()
            if entry.name.endswith(".yaml")
        }
        return dict(sorted(found.items()))

    def recipe_path(self, model: str) -> Path:
        """The recipe of ``model``, or a ConfigError that lists the available models."""
        paths = self.recipe_paths()
        if model in paths:
            return paths[model]
        candidate = Path(model)
        if candidate.suffix in {".yaml", ".yml"} and candidate.is_file():
            return candidate
        raise ConfigError(
            f"Unknown model '{model}' for task {self.task.value}. "
            f"Available: {', '.join(paths)} (or a path to a recipe .yaml)."
        )


@frozen(kw_only=True)
class TaskPlugin:
    """A task package: the tasks it serves."""

    tasks: tuple[TaskSpec, ...]
    distribution: str = ""
    """The distribution that installed the plugin, filled in from its entry point's metadata."""
    package: str = ""
    """The package holding the plugin module (``otx.detection``), filled in from its entry point."""

    def spec(self, task: OTXTaskType) -> TaskSpec | None:
        """The spec for ``task`` if this plugin serves it."""
        return next((spec for spec in self.tasks if spec.task == task), None)


@functools.cache
def installed_plugins() -> tuple[TaskPlugin, ...]:
    """All task plugins registered under the ``otx.tasks`` entry-point group."""
    plugins = []
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        plugin = entry_point.load()
        if not isinstance(plugin, TaskPlugin):
            msg = f"Entry point {entry_point.value} in group {ENTRY_POINT_GROUP} is not a TaskPlugin"
            raise TypeError(msg)
        distribution = entry_point.dist.name if entry_point.dist else entry_point.value
        plugins.append(
            evolve(plugin, distribution=distribution, package=entry_point.value.partition(":")[0].rpartition(".")[0])
        )
    return tuple(sorted(plugins, key=lambda p: p.distribution))


def find_task(task: OTXTaskType) -> TaskSpec:
    """The installed spec for ``task``, or an error naming the package to install."""
    for plugin in installed_plugins():
        spec = plugin.spec(task)
        if spec is not None:
            return spec
    installed = ", ".join(f"{p.distribution} ({', '.join(s.task.value for s in p.tasks)})" for p in installed_plugins())
    package = package_for_task(task)
    fix = f"pip install {package}" if package else "install the task package that provides it"
    raise TaskNotInstalledError(
        f"Task {task.value} is not installed ({fix}); installed task packages: {installed or 'none'}"
    )


def package_for_task(task: OTXTaskType, core: str = "otx-core") -> str | None:
    """The distribution that ``core``'s extra for ``task`` (e.g. ``instance-segmentation``) requires."""
    extra = task.value.lower().replace("_", "-")
    try:
        requirements = metadata.requires(core) or []
    except metadata.PackageNotFoundError:
        return None
    for line in requirements:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue
        marker = requirement.marker
        if marker is not None and marker.evaluate({"extra": extra}) and not marker.evaluate({"extra": ""}):
            return requirement.name
    return None


def import_object(dotted: str) -> Any:
    """Import ``package.module:attr`` or ``package.module.attr``."""
    module_name, attr = _split(dotted)
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"Cannot import '{dotted}': {exc}") from None


def all_specs() -> Mapping[OTXTaskType, TaskSpec]:
    """Every installed task spec by task."""
    return {spec.task: spec for plugin in installed_plugins() for spec in plugin.tasks}


def import_class(dotted: str, base: type, key: str, packages: tuple[str, ...] = ()) -> type:
    """The subclass of ``base`` that ``dotted`` names (the value of config ``key``), checked before any import.

    Its module must be loaded already, belong to an installed task package or one of ``packages``, or
    come from a recipe the user named; ``OTX_ALLOW_CUSTOM_CODE=1`` lifts the rule.
    """
    module_name, _ = _split(dotted)
    trusted = (*(plugin.package for plugin in installed_plugins() if plugin.package), *packages)
    allowed = (
        module_name in sys.modules
        or module_name in _USER_NAMED
        or any(module_name == p or module_name.startswith(f"{p}.") for p in trusted)
        or os.environ.get(ALLOW_CUSTOM_CODE_ENV) == "1"
    )
    if not allowed:
        raise ConfigError(
            f"{key} '{dotted}' is not in an installed task package ({', '.join(trusted) or 'none'}); "
            f"importing it would run its code. If you trust the file that names it, set {ALLOW_CUSTOM_CODE_ENV}=1"
        )
    found = import_object(dotted)
    if not (isinstance(found, type) and issubclass(found, base)):
        raise ConfigError(f"{key} '{dotted}' is not a {base.__name__}")
    return found


def allow_code_from(*dotted: str) -> None:
    """Let :func:`import_class` import the modules of ``dotted`` classes: a recipe the user wrote names them."""
    _USER_NAMED.update(_split(name)[0] for name in dotted if "." in name or ":" in name)


def _split(dotted: str) -> tuple[str, str]:
    """``("package.module", "attr")`` of ``package.module:attr`` or ``package.module.attr``."""
    module_name, _, attr = dotted.partition(":") if ":" in dotted else dotted.rpartition(".")
    return module_name, attr
