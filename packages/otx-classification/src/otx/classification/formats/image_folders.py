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
from otx.core.data.strays import data_entries, data_folders_and_files

__all__ = ["FLAT_FOLDERS", "IMAGE_FOLDERS", "IMAGE_FOLDERS_WITH_SUBSETS", "SUBSET_FOLDERS"]

log = logging.getLogger(__name__)

FLAT_FOLDERS = "image_folders"
SUBSET_FOLDERS = "image_folders_with_subsets"
SUBSET_NAMES = frozenset({"train", "training", "val", "valid", "validation", "test", "testing"})


def _is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def _is_class_folder_tree(root: Path, beside_files: bool = False) -> bool:
    """True when the folders of ``root`` (strays aside) hold image files and no folders.

    Other files at the root (a ``notes.txt``, a ``classes.csv``) are allowed, but only beside two
    class folders or more, each holding images alone: one folder of images beside a file (COCO's
    ``annotations.json`` + ``images/``) or images with a label file each (YOLO, LabelMe) is another
    format's layout. ``beside_files``: such files are at a level above ``root``, with the same consequence.
    With such files the reading is a guess, listed after any other format's reading of the folder.
    """
    folders, loose = data_folders_and_files(root)
    if not folders or any(_is_image(c) for c in loose) or (loose and len(folders) < 2):
        return False
    for class_dir in folders:
        inner, entries = data_folders_and_files(class_dir)
        if inner or not any(_is_image(e) for e in entries):
            return False
        if (loose or beside_files) and not all(_is_image(e) for e in entries):
            return False
    return True


def _root_files(root: Path) -> list[Path]:
    """Files beside the class (or subset) folders of ``root``, strays aside: no part of the dataset."""
    return data_folders_and_files(root)[1]


def _has_subset_folders(root: Path) -> bool:
    folders = [c for c in data_entries(root) if c.is_dir()]
    return bool(folders) and all(c.name.lower() in SUBSET_NAMES for c in folders)


def _detect_flat(root: Path) -> bool:
    return not _has_subset_folders(root) and _is_class_folder_tree(root)


def _detect_subsets(root: Path) -> bool:
    if not _has_subset_folders(root):
        return False
    beside = bool(_root_files(root))
    return all(_is_class_folder_tree(c, beside) for c in data_entries(root) if c.is_dir())


def _read(root: Path, subsets: Mapping[str, Path]) -> Dataset:
    """A Datumaro dataset with one ``Label`` per image, named after its folder."""
    class_folders = {subset: data_folders_and_files(folder)[0] for subset, folder in subsets.items()}
    class_names = sorted({d.name for folders in class_folders.values() for d in folders})
    label_ids = {name: i for i, name in enumerate(class_names)}
    items: list[DatasetItem] = []
    skipped = [file for folder in {root, *subsets.values()} for file in _root_files(folder)]
    for subset, folders in class_folders.items():
        for class_dir in folders:
            for file in data_entries(class_dir):  # a folder inside is skipped and named, as any other entry
                if not _is_image(file):
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
        shown = ", ".join(str(path.relative_to(root)) for path in skipped[:5])
        log.warning("Ignored %d file(s) under %s that are no image of a class folder: %s", len(skipped), root, shown)
    categories = LabelCategories.from_iterable(class_names)
    return Dataset.from_iterable(items, categories={AnnotationType.label: categories})


def _guess_subsets(root: Path) -> bool:
    return any(_root_files(folder) for folder in (root, *(c for c in data_entries(root) if c.is_dir())))


def _load_flat(root: Path) -> Dataset:
    return _read(root, {"default": root})


def _load_subsets(root: Path) -> Dataset:
    return _read(root, {c.name: c for c in data_entries(root) if c.is_dir()})


IMAGE_FOLDERS = DatasetFormat(
    name=FLAT_FOLDERS,
    detect=_detect_flat,
    load=_load_flat,
    layout="class folders (root/<class>/*.jpg)",
    supersedes=("imagenet",),
    guess=lambda root: bool(_root_files(root)),
)
"""``root/<class>/<image>``: one subset, split by the data module."""

IMAGE_FOLDERS_WITH_SUBSETS = DatasetFormat(
    name=SUBSET_FOLDERS,
    detect=_detect_subsets,
    load=_load_subsets,
    layout="class folders in subset folders (root/<train|val|test>/<class>/*.jpg)",
    supersedes=("imagenet_with_subset_dirs",),
    guess=_guess_subsets,
)
"""``root/<subset>/<class>/<image>``: the subsets as the folders name them."""
