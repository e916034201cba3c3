"""YOLO label files: one object a line, ``class cx cy w h`` (a box) or ``class x1 y1 x2 y2 ...`` (a polygon).

Coordinates are fractions of the image's width and height. Errors name the file and the line.
"""

import math
from collections.abc import Sequence
from pathlib import Path

from attrs import frozen
from datumaro.components.annotation import Annotation, Bbox, Polygon

from otx.core.errors import DataError

__all__ = ["YoloObject", "annotations_of", "read_labels"]

_SLACK = 0.01
"""How far a coordinate may stray outside [0, 1] (rounding in exporters); it is clipped."""


@frozen
class YoloObject:
    """One label line: the class index, its box (cx, cy, w, h) and its polygon (x1, y1, ...) if any, as fractions."""

    label: int
    box: tuple[float, float, float, float]
    polygon: tuple[float, ...] | None = None


def _class_index(field: str, names: Sequence[str], where: str) -> int:
    try:
        value = float(field)
    except ValueError:
        raise DataError(f"{where}: class '{field}' is not a number") from None
    if not value.is_integer() or not 0 <= value < len(names):
        raise DataError(f"{where}: class {field} is not an index of the {len(names)} class names (0..{len(names) - 1})")
    return int(value)


def _coordinates(fields: Sequence[str], where: str) -> tuple[float, ...]:
    values = []
    for field in fields:
        try:
            value = float(field)
        except ValueError:
            raise DataError(f"{where}: '{field}' is not a number") from None
        if not math.isfinite(value) or not -_SLACK <= value <= 1 + _SLACK:
            raise DataError(f"{where}: {field} is not a fraction of the image size (0 to 1)")
        values.append(min(max(value, 0.0), 1.0))
    return tuple(values)


def read_labels(path: Path, names: Sequence[str], *, polygons: bool = True) -> list[YoloObject]:
    """The objects of label file ``path`` (none if it is missing or empty); ``names`` are the classes."""
    if not path.is_file():
        return []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    objects = []
    for number, line in enumerate(lines, start=1):
        fields = line.split()
        if not fields:
            continue
        where = f"{path}, line {number}"
        if len(fields) != 5 and (not polygons or len(fields) < 7 or len(fields) % 2 == 0):
            expected = "'class cx cy w h' or 'class x1 y1 x2 y2 x3 y3 ...'" if polygons else "'class cx cy w h'"
            raise DataError(f"{where}: {len(fields)} fields; expected {expected}")
        label = _class_index(fields[0], names, where)
        values = _coordinates(fields[1:], where)
        if len(values) == 4:
            objects.append(YoloObject(label, (values[0], values[1], values[2], values[3])))
        else:
            xs, ys = values[0::2], values[1::2]
            box = ((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2, max(xs) - min(xs), max(ys) - min(ys))
            objects.append(YoloObject(label, box, values))
    return objects


def annotations_of(objects: Sequence[YoloObject], size: tuple[int, int]) -> list[Annotation]:
    """Datumaro annotations in pixels on an image of ``size`` (height, width).

    Each object gives its box, and its polygon under the same group where it has one.
    """
    height, width = size
    annotations: list[Annotation] = []
    for group, obj in enumerate(objects, start=1):
        cx, cy, w, h = obj.box
        box = ((cx - w / 2) * width, (cy - h / 2) * height, w * width, h * height)
        if obj.polygon is None:
            annotations.append(Bbox(*box, label=obj.label))
            continue
        points = [v * (width if i % 2 == 0 else height) for i, v in enumerate(obj.polygon)]
        annotations.extend([Polygon(points, label=obj.label, group=group), Bbox(*box, label=obj.label, group=group)])
    return annotations
