"""YOLO datasets with a ``data.yaml``: the Ultralytics layout and Roboflow's YOLOv5/v8 export.

Layouts::

    root/data.yaml  root/images/<train|val>/0001.jpg  root/labels/<train|val>/0001.txt   (Ultralytics)
    root/data.yaml  root/<train|valid|test>/images/0001.jpg  .../labels/0001.txt         (Roboflow)

``data.yaml`` names the classes and each subset's images (:mod:`.yolo_yaml`). An image's labels are
the ``.txt`` of its stem in the folder where ``labels`` replaces the last ``images`` (beside the
image where its path has no ``images`` folder); a missing or empty label file is an image without
objects. Box lines give boxes, polygon lines (Ultralytics segmentation) polygons and their boxes.

Datumaro's ``yolo`` importer leaves out the images that have no label file and reads no polygon;
its ``roboflow_yolo`` does not recognise Roboflow's export.
"""

import logging
import os
from pathlib import Path

from datumaro.components.annotation import AnnotationType, LabelCategories
from datumaro.components.dataset import Dataset
from datumaro.components.dataset_base import DatasetItem
from datumaro.components.media import Image as DmImage
from PIL import Image, UnidentifiedImageError

from otx.core.data.custom_format import DatasetFormat
from otx.core.data.image_io import IMAGE_SUFFIXES
from otx.core.data.split import canonical_subset
from otx.core.data.strays import is_stray
from otx.core.errors import DataError
from otx.detection.formats.yolo_labels import annotations_of, read_labels
from otx.detection.formats.yolo_yaml import YoloConfig, locate, read_config

__all__ = ["YOLO_ULTRALYTICS"]

log = logging.getLogger(__name__)

_YAML_NAMES = ("data.yaml", "data.yml")


def _config_path(root: Path) -> Path | None:
    return next((root / name for name in _YAML_NAMES if (root / name).is_file()), None)


def _detect(root: Path) -> bool:
    """A ``data.yaml`` and a ``labels`` folder at the root or one level down."""
    return _config_path(root) is not None and any(
        folder.is_dir() for folder in (root / "labels", *root.glob("*/labels"))
    )


def _is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES and path.is_file() and not is_stray(path)


def _listed_images(listing: Path, root: Path) -> list[Path]:
    """The images a ``.txt`` list names, each relative to the list's folder or found inside ``root``."""
    images = []
    for number, line in enumerate(listing.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        found = locate(root, line.strip(), str(listing.parent.relative_to(root)))
        if found is None or not _is_image(found):
            raise DataError(f"{listing}, line {number}: '{line.strip()}' is no image inside {root}")
        images.append(found)
    return images


def _usual_folder(root: Path, key: str) -> Path | None:
    """``images/<subset>`` or ``<subset>/images`` under any usual name of subset ``key`` (``valid`` for ``val``)."""
    places = [p for p in sorted((root / "images").glob("*")) if p.is_dir()] if (root / "images").is_dir() else []
    places += [p / "images" for p in sorted(root.iterdir()) if (p / "images").is_dir()]
    return next((p for p in places if canonical_subset((p.parent if p.name == "images" else p).name) == key), None)


def _subset_images(config: YoloConfig, key: str, root: Path) -> list[Path]:
    """The images of one subset: those under its folders and in its lists.

    A path found nowhere inside the root gives way to the subset's usual folder; a test subset
    without either is left out.
    """
    found: list[Path] = []
    for written in config.subsets[key]:
        place = locate(root, written, config.base) or _usual_folder(root, key)
        if place is None and key == "test":
            log.warning("%s: '%s: %s' names nothing inside %s; no test subset read", config.path, key, written, root)
        elif place is None:
            raise DataError(f"{config.path}: '{key}: {written}' names no folder or image list inside {root}")
        elif place.is_dir():
            found += sorted(p for p in place.rglob("*") if _is_image(p))
        else:
            found += _listed_images(place, root)
    return found


def _label_path(image: Path, root: Path) -> Path:
    """``images`` -> ``labels`` at the last ``images`` folder below ``root``, ``.txt`` for the suffix."""
    parts = list(image.relative_to(root).parts)
    folders = [i for i, part in enumerate(parts[:-1]) if part == "images"]
    if folders:
        parts[folders[-1]] = "labels"
    return root.joinpath(*parts).with_suffix(".txt")


def _size(image: Path) -> tuple[int, int]:
    """(height, width) from the image's header."""
    try:
        with Image.open(image) as opened:
            return opened.height, opened.width
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise DataError(f"Cannot read image {image}: {exc}") from None


def _item(subset: str, image: Path, root: Path, names: tuple[str, ...]) -> DatasetItem:
    """The image with its objects, under the id of its path inside ``root`` less the suffix."""
    size = _size(image)
    return DatasetItem(
        id=image.relative_to(root).with_suffix("").as_posix(),
        subset=subset,
        media=DmImage.from_file(str(image), size=size),
        annotations=annotations_of(read_labels(_label_path(image, root), names), size),
    )


def _load(root: Path) -> Dataset:
    root = Path(os.path.normpath(root))  # as the paths found in it are
    path = _config_path(root)
    if path is None:
        raise DataError(f"{root} has no data.yaml")
    config = read_config(path)
    items = []
    for key in config.subsets:
        items += [_item(key, image, root, config.names) for image in _subset_images(config, key, root)]
    categories = {AnnotationType.label: LabelCategories.from_iterable(config.names)}
    return Dataset.from_iterable(items, categories=categories)


YOLO_ULTRALYTICS = DatasetFormat(
    name="yolo_ultralytics",
    detect=_detect,
    load=_load,
    layout="YOLO with a data.yaml (Ultralytics images/<subset>/ + labels/<subset>/; Roboflow <subset>/images|labels/)",
    supersedes=("yolo", "roboflow_yolo"),
)
"""Ultralytics' and Roboflow's YOLO datasets, boxes or polygons."""
