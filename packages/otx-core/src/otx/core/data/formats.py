"""Find a dataset's format from its folder alone, and import it.

The readers of the installed task packages (:mod:`otx.core.data.custom_format`) come first, then
Datumaro's importers; the core itself knows no format.
"""

import os
from collections.abc import Sequence
from pathlib import Path

from datumaro.components.dataset import Dataset

from otx.core.data.custom_format import installed_formats
from otx.core.errors import DataError
from otx.core.plugin import all_specs, package_for_task
from otx.core.types.task import OTXTaskType

__all__ = ["candidate_formats", "check_data_root", "choose_format", "import_dataset"]


def check_data_root(data_root: str | os.PathLike[str] | None) -> Path:
    """The data root as a path, or an error if it is missing or empty."""
    if data_root is None:
        raise DataError("No dataset given: pass --data_root DIR (a folder of images or a dataset in a known format)")
    root = Path(data_root).expanduser()
    if not root.exists():
        raise DataError(f"Dataset folder not found: {root}")
    if not root.is_dir():
        raise DataError(f"--data_root must be a folder, got a file: {root}")
    if not any(p for p in root.iterdir() if not p.name.startswith(".")):
        raise DataError(f"Dataset folder is empty: {root}")
    return root


def candidate_formats(root: Path) -> list[str]:
    """Every format ``root`` matches: the installed readers' first, then Datumaro's that none of them supersedes."""
    from datumaro.components.environment import Environment

    own = [reader for reader in installed_formats().values() if reader.detect(root)]
    left_out = {name for reader in own for name in (reader.name, *reader.supersedes)}
    datumaro = [name for name in Environment().detect_dataset(str(root)) if name not in left_out]
    return [*(reader.name for reader in own), *datumaro]


def import_dataset(root: Path, data_format: str) -> Dataset:
    """Import ``root`` as ``data_format``, with errors that name the folder."""
    root = check_data_root(root)
    reader = installed_formats().get(data_format)
    try:
        dataset = reader.load(root) if reader is not None else Dataset.import_from(str(root), data_format)
        len(dataset)  # Datumaro reads lazily: parse every annotation here, where errors name the folder
        return dataset
    except DataError:
        raise
    except Exception as exc:  # Datumaro raises many unrelated types for malformed data
        raise DataError(f"Cannot import {root} as '{data_format}': {exc}".replace("\n", " ")) from None


def choose_format(candidates: Sequence[str], preferred: Sequence[str], root: Path) -> str:
    """Pick the first of ``preferred`` that ``root`` matches; error if none or ambiguous."""
    if not candidates:
        layouts = [reader.layout for reader in installed_formats().values() if reader.layout]
        known = [*layouts, "a format Datumaro detects (COCO, VOC, YOLO, Datumaro ...)"]
        raise DataError(
            f"Cannot recognise the dataset format of {root}. Expected one of: {'; '.join(known)}{_missing_tasks_hint()}"
        )
    for fmt in preferred:
        if fmt in candidates:
            return fmt
    if len(candidates) == 1:
        return candidates[0]
    raise DataError(f"{root} matches several formats {list(candidates)}; pass --task to choose")


def _missing_tasks_hint() -> str:
    """Which tasks are not installed and the package each needs: their layouts are unknown here."""
    installed = set(all_specs())
    missing = [
        f"{task.value} ({package_for_task(task) or 'not packaged'})" for task in OTXTaskType if task not in installed
    ]
    return f". Tasks not installed, whose formats are not known here: {', '.join(missing)}" if missing else ""
