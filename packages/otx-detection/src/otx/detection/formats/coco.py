"""COCO instances (``annotations/instances_<subset>.json``), checked before Datumaro reads them.

Each annotation file is checked by :func:`~otx.detection.formats.coco_json.read_coco`, whose errors
name the file and the place; Datumaro then imports the folder. CVAT's "COCO 1.0" export, unpacked
(``annotations/instances_default.json`` and ``images/``, flat or in folders that ``file_name`` names),
is this layout.
"""

from pathlib import Path

from datumaro.components.dataset import Dataset

from otx.core.data.custom_format import DatasetFormat
from otx.detection.formats.coco_json import read_coco

__all__ = ["COCO_INSTANCES"]


def _annotation_files(root: Path) -> list[Path]:
    return sorted((root / "annotations").glob("instances_*.json"))


def _load(root: Path) -> Dataset:
    for path in _annotation_files(root):
        read_coco(path)
    return Dataset.import_from(str(root), "coco_instances")


COCO_INSTANCES = DatasetFormat(
    name="coco_instances",
    detect=lambda root: bool(_annotation_files(root)),
    load=_load,
    layout="COCO instances (annotations/instances_<subset>.json, images/<subset>/)",
)
"""Datumaro's ``coco_instances`` importer, after the checks above."""
