"""Pascal VOC annotation files (``<annotation>`` XML, as VOC, labelImg, CVAT and Roboflow write them) to Datumaro.

Labels come from the annotations, not from VOC's 20 fixed classes: Datumaro's VOC importer rejects
any object whose name is not a VOC class unless the folder has a ``labelmap.txt``.
"""

import logging
import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from attrs import frozen
from datumaro.components.annotation import AnnotationType, Bbox, LabelCategories
from datumaro.components.dataset import Dataset
from datumaro.components.dataset_base import DatasetItem
from datumaro.components.media import Image as DmImage

from otx.core.errors import DataError

__all__ = ["VocObject", "VocRecord", "dataset_of_records", "is_voc_annotation", "read_record"]

log = logging.getLogger(__name__)


@frozen
class VocObject:
    """One ``<object>``: its class name, box corners (x1, y1, x2, y2) in pixels, and the difficult flag."""

    name: str
    box: tuple[float, float, float, float]
    difficult: bool


@frozen
class VocRecord:
    """One annotation file read: the item's id and subset, its objects, the image size and ``<filename>``."""

    path: Path
    item_id: str
    subset: str
    objects: tuple[VocObject, ...]
    size: tuple[int, int] | None
    filename: str
    dropped: int
    """Objects left out for a ``nan`` or ``inf`` coordinate."""


def is_voc_annotation(path: Path) -> bool:
    """Whether ``path`` is an XML file whose root element is ``<annotation>``."""
    try:
        for _, element in ET.iterparse(path, events=("start",)):
            return bool(element.tag == "annotation")
    except (ET.ParseError, OSError):
        return False
    return False


def _number(element: ET.Element, tag: str, path: Path) -> float:
    text = element.findtext(tag)
    try:
        return float(text or "")
    except ValueError:
        raise DataError(f"{path}: <{tag}> of an object is '{text}', not a number") from None


def _image_size(root: ET.Element) -> tuple[int, int] | None:
    try:
        height, width = int(root.findtext("size/height") or ""), int(root.findtext("size/width") or "")
    except ValueError:
        return None
    return (height, width) if height > 0 and width > 0 else None


def read_record(path: Path, item_id: str, subset: str) -> VocRecord:
    """The objects of one annotation file; errors name the file."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise DataError(f"Cannot parse {path}: {exc}") from None
    found = []
    dropped = 0
    for obj in root.iter("object"):
        name = (obj.findtext("name") or "").strip()
        box = obj.find("bndbox")
        if not name or box is None:
            raise DataError(f"{path}: an <object> lacks <name> or <bndbox>")
        x1, y1, x2, y2 = (_number(box, tag, path) for tag in ("xmin", "ymin", "xmax", "ymax"))
        if not all(math.isfinite(c) for c in (x1, y1, x2, y2)):
            dropped += 1
            continue
        found.append(VocObject(name, (x1, y1, x2, y2), obj.findtext("difficult") == "1"))
    filename = (root.findtext("filename") or "").strip()
    return VocRecord(path, item_id, subset, tuple(found), _image_size(root), filename, dropped)


def _bbox(obj: VocObject, label: int) -> Bbox:
    x1, y1, x2, y2 = obj.box
    return Bbox(x1, y1, x2 - x1, y2 - y1, label=label, attributes={"difficult": obj.difficult})


def dataset_of_records(records: Sequence[tuple[VocRecord, Path]]) -> Dataset:
    """A Datumaro dataset of ``(record, image path)`` pairs; classes sorted by name."""
    dropped = [(record, image) for record, image in records if record.dropped]
    if dropped:
        shown = ", ".join(str(record.path) for record, _ in dropped[:5]) + (" ..." if len(dropped) > 5 else "")
        log.warning(
            "Dropped %d object(s) with nan/inf coordinates in %d annotation file(s): %s",
            sum(record.dropped for record, _ in dropped),
            len(dropped),
            shown,
        )
    label_names = sorted({obj.name for record, _ in records for obj in record.objects})
    items = [
        DatasetItem(
            id=record.item_id,
            subset=record.subset,
            media=DmImage.from_file(str(image), size=record.size),
            annotations=[_bbox(obj, label_names.index(obj.name)) for obj in record.objects],
        )
        for record, image in records
    ]
    return Dataset.from_iterable(items, categories={AnnotationType.label: LabelCategories.from_iterable(label_names)})
