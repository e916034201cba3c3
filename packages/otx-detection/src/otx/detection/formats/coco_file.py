"""COCO in one JSON file at the dataset's root, as many tools export it, with no subsets.

Layouts::

    root/annotations.json  root/images/0001.jpg ...     (any one *.json: instances.json, _annotations.coco.json)
    root/annotations.json  root/0001.jpg ...

An image's ``file_name`` is looked up in ``images/``, then in the root; failing both, its base name
is (Label Studio writes a path of its own machine).
"""

import re
from pathlib import Path

from datumaro.components.dataset import Dataset

from otx.core.data.custom_format import DatasetFormat
from otx.core.data.strays import data_entries
from otx.core.errors import DataError
from otx.detection.formats.coco_dataset import CocoSource, dataset_of_coco

__all__ = ["COCO_FILE"]

_HEAD_BYTES = 1 << 20
_COCO_KEY = re.compile(r'"(images|annotations)"\s*:\s*\[')


def _looks_like_coco(path: Path) -> bool:
    """Whether the file's first MiB has COCO's ``"images": [`` or ``"annotations": [`` (it is read in full later)."""
    with path.open("rb") as file:
        head = file.read(_HEAD_BYTES).decode("utf-8", errors="replace")
    return head.lstrip("\ufeff \t\r\n").startswith("{") and _COCO_KEY.search(head) is not None


def _annotation_file(root: Path) -> Path | None:
    files = [p for p in data_entries(root) if p.suffix.lower() == ".json" and p.is_file()]
    return files[0] if len(files) == 1 and _looks_like_coco(files[0]) else None


def _load(root: Path) -> Dataset:
    path = _annotation_file(root)
    if path is None:
        raise DataError(f"{root} has no single COCO .json file at its root")
    return dataset_of_coco([CocoSource(path, "default", (root / "images", root))])


COCO_FILE = DatasetFormat(
    name="coco_file",
    detect=lambda root: _annotation_file(root) is not None,
    load=_load,
    layout="COCO in one .json at the root (annotations.json, instances.json ...) with images/ or the images beside it",
    outranks=("image_folders", "image_folders_with_subsets"),
)
"""One COCO file and its images; split by seed."""
