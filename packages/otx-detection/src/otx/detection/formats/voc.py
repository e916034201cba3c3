"""Pascal VOC detection read by OTX: labels come from the annotations, not from VOC's 20 fixed classes.

Datumaro's VOC importer rejects any object whose name is not a VOC class unless the folder has a
``labelmap.txt``; real VOC-layout datasets (BCCD, most exports) have none.
"""

import logging
import math
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from datumaro.components.annotation import AnnotationType, Bbox, LabelCategories
from datumaro.components.dataset import Dataset
from datumaro.components.dataset_base import DatasetItem
from datumaro.components.media import Image as DmImage

from otx.core.data.custom_format import DatasetFormat
from otx.core.errors import DataError

__all__ = ["VOC_DETECTION"]

log = logging.getLogger(__name__)

_SUBSETS_DIR = Path("ImageSets") / "Main"


def _detect(root: Path) -> bool:
    return (root / "Annotations").is_dir() and (root / "JPEGImages").is_dir() and (root / _SUBSETS_DIR).is_dir()


def _subset_ids(root: Path) -> dict[str, list[str]]:
    """Image ids of each ``ImageSets/Main/<subset>.txt`` (class-specific ``<class>_<subset>.txt`` lists skipped)."""
    subsets = {}
    for listing in sorted((root / _SUBSETS_DIR).glob("*.txt")):
        if "_" in listing.stem:
            continue
        subsets[listing.stem] = [line.split()[0] for line in listing.read_text().splitlines() if line.strip()]
    if not subsets:
        raise DataError(f"{root / _SUBSETS_DIR} has no subset lists (train.txt, val.txt ...)")
    if "trainval" in subsets and {"train", "val"} <= subsets.keys():
        del subsets["trainval"]  # the union of train and val: reading it would duplicate every image
    return subsets


def _number(element: ET.Element, tag: str, path: Path) -> float:
    text = element.findtext(tag)
    try:
        return float(text or "")
    except ValueError:
        raise DataError(f"{path}: <{tag}> of an object is '{text}', not a number") from None


_Object = tuple[str, tuple[float, float, float, float], bool]


def _image_size(root: ET.Element) -> tuple[int, int] | None:
    try:
        height, width = int(root.findtext("size/height") or ""), int(root.findtext("size/width") or "")
    except ValueError:
        return None
    return (height, width) if height > 0 and width > 0 else None


def _parse(path: Path, dropped: Counter[Path]) -> tuple[list[_Object], tuple[int, int] | None]:
    """``(name, (x1, y1, x2, y2), difficult)`` of every object in one annotation file, and the image size.

    Objects with a ``nan`` or ``inf`` coordinate are left out and counted in ``dropped``.
    """
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise DataError(f"Cannot parse {path}: {exc}") from None
    found = []
    for obj in root.iter("object"):
        name = (obj.findtext("name") or "").strip()
        box = obj.find("bndbox")
        if not name or box is None:
            raise DataError(f"{path}: an <object> lacks <name> or <bndbox>")
        corners = tuple(_number(box, tag, path) for tag in ("xmin", "ymin", "xmax", "ymax"))
        if not all(math.isfinite(c) for c in corners):
            dropped[path] += 1
            continue
        found.append((name, (corners[0], corners[1], corners[2], corners[3]), obj.findtext("difficult") == "1"))
    return found, _image_size(root)


def _image_path(root: Path, item_id: str) -> Path:
    for suffix in (".jpg", ".jpeg", ".png", ".bmp", ".JPG", ".JPEG", ".PNG"):
        candidate = root / "JPEGImages" / f"{item_id}{suffix}"
        if candidate.is_file():
            return candidate
    raise DataError(f"Annotation {root / 'Annotations' / item_id}.xml has no image in {root / 'JPEGImages'}")


def _load(root: Path) -> Dataset:
    parsed: dict[tuple[str, str], tuple[list[_Object], tuple[int, int] | None]] = {}
    names: list[str] = []
    dropped: Counter[Path] = Counter()
    for subset, ids in _subset_ids(root).items():
        for item_id in ids:
            xml = root / "Annotations" / f"{item_id}.xml"
            objects, size = _parse(xml, dropped) if xml.is_file() else ([], None)
            names.extend(name for name, _, _ in objects if name not in names)
            parsed[(subset, item_id)] = objects, size
    if dropped:
        files = ", ".join(str(path) for path in sorted(dropped)[:5]) + (" ..." if len(dropped) > 5 else "")
        log.warning(
            "Dropped %d object(s) with nan/inf coordinates in %d annotation file(s): %s",
            sum(dropped.values()),
            len(dropped),
            files,
        )
    label_names = sorted(names)
    items = [
        DatasetItem(
            id=item_id,
            subset=subset,
            media=DmImage.from_file(str(_image_path(root, item_id)), size=size),
            annotations=[
                Bbox(x1, y1, x2 - x1, y2 - y1, label=label_names.index(name), attributes={"difficult": difficult})
                for name, (x1, y1, x2, y2), difficult in objects
            ],
        )
        for (subset, item_id), (objects, size) in parsed.items()
    ]
    categories = LabelCategories.from_iterable(label_names)
    return Dataset.from_iterable(items, categories={AnnotationType.label: categories})


VOC_DETECTION = DatasetFormat(
    name="voc_detection",
    detect=_detect,
    load=_load,
    layout="Pascal VOC detection (Annotations/*.xml, JPEGImages/, ImageSets/Main/<subset>.txt)",
)
"""Replaces Datumaro's ``voc_detection`` importer."""
