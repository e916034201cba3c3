"""Find a dataset's format from its folder alone, and import it.

The readers of the installed task packages (:mod:`otx.core.data.custom_format`) come first, then
Datumaro's importers; the core itself knows no format.
"""

import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from datumaro.components.dataset import Dataset

from otx.core.data.custom_format import installed_formats
from otx.core.data.image_io import IMAGE_SUFFIXES
from otx.core.data.strays import NOT_DATASET_SUFFIXES, has_image
from otx.core.errors import DataError
from otx.core.plugin import all_specs, package_for_task
from otx.core.types.task import OTXTaskType

if TYPE_CHECKING:
    from datumaro.components.environment import Environment

__all__ = ["NOT_DATASET_SUFFIXES", "candidate_formats", "check_data_root", "choose_format", "import_dataset"]


def check_data_root(data_root: str | os.PathLike[str] | None) -> Path:
    """The data root as a path, or an error if it is missing, empty or holds no image."""
    if data_root is None:
        raise DataError("No dataset given: pass --data_root DIR (a folder of images or a dataset in a known format)")
    root = Path(data_root).expanduser()
    if not root.exists():
        raise DataError(f"Dataset folder not found: {root}")
    if not root.is_dir():
        raise DataError(f"--data_root must be a folder, got a file: {root}")
    if not any(p for p in root.iterdir() if not p.name.startswith(".")):
        raise DataError(f"Dataset folder is empty: {root}")
    if not has_image(root):
        suffixes = ", ".join(sorted(IMAGE_SUFFIXES))
        raise DataError(f"{root} holds no images: no {suffixes} file in it or in any folder below it")
    return root


def candidate_formats(root: Path) -> list[str]:
    """Every format ``root`` matches, most specific first.

    The installed readers' come first, then Datumaro's that none of them supersedes, then the
    installed readers' guesses.
    """
    detected = [reader for reader in installed_formats().values() if reader.detect(root)]
    outranked = {name for reader in detected for name in reader.outranks}
    own = sorted(detected, key=lambda reader: reader.name in outranked)  # stable: declaration order otherwise
    guesses = [reader.name for reader in own if reader.guess is not None and reader.guess(root)]
    left_out = {name for reader in own for name in (reader.name, *reader.supersedes)}
    datumaro = [name for name in _datumaro_environment(root).detect_dataset(str(root)) if name not in left_out]
    return [*(reader.name for reader in own if reader.name not in guesses), *datumaro, *guesses]


def _datumaro_environment(root: Path) -> "Environment":
    """Datumaro's importers, less those for archives and the ones whose optional modules are missing.

    Datumaro imports every importer registered for a file suffix found under ``root``: a stray
    ``backup.tar.gz`` or ``features.h5`` would import the medical-imaging or HDF5 readers and fail.
    """
    from datumaro.components.environment import Environment
    from datumaro.util.os_util import get_all_file_extensions

    environment = Environment()
    groups = environment.importers.extension_groups
    present = {"", *get_all_file_extensions(str(root), {"__MACOSX"})}
    for suffix in list(groups):
        if suffix in NOT_DATASET_SUFFIXES:
            del groups[suffix]
        elif suffix in present:
            groups[suffix] = [(name, importer) for name, importer in groups[suffix] if _importable(importer)]
    return environment


def _importable(importer: Any) -> bool:
    """Whether a (lazily registered) Datumaro importer's module imports here."""
    load = getattr(importer, "get_plugin_cls", None)
    try:
        if load is not None:
            load()
    except ImportError:
        return False
    return True


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
        raise DataError(f"Cannot import {root} as '{data_format}': {_reasons(exc)}".replace("\n", " ")) from None


def _reasons(exc: BaseException) -> str:
    """The messages of ``exc`` and of its causes, less Datumaro's "Failed to import dataset" and repeats."""
    messages: list[str] = []
    current: BaseException | None = exc
    while current is not None and len(messages) < 8:
        text = str(current).strip()
        if text and not text.startswith("Failed to import dataset") and not any(text in m for m in messages):
            messages.append(text)
        current = current.__cause__ or current.__context__
    return ": ".join(messages) or type(exc).__name__


def choose_format(candidates: Sequence[str], preferred: Sequence[str], root: Path) -> str:
    """Pick the first of ``preferred`` that ``root`` matches; error if none or ambiguous."""
    if not candidates:
        layouts = [reader.layout for reader in installed_formats().values() if reader.layout]
        known = [*layouts, "a format Datumaro detects (COCO, VOC, YOLO, Datumaro ...)"]
        raise DataError(
            f"Cannot recognise the dataset format of {root}, which holds {_contents(root)}. "
            f"Expected one of: {'; '.join(known)}{_missing_tasks_hint()}"
        )
    for fmt in preferred:
        if fmt in candidates:
            return fmt
    if len(candidates) == 1:
        return candidates[0]
    raise DataError(f"{root} matches several formats {list(candidates)}; pass --task to choose")


def _contents(root: Path, limit: int = 10) -> str:
    """What ``root`` holds, in a few words: each entry, and what is in each folder."""
    entries = sorted(p for p in root.iterdir() if not p.name.startswith("."))
    described = [_describe(entry) for entry in entries[:limit]]
    more = f" and {len(entries) - limit} more" if len(entries) > limit else ""
    return ", ".join(described) + more


def _describe(entry: Path) -> str:
    try:
        if not stat.S_ISDIR(entry.stat().st_mode):
            return f"file {entry.name}"
        children = list(entry.iterdir())
    except OSError as exc:  # a link to itself, a folder that may not be read
        return f"{entry.name} ({exc.strerror or type(exc).__name__})"
    if not children:
        return f"folder {entry.name}/ (empty)"
    images = sum(1 for c in children if c.suffix.lower() in IMAGE_SUFFIXES)
    folders = sum(1 for c in children if c.is_dir())
    return f"folder {entry.name}/ ({images} images, {folders} folders, {len(children) - images - folders} other files)"


def _missing_tasks_hint() -> str:
    """Which tasks are not installed and the package each needs: their layouts are unknown here."""
    installed = set(all_specs())
    missing = [
        f"{task.value} ({package_for_task(task) or 'not packaged'})" for task in OTXTaskType if task not in installed
    ]
    return f". Tasks not installed, whose formats are not known here: {', '.join(missing)}" if missing else ""
