"""ImageNet-style class folders, with or without ``train``/``val``/``test`` subset folders.

Datumaro's own importer rejects a whole tree when one file has an unlisted extension (for
example a ``.gif`` among ``.jpg`` files); this reader accepts every image file it can name and
reports the files it skips.
"""

import logging
from pathlib import Path

from datumaro.components.annotation import AnnotationType, Label, LabelCategories
from datumaro.components.dataset import Dataset
from datumaro.components.dataset_base import DatasetItem
from datumaro.components.media import Image as DmImage

from otx.core.data.image_io import IMAGE_SUFFIXES

__all__ = ["FLAT_FOLDERS", "SUBSET_FOLDERS", "detect_image_folders", "import_image_folders"]

log = logging.getLogger(__name__)

FLAT_FOLDERS = "image_folders"
SUBSET_FOLDERS = "image_folders_with_subsets"
SUBSET_NAMES = frozenset({"train", "training", "val", "valid", "validation", "test", "testing"})


def _visible_children(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def _is_class_folder_tree(root: Path) -> bool:
    """True when every visible entry of ``root`` is a folder holding image files and no folders."""
    children = _visible_children(root)
    if not children or any(not c.is_dir() for c in children):
        return False
    for class_dir in children:
        entries = _visible_children(class_dir)
        if any(e.is_dir() for e in entries) or not any(e.suffix.lower() in IMAGE_SUFFIXES for e in entries):
            return False
    return True


def detect_image_folders(root: Path) -> str | None:
    """Which class-folder layout ``root`` has, if any."""
    children = _visible_children(root)
    if children and all(c.is_dir() and c.name.lower() in SUBSET_NAMES for c in children):
        return SUBSET_FOLDERS if all(_is_class_folder_tree(c) for c in children) else None
    return FLAT_FOLDERS if _is_class_folder_tree(root) else None


def import_image_folders(root: Path, layout: str) -> Dataset:
    """A Datumaro dataset with one ``Label`` per image, named after its folder."""
    subsets = {c.name: c for c in _visible_children(root)} if layout == SUBSET_FOLDERS else {"default": root}
    class_names = sorted({d.name for folder in subsets.values() for d in _visible_children(folder)})
    label_ids = {name: i for i, name in enumerate(class_names)}
    items, skipped = [], []
    for subset, folder in subsets.items():
        for class_dir in _visible_children(folder):
            for file in _visible_children(class_dir):
                if file.suffix.lower() not in IMAGE_SUFFIXES:
                    skipped.append(file)
                    continue
                items.append(
                    DatasetItem(
                        id=f"{class_dir.name}/{file.stem}",
                        subset=subset,
                        media=DmImage.from_file(path=str(file)),
                        annotations=[Label(label_ids[class_dir.name])],
                    )
                )
    if skipped:
        log.warning("Skipped %d non-image file(s) under %s, e.g. %s", len(skipped), root, skipped[0])
    categories = LabelCategories.from_iterable(class_names)
    return Dataset.from_iterable(items, categories={AnnotationType.label: categories})
