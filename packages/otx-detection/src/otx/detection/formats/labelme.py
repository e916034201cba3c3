"""LabelMe's per-image JSON (the labelme annotation tool), read by OTX.

Layouts::

    root/0001.jpg  root/0001.json  ...                    (labelme's default: one unsplit folder)
    root/<train|val|test>/0001.jpg  .../0001.json         (subset folders are kept)
    root/images/0001.jpg  root/annotations/0001.json      (any folders: ``imagePath`` names the image)

A folder is LabelMe's where a JSON file named like one of its images holds ``shapes`` and
``imagePath``. Every JSON file with ``shapes`` in the tree is read; other JSON files (a COCO or
Datumaro file, ``dataset_meta.json``) and images without a JSON file (not labelled in labelme) are
left out, counted. A file's image is the one ``imagePath`` names (relative to the file; a Windows
path or another folder falls back to its file name beside the JSON), else the image with the
JSON's stem beside it, else the image embedded as ``imageData``.
"""

import functools
import io
import logging
import os
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath

from datumaro.components.annotation import Annotation, AnnotationType, Bbox, LabelCategories, Mask, Polygon
from datumaro.components.dataset import Dataset
from datumaro.components.dataset_base import DatasetItem
from datumaro.components.media import Image as DmImage
from PIL import Image, UnidentifiedImageError

from otx.core.data.custom_format import DatasetFormat
from otx.core.data.image_io import IMAGE_SUFFIXES
from otx.core.data.split import canonical_subset
from otx.core.data.strays import is_stray
from otx.core.errors import DataError
from otx.detection.formats.labelme_exif import to_stored_mask, to_stored_points
from otx.detection.formats.labelme_json import (
    LabelMeRecord,
    LabelMeShape,
    embedded_image,
    full_mask,
    is_labelme,
    read_labelme,
)

__all__ = ["LABELME"]

log = logging.getLogger(__name__)

_CHECKED = 3
"""JSON files named like an image that are read to recognise a folder."""
_ORIENTATION_TAG = 0x0112

Size = tuple[int, int] | None
"""An image's ``(height, width)``, where known."""


def _walk(root: Path) -> tuple[list[Path], list[Path]]:
    """The JSON files and the images under ``root``, sorted; stray files and folders left out."""
    jsons: list[Path] = []
    images: list[Path] = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = [d for d in dirs if not is_stray(here / d)]
        for name in files:
            if name.startswith("."):  # hidden files and macOS's ._ companions
                continue
            path = here / name
            suffix = path.suffix.lower()
            if suffix in IMAGE_SUFFIXES:
                images.append(path)
            elif suffix == ".json" and not is_stray(path):
                jsons.append(path)
    return sorted(jsons), sorted(images)


def _detect(root: Path) -> bool:
    jsons, images = _walk(root)
    stems = {image.stem for image in images}
    return any(is_labelme(path) for path in [p for p in jsons if p.stem in stems][:_CHECKED])


def _subset(root: Path, path: Path) -> str:
    """The first folder between ``root`` and ``path`` that names a subset, or ``default``."""
    folders = path.relative_to(root).parts[:-1]
    return next((name for name in folders if canonical_subset(name) != "default"), "default")


def _image_file(record: LabelMeRecord, beside: Mapping[tuple[Path, str], Path]) -> Path | None:
    """The image ``imagePath`` names, or that name in the JSON's folder, or the image with the JSON's stem there."""
    folder = record.path.parent
    named = record.image_path.replace("\\", "/")
    candidates = [folder / named, folder / PurePosixPath(named).name] if named else []
    found = next((p for p in candidates if p.is_file()), None)
    return found or beside.get((folder, record.path.stem))


def _header(source: Path | io.BytesIO) -> tuple[int, Size]:
    """EXIF orientation (1: none) and stored ``(height, width)``; an unreadable image is left to the image check."""
    try:
        with Image.open(source) as image:
            orientation = image.getexif().get(_ORIENTATION_TAG, 1)
            return (orientation if orientation in range(1, 9) else 1), (image.height, image.width)
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError):
        return 1, None


def _media(record: LabelMeRecord, beside: Mapping[tuple[Path, str], Path]) -> tuple[DmImage, int, Size]:
    """The record's image, its EXIF orientation and its stored size."""
    image = _image_file(record, beside)
    if image is not None:
        orientation, stored = _header(image)
        return DmImage.from_file(str(image), size=stored), orientation, stored
    if not record.has_image_data:
        raise DataError(
            f"{record.path} has no image: not '{record.image_path}', no {record.path.stem}.jpg/.png/... beside it, "
            "and no imageData"
        )
    data = embedded_image(record.path)
    orientation, stored = _header(io.BytesIO(data))
    return DmImage.from_bytes(data, size=stored), orientation, stored


def _annotation(shape: LabelMeShape, label: int, record: LabelMeRecord, orientation: int, stored: Size) -> Annotation:
    points = to_stored_points(shape.points, orientation, stored) if stored is not None else shape.points
    if shape.kind == "polygon":
        return Polygon(list(points), label=label, group=shape.group)
    if shape.mask is not None and record.size is not None:  # made when the mask is used: a full image each
        drawn = functools.partial(full_mask, shape, record.size)
        return Mask(lambda: to_stored_mask(drawn(), orientation), label=label, group=shape.group)
    xs, ys = points[0::2], points[1::2]
    return Bbox(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys), label=label, group=shape.group)


def _item(
    root: Path, record: LabelMeRecord, subset: str, labels: Mapping[str, int], beside: Mapping[tuple[Path, str], Path]
) -> DatasetItem:
    media, orientation, stored = _media(record, beside)
    annotations = [_annotation(s, labels[s.label], record, orientation, stored) for s in record.shapes]
    item_id = record.path.relative_to(root).with_suffix("").as_posix()
    return DatasetItem(id=item_id, subset=subset, media=media, annotations=annotations)


def _listing(paths: Sequence[Path], root: Path, limit: int = 5) -> str:
    shown = ", ".join(p.relative_to(root).as_posix() for p in paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def _notes(root: Path, records: Sequence[LabelMeRecord], others: Sequence[Path], unlabelled: Sequence[Path]) -> None:
    skipped = [r for r in records if r.skipped]
    if skipped:
        kinds = sum((r.skipped for r in skipped), Counter[str]())
        log.warning(
            "Skipped %d LabelMe shape(s) that outline no area or have an unknown type (%s) in %d file(s): %s",
            kinds.total(),
            ", ".join(f"{kind}: {n}" for kind, n in sorted(kinds.items())),
            len(skipped),
            _listing([r.path for r in skipped], root),
        )
    if others:
        log.warning("Left out %d JSON file(s) without LabelMe 'shapes': %s", len(others), _listing(others, root))
    if unlabelled:
        log.warning("Left out %d image(s) with no LabelMe .json: %s", len(unlabelled), _listing(unlabelled, root))


def _load(root: Path) -> Dataset:
    jsons, images = _walk(root)
    records: list[LabelMeRecord] = []
    others: list[Path] = []
    for path in jsons:
        record = read_labelme(path)
        if record is None:
            others.append(path)
        else:
            records.append(record)
    if not records:
        raise DataError(f"{root} holds no LabelMe annotation (a .json file with 'shapes')")
    subsets = [_subset(root, r.path) for r in records]
    if "default" in subsets:  # subsets only where every file is in a subset folder: one unsplit pool otherwise
        subsets = ["default"] * len(records)
    labels = sorted({shape.label for record in records for shape in record.shapes})
    index = {name: i for i, name in enumerate(labels)}
    beside: dict[tuple[Path, str], Path] = {}
    for image in images:
        beside.setdefault((image.parent, image.stem), image)
    items = [_item(root, r, subset, index, beside) for r, subset in zip(records, subsets, strict=True)]
    used = {os.path.normpath(item.media.path) for item in items if getattr(item.media, "path", "")}
    _notes(root, records, others, [p for p in images if os.path.normpath(p) not in used])
    return Dataset.from_iterable(items, categories={AnnotationType.label: LabelCategories.from_iterable(labels)})


LABELME = DatasetFormat(
    name="labelme",
    detect=_detect,
    load=_load,
    layout="LabelMe JSON per image (root/[<subset>/]N.jpg + N.json with 'shapes' and 'imagePath')",
)
"""The labelme tool's folders: rectangles give boxes, polygons (and circles) polygons, AI masks masks."""
