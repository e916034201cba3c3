"""Roboflow's COCO export: each subset folder holds its images and ``_annotations.coco.json``.

Layout::

    root/train/_annotations.coco.json  root/train/0001.jpg ...
    root/valid/...  root/test/...

Datumaro's ``roboflow_coco`` importer reads the boxes, but keeps the category Roboflow adds for the
project itself (id 0, the super-category of every class, with no annotation) as a class; this
reader, named like it, replaces it.
"""

from pathlib import Path

from datumaro.components.dataset import Dataset

from otx.core.data.custom_format import DatasetFormat
from otx.core.data.strays import data_entries
from otx.detection.formats.coco_dataset import CocoSource, dataset_of_coco

__all__ = ["ROBOFLOW_COCO"]

ANNOTATION_FILE = "_annotations.coco.json"


def _subset_folders(root: Path) -> list[Path]:
    return [folder for folder in data_entries(root) if (folder / ANNOTATION_FILE).is_file()]


def _load(root: Path) -> Dataset:
    return dataset_of_coco(
        [CocoSource(folder / ANNOTATION_FILE, folder.name, (folder,)) for folder in _subset_folders(root)]
    )


ROBOFLOW_COCO = DatasetFormat(
    name="roboflow_coco",
    detect=lambda root: bool(_subset_folders(root)),
    load=_load,
    layout="Roboflow COCO (<subset>/_annotations.coco.json with the subset's images beside it)",
)
"""Roboflow's COCO export, one subset per folder."""
