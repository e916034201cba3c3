"""``otx find``: the installed task packages, their tasks and models."""

from rich.console import Console
from rich.table import Table

from otx.core.errors import ConfigError
from otx.core.plugin import find_task, installed_plugins
from otx.core.types.task import OTXTaskType

__all__ = ["print_models"]


def print_models(task: str | None = None) -> None:
    """Print a table of task, model and package; ``task`` filters by task name."""
    wanted = task.upper() if task else None
    if wanted is not None and wanted not in OTXTaskType.__members__:
        raise ConfigError(f"Unknown task '{task}'. Choose one of: {', '.join(OTXTaskType.__members__)}")
    table = Table(title="Installed tasks and models (* = default)")
    for column in ("task", "model", "package"):
        table.add_column(column)
    rows = 0
    for plugin in installed_plugins():
        for spec in plugin.tasks:
            if wanted is not None and spec.task.value != wanted:
                continue
            for name in spec.recipe_paths():
                mark = "*" if name == spec.default_model else ""
                table.add_row(spec.task.value, f"{name}{mark}", plugin.distribution)
                rows += 1
    if rows == 0 and wanted is not None:
        find_task(OTXTaskType(wanted))  # names the package to install
    if rows == 0:
        raise ConfigError('No task package is installed: pip install "otx-core[multi-class-cls]" (or another task)')
    Console().print(table)
