"""Task plugins: how task packages plug into the core without the core naming them.

A task package exposes a :class:`TaskPlugin` under the ``otx.tasks`` entry-point group::

    [project.entry-points."otx.tasks"]
    classification = "otx.classification.plugin:PLUGIN"

The plugin module must import nothing heavy (no torch): ``otx find`` and ``otx --help`` load it.
Classes are named by dotted path and imported only when a run needs them. The core names no task
package: an installed plugin's distribution comes from its entry point's metadata, and the package
that provides a missing task from the extras of the ``otx-core`` distribution
(``pip install "otx-core[detection]"``).
"""

import functools
import importlib
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
    "find_task",
    "import_object",
    "installed_plugins",
    "package_for_task",
]

ENTRY_POINT_GROUP = "otx.tasks"


@frozen(kw_only=True)
class TaskSpec:
    """What a task package provides for one task."""

    task: OTXTaskType
    recipe_package: str
    """Package whose ``*.yaml`` resources are the task's model recipes, one per model."""
    default_model: str
    dataset_adapter: str
    """Dotted ``module:attr`` of the task's :class:`~otx.core.data.adapter.TaskDataAdapter`."""
    formats: tuple[str, ...]
    """Dataset formats that imply this task when auto-configuring, most specific first."""
    default_for_formats: tuple[str, ...] = ()
    """Formats for which this task is the one chosen when several tasks accept them."""
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
        plugins.append(evolve(plugin, distribution=entry_point.dist.name if entry_point.dist else entry_point.value))
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
    module_name, _, attr = dotted.partition(":") if ":" in dotted else dotted.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"Cannot import '{dotted}': {exc}") from None


def all_specs() -> Mapping[OTXTaskType, TaskSpec]:
    """Every installed task spec by task."""
    return {spec.task: spec for plugin in installed_plugins() for spec in plugin.tasks}
