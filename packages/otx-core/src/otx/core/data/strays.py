"""Files and folders that belong to no dataset: left out of format detection and import, and reported once.

Real folders carry what operating systems, editors and other tools leave behind (``.DS_Store``,
``Thumbs.db``, ``README.txt``, ``labels.cache``, an empty ``test/``). Readers list a folder with
:func:`data_entries` and never see them; :func:`scan` finds them all for the one counted note.
"""

import os
from collections.abc import Callable
from pathlib import Path

from attrs import frozen

from otx.core.data.image_io import IMAGE_SUFFIXES

__all__ = [
    "NOT_DATASET_SUFFIXES",
    "FolderScan",
    "data_entries",
    "data_folders_and_files",
    "has_image",
    "is_stray",
    "scan",
]

NOT_DATASET_SUFFIXES = frozenset({".gz", ".tgz", ".tar", ".zip", ".7z", ".bz2", ".xz", ".rar", ".h5", ".hdf5"})
"""Archives and array stores: never a dataset layout OTX reads."""

_JUNK_NAMES = frozenset({"thumbs.db", "desktop.ini", "__macosx", "__pycache__"})
_DOC_STEMS = frozenset({"readme", "license", "licence", "changelog", "notice", "citation", "authors"})
_STRAY_SUFFIXES = frozenset(
    {".md", ".rst", ".html", ".pdf", ".cache", ".tmp", ".bak", ".swp", ".log", ".pyc", ".lock", ".ipynb"}
    | NOT_DATASET_SUFFIXES
)


def _stray_name(name: str) -> bool:
    lower = name.lower()
    if lower.startswith(".") or lower in _JUNK_NAMES:
        return True
    return lower.partition(".")[0] in _DOC_STEMS or os.path.splitext(lower)[1] in _STRAY_SUFFIXES


def _holds_data(folder: Path) -> bool:
    """Whether ``folder`` holds, at any depth, a file that is not stray."""
    return _holds_file(folder, lambda name: True)


def _holds_file(folder: Path, wanted: Callable[[str], bool]) -> bool:
    """Whether ``folder`` holds, at any depth outside stray folders, a non-stray file whose name is ``wanted``."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return False
    for entry in entries:
        if _stray_name(entry.name):
            continue
        if _is_dir(entry):
            if _holds_file(Path(entry.path), wanted):
                return True
        elif wanted(entry.name):
            return True
    return False


def _is_dir(entry: os.DirEntry[str]) -> bool:
    """Whether ``entry`` is a folder; a link that loops or points nowhere is not."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def is_stray(path: Path) -> bool:
    """Whether ``path`` is no part of any dataset: system, documentation or cache file, or an empty folder."""
    return _stray_name(path.name) or (path.is_dir() and not _holds_data(path))


def data_entries(folder: Path) -> list[Path]:
    """The entries of ``folder`` that may belong to a dataset, sorted by name."""
    return [path for path, _ in _data_entries(folder)]


def data_folders_and_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """The folders and the other entries of ``folder`` that may belong to a dataset, each sorted by name.

    One directory listing, no ``stat`` per file: large image folders are listed in one pass.
    """
    entries = _data_entries(folder)
    return [path for path, is_folder in entries if is_folder], [path for path, is_folder in entries if not is_folder]


def _data_entries(folder: Path) -> list[tuple[Path, bool]]:
    """Each entry of ``folder`` that may belong to a dataset, and whether it is a folder, sorted by name."""
    kept: list[tuple[Path, bool]] = []
    for entry in sorted(os.scandir(folder), key=_name):  # names sort as paths of one folder do, far faster
        if _stray_name(entry.name):
            continue
        if _is_dir(entry):
            if _holds_data(Path(entry.path)):
                kept.append((Path(entry.path), True))
        else:
            kept.append((Path(entry.path), False))
    return kept


def _name(entry: os.DirEntry[str]) -> str:
    return entry.name


@frozen
class FolderScan:
    """What a walk of a data root found: the stray entries (relative paths) and whether any image is there."""

    strays: tuple[str, ...]
    images: int

    def note(self, limit: int = 5) -> str | None:
        """``"3 entries that hold no data: README.txt, .DS_Store, empty/"``, or ``None`` when there are none."""
        if not self.strays:
            return None
        shown = ", ".join(self.strays[:limit])
        more = f" and {len(self.strays) - limit} more" if len(self.strays) > limit else ""
        what = "entry that holds" if len(self.strays) == 1 else "entries that hold"
        return f"{len(self.strays)} {what} no data: {shown}{more}"


def scan(root: Path) -> FolderScan:
    """Walk ``root`` once: stray files and folders (not entered), and the number of images."""
    strays: list[str] = []
    images = _scan(root, "", strays)
    return FolderScan(strays=tuple(strays), images=images)


def _scan(folder: Path, relative: str, strays: list[str]) -> int:
    """The images under ``folder`` (``relative`` to the root, ``""`` or ending in ``/``); adds its stray entries."""
    try:
        entries = sorted(os.scandir(folder), key=_name)
    except OSError:
        return 0
    images = 0
    for entry in entries:
        name = f"{relative}{entry.name}"
        if _is_dir(entry):
            path = Path(entry.path)
            if _stray_name(entry.name) or not _holds_data(path):
                strays.append(f"{name}/")
            else:
                images += _scan(path, f"{name}/", strays)
        elif _stray_name(entry.name):
            strays.append(name)
        elif os.path.splitext(entry.name)[1].lower() in IMAGE_SUFFIXES:
            images += 1
    return images


def has_image(folder: Path) -> bool:
    """Whether an image lies in ``folder`` or below it, outside stray folders; stops at the first found."""
    return _holds_file(folder, lambda name: os.path.splitext(name)[1].lower() in IMAGE_SUFFIXES)
