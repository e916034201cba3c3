"""COCO instances, checked before Datumaro reads them.

Datumaro drops an image whose id repeats with only a logged warning, and reports a truncated file,
a ``NaN`` or an undeclared ``category_id`` without naming the file. These checks name the file and
the place (line and column, image id or annotation id); Datumaro then imports the folder as before.
"""

import json
import math
from pathlib import Path
from typing import Any

from datumaro.components.dataset import Dataset

from otx.core.data.custom_format import DatasetFormat
from otx.core.errors import DataError

__all__ = ["COCO_INSTANCES"]


def _annotation_files(root: Path) -> list[Path]:
    return sorted((root / "annotations").glob("instances_*.json"))


def _position(text: str, index: int) -> str:
    line = text.count("\n", 0, index) + 1
    return f"line {line}, column {index - text.rfind(chr(10), 0, index)}"


class _NotANumberError(ValueError):
    def __init__(self, constant: str) -> None:
        super().__init__(constant)
        self.constant = constant


def _reject(constant: str) -> Any:
    raise _NotANumberError(constant)


def _parse(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text, parse_constant=_reject)
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except _NotANumberError as exc:
        where = _position(text, text.find(exc.constant))
        raise DataError(f"{path}: {exc.constant} at {where} is not a number COCO allows") from None
    if not isinstance(data, dict) or not isinstance(data.get("images"), list):
        raise DataError(f"{path} is not a COCO annotation file (no 'images' list)")
    return data


def _check(path: Path) -> None:
    """Unique image ids, declared categories and finite boxes in one annotation file."""
    data = _parse(path)
    names: dict[Any, str] = {}
    for image in data["images"]:
        image_id = image.get("id") if isinstance(image, dict) else None
        if image_id in names:
            raise DataError(
                f"{path}: image id {image_id} is used twice ({names[image_id]} and {image.get('file_name')}); "
                "image ids must be unique"
            )
        names[image_id] = str(image.get("file_name") if isinstance(image, dict) else image)
    declared = {c.get("id") for c in data.get("categories", []) if isinstance(c, dict)}
    for annotation in data.get("annotations", []):
        if not isinstance(annotation, dict):
            raise DataError(f"{path}: an entry of 'annotations' is not an object: {annotation!r:.80}")
        ident, category = annotation.get("id"), annotation.get("category_id")
        if category not in declared:
            raise DataError(
                f"{path}: annotation {ident} has category_id {category}, which 'categories' does not declare "
                f"(declared: {sorted(declared, key=str)})"
            )
        box = annotation.get("bbox", [])
        if isinstance(box, list) and not all(isinstance(v, int | float) and math.isfinite(v) for v in box):
            raise DataError(f"{path}: annotation {ident} has a bbox that is not four finite numbers: {box}")


def _load(root: Path) -> Dataset:
    for path in _annotation_files(root):
        _check(path)
    return Dataset.import_from(str(root), "coco_instances")


COCO_INSTANCES = DatasetFormat(
    name="coco_instances",
    detect=lambda root: bool(_annotation_files(root)),
    load=_load,
    layout="COCO instances (annotations/instances_<subset>.json, images/<subset>/)",
)
"""Datumaro's ``coco_instances`` importer, after the checks above."""
