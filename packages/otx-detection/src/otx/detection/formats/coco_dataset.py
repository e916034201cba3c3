"""COCO annotation files read into a Datumaro dataset, wherever the files and their images lie.

Datumaro's COCO importers find images only at the places their layouts fix (``images/<subset>/``
beside ``annotations/``, or the annotation file's own folder for Roboflow). This reader takes each
file with the folders its images may be in, and reads boxes, polygons and RLE masks itself.

Classes are the categories in id order, less a super-category that no annotation uses: Roboflow
declares the project itself as category 0 (``"cells"``, supercategory ``"none"``), the parent of
every real class.
"""

import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path, PureWindowsPath
from typing import Any

import numpy as np
from attrs import frozen
from datumaro.components.annotation import Annotation, AnnotationType, Bbox, LabelCategories, Mask, Polygon, RleMask
from datumaro.components.dataset import Dataset
from datumaro.components.dataset_base import DatasetItem
from datumaro.components.media import Image as DmImage

from otx.core.errors import DataError
from otx.detection.formats.coco_json import read_coco

__all__ = ["CocoSource", "dataset_of_coco"]

log = logging.getLogger(__name__)


@frozen
class CocoSource:
    """One annotation file, the subset it holds, and the folders where image file names are looked up, in order."""

    path: Path
    subset: str
    image_dirs: tuple[Path, ...]


def dataset_of_coco(sources: Sequence[CocoSource]) -> Dataset:
    """The images and objects of every source; errors name the file and the image or annotation."""
    files = [(source, read_coco(source.path)) for source in sources]
    names = _label_names([data for _, data in files])
    dropped: Counter[Path] = Counter()
    items = [item for source, data in files for item in _items(source, data, names, dropped)]
    if dropped:
        where = ", ".join(str(path) for path in dropped)
        log.warning("Dropped %d polygon(s) of fewer than 3 points in %s", sum(dropped.values()), where)
    return Dataset.from_iterable(items, categories={AnnotationType.label: LabelCategories.from_iterable(names)})


def _label_names(files: Sequence[dict[str, Any]]) -> list[str]:
    """Category names in id order over all files, less super-categories no annotation uses."""
    names: list[str] = []
    used: set[str] = set()
    parents: set[str] = set()
    for data in files:
        categories = data.get("categories", [])
        name_of = {category["id"]: category["name"] for category in categories}
        used.update(name_of[annotation.get("category_id")] for annotation in data.get("annotations", []))
        parents.update(c.get("supercategory") for c in categories if c.get("supercategory") != c["name"])
        for category in sorted(categories, key=lambda c: c["id"]):
            if category["name"] not in names:
                names.append(category["name"])
    return [name for name in names if name in used or name not in parents]


def _items(source: CocoSource, data: dict[str, Any], names: list[str], dropped: Counter[Path]) -> list[DatasetItem]:
    label_of = {c["id"]: names.index(c["name"]) for c in data.get("categories", []) if c["name"] in names}
    per_image: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    image_ids = {image.get("id") for image in data["images"]}
    for annotation in data.get("annotations", []):
        if annotation.get("image_id") not in image_ids:
            raise DataError(
                f"{source.path}: annotation {annotation.get('id')} has image_id {annotation.get('image_id')}, "
                "which 'images' does not list"
            )
        per_image[annotation.get("image_id")].append(annotation)
    items = []
    for image in data["images"]:
        path = _image_path(source, image)
        annotations: list[Annotation] = []
        for group, annotation in enumerate(per_image[image.get("id")], start=1):
            shapes = _shapes(source.path, annotation, label_of[annotation.get("category_id")], group, dropped)
            annotations.extend(shapes)
        items.append(
            DatasetItem(
                id=image["file_name"],
                subset=source.subset,
                media=DmImage.from_file(str(path), size=_size(image)),
                annotations=annotations,
            )
        )
    return items


def _size(image: dict[str, Any]) -> tuple[int, int] | None:
    height, width = image.get("height"), image.get("width")
    if isinstance(height, int) and isinstance(width, int) and height > 0 and width > 0:
        return height, width
    return None


def _image_path(source: CocoSource, image: dict[str, Any]) -> Path:
    """The image's file: its ``file_name`` in the first folder that has it, else its base name there."""
    file_name = image["file_name"]
    for name in (file_name, PureWindowsPath(file_name).name):
        for folder in source.image_dirs:
            if (folder / name).is_file():
                return folder / name
    folders = " or ".join(str(folder) for folder in source.image_dirs)
    raise DataError(f"{source.path}: image {image.get('id')} '{file_name}' is not in {folders}")


def _shapes(path: Path, annotation: dict[str, Any], label: int, group: int, dropped: Counter[Path]) -> list[Annotation]:
    """The annotation's box and its polygons or mask, grouped as one object."""
    ident = annotation.get("id")
    attributes = {"is_crowd": bool(annotation.get("iscrowd"))}
    shapes: list[Annotation] = []
    segmentation = annotation.get("segmentation")
    if isinstance(segmentation, dict):
        shapes.append(_mask(path, ident, segmentation, label, group, attributes))
    elif isinstance(segmentation, list):
        for points in segmentation:
            if not isinstance(points, list) or len(points) % 2 or not _finite(points):
                raise DataError(f"{path}: annotation {ident} has a polygon that is not (x, y) number pairs")
            if 0 < len(points) < 6:
                dropped[path] += 1
            elif points:
                shapes.append(Polygon(points, label=label, group=group, attributes=attributes))
    elif segmentation is not None:
        raise DataError(f"{path}: annotation {ident} has a segmentation that is neither polygons nor RLE")
    box = annotation.get("bbox")
    if box:
        shapes.append(Bbox(*box, label=label, group=group, attributes=attributes))
    elif not shapes:
        raise DataError(f"{path}: annotation {ident} has neither a bbox nor a segmentation")
    return shapes


def _finite(values: list[Any]) -> bool:
    return all(isinstance(v, int | float) and np.isfinite(v) for v in values)


def _mask(path: Path, ident: Any, rle: dict[str, Any], label: int, group: int, attributes: dict[str, Any]) -> Mask:
    """A COCO RLE mask: compressed (``counts`` text) as Datumaro decodes it, or uncompressed (run lengths)."""
    size, counts = rle.get("size"), rle.get("counts")
    if not (isinstance(size, list) and len(size) == 2 and all(isinstance(v, int) and v > 0 for v in size)):
        raise DataError(f"{path}: annotation {ident} has an RLE mask whose 'size' is not [height, width]: {size}")
    height, width = size
    if isinstance(counts, str):
        return RleMask({"counts": counts, "size": size}, label=label, group=group, attributes=attributes)
    if not (isinstance(counts, list) and all(isinstance(v, int) and v >= 0 for v in counts)) or (
        sum(counts) != height * width
    ):
        raise DataError(
            f"{path}: annotation {ident} has RLE counts that do not cover its {height}x{width} mask exactly"
        )
    runs = np.repeat(np.arange(len(counts)) % 2 == 1, counts)
    return Mask(runs.reshape(width, height).T, label=label, group=group, attributes=attributes)
