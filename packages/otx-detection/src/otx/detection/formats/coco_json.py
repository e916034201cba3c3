"""A COCO annotation file, parsed and checked: every error names the file and the place.

Datumaro drops an image whose id repeats with only a logged warning, and reports a truncated file,
a ``NaN`` or an undeclared ``category_id`` without naming the file. :func:`read_coco` names the file
and the place (line and column, image id or annotation id) for each of these.
"""

import json
import math
from pathlib import Path
from typing import Any

from otx.core.errors import DataError

__all__ = ["read_coco"]


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
        text = path.read_text(encoding="utf-8-sig")
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


def _check_images(path: Path, images: list[Any]) -> None:
    names: dict[Any, str] = {}
    for image in images:
        if not isinstance(image, dict) or not isinstance(image.get("file_name"), str):
            raise DataError(f"{path}: an entry of 'images' has no 'file_name' text: {image!r:.80}")
        image_id = image.get("id")
        if image_id in names:
            raise DataError(
                f"{path}: image id {image_id} is used twice ({names[image_id]} and {image['file_name']}); "
                "image ids must be unique"
            )
        names[image_id] = image["file_name"]


def _check_categories(path: Path, categories: Any) -> set[Any]:
    if not isinstance(categories, list):
        raise DataError(f"{path}: 'categories' is not a list")
    for category in categories:
        if not isinstance(category, dict) or not isinstance(category.get("name"), str):
            raise DataError(f"{path}: an entry of 'categories' has no 'name' text: {category!r:.80}")
        if not isinstance(category.get("id"), int):
            raise DataError(f"{path}: category '{category['name']}' has no integer 'id': {category.get('id')!r}")
    return {category.get("id") for category in categories}


def read_coco(path: Path) -> dict[str, Any]:
    """The file's data, checked for unique image ids, declared categories and boxes of four finite numbers."""
    data = _parse(path)
    _check_images(path, data["images"])
    declared = _check_categories(path, data.get("categories", []))
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
        if not isinstance(box, list) or (
            box and (len(box) != 4 or not all(isinstance(v, int | float) and math.isfinite(v) for v in box))
        ):
            raise DataError(f"{path}: annotation {ident} has a bbox that is not four finite numbers: {box}")
    return data
