"""The formats page: every dataset format the installed task packages read, and the tasks it implies."""

from otx.core.data.custom_format import installed_formats
from otx.core.plugin import all_specs


def format_rows() -> list[tuple[str, str, str]]:
    """``(format, layout and reader, tasks)``, a row per format any installed task reads, in task order."""
    readers = installed_formats()
    tasks: dict[str, list[str]] = {}
    for spec in all_specs().values():
        for name in spec.formats:
            label = f"**{spec.task.value}**" if name in spec.default_for_formats else spec.task.value
            tasks.setdefault(name, []).append(label)
    by_annotations = {
        name: ", ".join(
            f"{kind} -> {spec.task.value}"
            for spec in all_specs().values()
            if name in spec.formats
            for kind in spec.default_for_annotations
        )
        for name, labels in tasks.items()
        if not any(label.startswith("**") for label in labels)
    }
    rows = []
    for name, readers_tasks in tasks.items():
        reader = readers.get(name)
        layout = f"{reader.layout} (read by OTX)" if reader is not None else "Datumaro's importer of this name"
        if by_annotations.get(name):
            layout += f"; the task follows the annotations most of it holds ({by_annotations[name]})"
        rows.append((name, layout, ", ".join(readers_tasks)))
    return rows


def formats_page() -> str:
    """The markdown of the formats table."""
    lines = "\n".join(f"| `{name}` | {_cell(layout)} | {tasks} |" for name, layout, tasks in format_rows())
    return f"""# Dataset formats

Every format the installed task packages read, generated from their registered readers and task
plugins when the site is built. Trees of each layout, with the files OTX ignores and how a folder
that fits two layouts is resolved: [Your data](../your-data.md).

A task in **bold** is the one auto-configuration chooses for a folder of that format (where none is,
the annotations the folder holds choose, as the layout column says); the others
read it with `--task TASK` (CLI) or `Engine(task="TASK")`. "Read by OTX": OTX's own reader (where
it shares a name with a Datumaro format, it replaces Datumaro's importer); otherwise Datumaro 1.x
imports the folder.

| format | layout | tasks |
|---|---|---|
{lines}
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
