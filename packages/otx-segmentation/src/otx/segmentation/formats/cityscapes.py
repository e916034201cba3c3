"""Cityscapes read by OTX, so that no class is lost on the way in.

Datumaro's importer skips label index 0 (train id 0, ``road``, once its label list has put a
``background`` first: every class then shifts by one) and keeps no pixel of instance-encoded
``*_instanceIds.png`` values (``class_id * 1000 + instance``). This reader maps pixel values itself:

- ``*_gtFine_labelTrainIds.png``: train ids 0-18 are the 19 evaluated classes, 255 is ignored;
- ``*_gtFine_labelIds.png`` / ``*_gtFine_instanceIds.png``: label ids (``value // 1000`` for
  instance values) go to the same 19 train ids; ids outside them are ignored;
- with a ``label_colors.txt`` (``r g b name`` per line) at the root, line ``i`` names pixel value ``i``
  (``value // 1000`` for instance values) instead, and no id is remapped.

Layout: ``<root>/leftImg8bit/<subset>/<city>/<name>_leftImg8bit.png`` and
``<root>/gtFine/<subset>/<city>/<name>_gtFine_<kind>.png``.
"""

from collections.abc import Callable
from pathlib import Path

import numpy as np
from datumaro.components.dataset import Dataset
from PIL import Image

from otx.core.data.custom_format import DatasetFormat
from otx.core.errors import DataError
from otx.segmentation.entities import IGNORE_INDEX
from otx.segmentation.formats.index_maps import IndexMapItem, dataset_of_index_maps

__all__ = ["CITYSCAPES", "TRAIN_CLASSES"]

TRAIN_CLASSES = (
    "road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "traffic sign", "vegetation",
    "terrain", "sky", "person", "rider", "car", "truck", "bus", "train", "motorcycle", "bicycle",
)  # fmt: skip
"""The 19 classes Cityscapes benchmarks evaluate, in train-id order."""

_LABEL_TO_TRAIN_ID = {7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9, 23: 10, 24: 11, 25: 12}
_LABEL_TO_TRAIN_ID |= {26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18}
_MASK_KINDS = ("labelTrainIds", "labelIds", "instanceIds")  # in order of preference
_IMAGES, _MASKS, _LABEL_COLORS = "leftImg8bit", "gtFine", "label_colors.txt"


def _detect(root: Path) -> bool:
    return (root / _MASKS).is_dir() and (root / _IMAGES).is_dir() and any((root / _MASKS).glob("*/*/*_gtFine_*Ids.png"))


def _custom_names(root: Path) -> list[str] | None:
    path = root / _LABEL_COLORS
    if not path.is_file():
        return None
    names = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) < 4:
            raise DataError(f"{path}, line {number}: expected 'r g b name', got '{line.strip()}'")
        names.append(" ".join(fields[3:]))
    return names


def _lookup(kind: str, num_classes: int, custom: bool) -> np.ndarray:
    """Pixel value (after instance decoding, so < 1000) -> class index or IGNORE_INDEX."""
    table = np.full(1000, IGNORE_INDEX, dtype=np.uint8)
    if custom or kind == "labelTrainIds":
        table[:num_classes] = np.arange(num_classes)
    else:
        for label_id, train_id in _LABEL_TO_TRAIN_ID.items():
            table[label_id] = train_id
    return table


def _class_map(path: Path, table: np.ndarray) -> Callable[[], np.ndarray]:
    def read() -> np.ndarray:
        values = np.asarray(Image.open(path), dtype=np.int64)
        values = np.where(values >= 1000, values // 1000, values)  # instance-encoded: class_id * 1000 + n
        return table[np.clip(values, 0, 999)]

    return read


def _load(root: Path) -> Dataset:
    found = {kind: sorted((root / _MASKS).glob(f"*/*/*_gtFine_{kind}.png")) for kind in _MASK_KINDS}
    kind = next(kind for kind in _MASK_KINDS if found[kind])
    custom = _custom_names(root)
    names = custom if custom is not None else list(TRAIN_CLASSES)
    table = _lookup(kind, len(names), custom is not None)
    items: list[IndexMapItem] = []
    for mask_path in found[kind]:
        subset, city = mask_path.parent.parent.name, mask_path.parent.name
        name = mask_path.name.removesuffix(f"_gtFine_{kind}.png")
        image_path = root / _IMAGES / subset / city / f"{name}_leftImg8bit.png"
        if not image_path.is_file():
            raise DataError(f"{mask_path} has no image: expected {image_path}")
        items.append((f"{city}/{name}", subset, str(image_path), _class_map(mask_path, table)))
    return dataset_of_index_maps(items, names)


CITYSCAPES = DatasetFormat(
    name="cityscapes",
    detect=_detect,
    load=_load,
    layout="Cityscapes (leftImg8bit/<subset>/<city>/*.png, gtFine/<subset>/<city>/*_gtFine_*Ids.png)",
)
"""Replaces Datumaro's ``cityscapes`` importer."""
