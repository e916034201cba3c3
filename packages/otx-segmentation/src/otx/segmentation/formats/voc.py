"""Pascal VOC semantic segmentation read by OTX: the void border (255) is ignored, not learned.

Datumaro's ``voc_segmentation`` importer turns the void value into a class named ``ignored``
that the model would then train on and be scored against.

Layout: ``ImageSets/Segmentation/<subset>.txt`` lists ids; ``JPEGImages/<id>.jpg`` is the image and
``SegmentationClass/<id>.png`` the class map (palette indices, or the VOC colours in RGB). Classes
are the 21 of VOC (``background`` first), or those of a ``labelmap.txt`` (``name:r,g,b::`` per line,
Datumaro's layout) in its order.
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

__all__ = ["VOC_CLASSES", "VOC_SEGMENTATION"]

VOC_CLASSES = (
    "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
    "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
)  # fmt: skip
_LISTS = Path("ImageSets") / "Segmentation"
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".JPG", ".JPEG", ".PNG")


def voc_colors(count: int = 256) -> np.ndarray:
    """The VOC colour of each index ``(count, 3)``: the bits of the index spread over R, G and B."""
    colors = np.zeros((count, 3), dtype=np.uint8)
    for index in range(count):
        value, bit = index, 7
        while value:
            for channel in range(3):
                colors[index, channel] |= ((value >> channel) & 1) << bit
            value >>= 3
            bit -= 1
    return colors


def _detect(root: Path) -> bool:
    return all((root / folder).is_dir() for folder in ("SegmentationClass", "JPEGImages", _LISTS))


def _label_map(root: Path) -> tuple[list[str], np.ndarray]:
    """Class names and their RGB colours, from ``labelmap.txt`` or VOC's defaults."""
    path = root / "labelmap.txt"
    if not path.is_file():
        return list(VOC_CLASSES), voc_colors()[: len(VOC_CLASSES)]
    names: list[str] = []
    colors: list[list[int]] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, rest = line.partition(":")
        color = rest.partition(":")[0]
        try:
            rgb = [int(c) for c in color.split(",")] if color else list(voc_colors()[len(names)])
        except ValueError:
            raise DataError(f"{path}, line {number}: colour '{color}' is not 'r,g,b'") from None
        names.append(name.strip())
        colors.append(rgb)
    return names, np.asarray(colors, dtype=np.uint8).reshape(-1, 3)


def _reader(path: Path, colors: np.ndarray) -> Callable[[], np.ndarray]:
    def read() -> np.ndarray:
        with Image.open(path) as image:
            if image.mode in ("P", "L"):
                indices = np.asarray(image)
            else:
                indices = _indices_of_colors(np.asarray(image.convert("RGB")), colors, path)
        unknown = np.setdiff1d(np.unique(indices), [*range(len(colors)), IGNORE_INDEX])
        if unknown.size:
            raise DataError(
                f"{path} has class values {unknown.tolist()} beyond the {len(colors)} classes; "
                "list every class in labelmap.txt"
            )
        return indices

    return read


def _indices_of_colors(rgb: np.ndarray, colors: np.ndarray, path: Path) -> np.ndarray:
    codes = (rgb[..., 0].astype(np.int64) << 16) | (rgb[..., 1].astype(np.int64) << 8) | rgb[..., 2]
    palette = (colors[:, 0].astype(np.int64) << 16) | (colors[:, 1].astype(np.int64) << 8) | colors[:, 2]
    void = (224 << 16) | (224 << 8) | 192
    lookup = {int(code): index for index, code in enumerate(palette)} | {void: IGNORE_INDEX}
    values, inverse = np.unique(codes, return_inverse=True)
    missing = [int(v) for v in values if int(v) not in lookup]
    if missing:
        shown = ", ".join(f"({v >> 16},{(v >> 8) & 255},{v & 255})" for v in missing[:5])
        raise DataError(f"{path} has colours {shown} that are no class colour; list them in labelmap.txt")
    return np.asarray([lookup[int(v)] for v in values], dtype=np.uint8)[inverse].reshape(codes.shape)


def _image_path(root: Path, item_id: str) -> Path:
    for suffix in _IMAGE_SUFFIXES:
        candidate = root / "JPEGImages" / f"{item_id}{suffix}"
        if candidate.is_file():
            return candidate
    raise DataError(f"{root / 'SegmentationClass' / item_id}.png has no image in {root / 'JPEGImages'}")


def _load(root: Path) -> Dataset:
    names, colors = _label_map(root)
    lists = {p.stem: p for p in sorted((root / _LISTS).glob("*.txt"))}
    if "trainval" in lists and {"train", "val"} <= lists.keys():
        del lists["trainval"]  # the union of train and val: reading it would duplicate every image
    if not lists:
        raise DataError(f"{root / _LISTS} has no subset lists (train.txt, val.txt ...)")
    items: list[IndexMapItem] = []
    for subset, listing in lists.items():
        for line in listing.read_text().splitlines():
            if not line.strip():
                continue
            item_id = line.split()[0]
            mask = root / "SegmentationClass" / f"{item_id}.png"
            if not mask.is_file():
                raise DataError(f"{listing} lists '{item_id}', which has no class map {mask}")
            items.append((item_id, subset, str(_image_path(root, item_id)), _reader(mask, colors)))
    return dataset_of_index_maps(items, names)


VOC_SEGMENTATION = DatasetFormat(
    name="voc_segmentation",
    detect=_detect,
    load=_load,
    layout="Pascal VOC segmentation (SegmentationClass/*.png, JPEGImages/, ImageSets/Segmentation/<subset>.txt)",
)
"""Replaces Datumaro's ``voc_segmentation`` importer."""
