"""ImageNet-style class folders, with or without ``train``/``val``/``test`` subset folders.

Datumaro's own importer rejects a whole tree when one file has an unlisted extension (for
example a ``.gif`` among ``.jpg`` files); these readers accept every image file they can name and
report the files they skip. Where they detect a folder, Datumaro's ``imagenet`` and
``imagenet_with_subset_dirs`` detections of it are left out of the candidates.
"""

import logging
from collections.abc import Mapping
from pathlib import Path

from datumaro.components.annotation import AnnotationType, Label, LabelCategories
from datumaro.components.dataset import Dataset
from datumaro.components.dataset_base import DatasetItem
from datumaro.components.media import Image as DmImage

from otx.core.data.custom_format import DatasetFormat
from otx.core.data.image_io import IMAGE_SUFFIXES
from otx.core.data.strays import data_entries

__all__ = ["FLAT_FOLDERS", "IMAGE_FOLDERS", "IMAGE_FOLDERS_WITH_SUBSETS", "SUBSET_FOLDERS"]

log = logging.getLogger(__name__)

FLAT_FOLDERS = "image_folders"
SUBSET_FOLDERS = "image_folders_with_subsets"
SUBSET_NAMES = frozenset({"train", "training", "val", "valid", "validation", "test", "testing"})


def _is_class_folder_tree(root: Path) -> bool:
    """True when every entry of ``root`` (strays aside) is a folder holding image files and no folders."""
    children = data_entries(root)
    if not children or any(not c.is_dir() for c in children):
        return False
    for class_dir in children:
        entries = data_entries(class_dir)
        if any(e.is_dir() for e in entries) or not any(e.suffix.lower() in IMAGE_SUFFIXES for e in entries):
            return False
    return True


def _has_subset_folders(root: Path) -> bool:
    children = data_entries(root)
    return bool(children) and all(c.is_dir() and c.name.lower() in SUBSET_NAMES for c in children)


def _detect_flat(root: Path) -> bool:
    return not _has_subset_folders(root) and _is_class_folder_tree(root)


def _detect_subsets(root: Path) -> bool:
    return _has_subset_folders(root) and all(_is_class_folder_tree(c) for c in data_entries(root))


def _read(root: Path, subsets: Mapping[str, Path]) -> Dataset:
    """A Datumaro dataset with one ``Label`` per image, named after its folder."""
    class_names = sorted({d.name for folder in subsets.values() for d in data_entries(folder)})
    label_ids = {name: i for i, name in enumerate(class_names)}
    items, skipped = [], []
    for subset, folder in subsets.items():
        for class_dir in data_entries(folder):
            for file in data_entries(class_dir):
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


def _load_flat(root: Path) -> Dataset:
    return _read(root, {"default": root})


def _load_subsets(root: Path) -> Dataset:
    return _read(root, {c.name: c for c in data_entries(root)})


IMAGE_FOLDERS = DatasetFormat(
    name=FLAT_FOLDERS,
    detect=_detect_flat,
    load=_load_flat,
    layout="class folders (root/<class>/*.jpg)",
    supersedes=("imagenet",),
)
"""``root/<class>/<image>``: one subset, split by the data module."""

IMAGE_FOLDERS_WITH_SUBSETS = DatasetFormat(
    name=SUBSET_FOLDERS,
    detect=_detect_subsets,
    load=_load_subsets,
    layout="class folders in subset folders (root/<train|val|test>/<class>/*.jpg)",
    supersedes=("imagenet_with_subset_dirs",),
)
"""``root/<subset>/<class>/<image>``: the subsets as the folders name them."""
