"""One LabelMe annotation file (``<image stem>.json``, as the labelme tool saves it) read and checked.

Shapes become what detection and instance segmentation read:

- ``rectangle``: a box (the extent of its points: labelme writes two corners, some tools four);
- ``polygon``: a polygon (detection takes its box);
- ``circle`` (centre and a point on the rim): a 32-gon;
- ``mask`` (labelme's AI mask: the box's corners and a base64 PNG of the box's pixels): a mask;
- ``point``, ``points``, ``line``, ``linestrip`` and unknown types outline no area: skipped and counted.

Shapes that share a ``group_id`` and a label are one object (labelme's way of drawing an occluded
object in parts, or a box and an outline of one object). Errors name the file and the shape.
"""

import base64
import binascii
import io
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from attrs import frozen
from PIL import Image, UnidentifiedImageError

from otx.core.errors import DataError

__all__ = ["LabelMeRecord", "LabelMeShape", "embedded_image", "full_mask", "is_labelme", "read_labelme"]

CIRCLE_VERTICES = 32
"""Vertices of the polygon that stands for a circle."""

_NO_AREA = frozenset({"point", "points", "line", "linestrip"})


@frozen
class LabelMeShape:
    """One object part: its label, what it is (``box``, ``polygon`` or ``mask``) and its group (0: none)."""

    label: str
    kind: str
    points: tuple[float, ...]
    """Flat ``x, y`` pairs in pixels: two corners for a box, the outline for a polygon, the box for a mask."""
    group: int
    mask: np.ndarray | None = None
    """Boolean mask of the box's pixels, its top-left at the box's first corner (``kind == "mask"`` only)."""


@frozen
class LabelMeRecord:
    """One annotation file read: its shapes, the image it names, its size and the embedded image if any."""

    path: Path
    shapes: tuple[LabelMeShape, ...]
    image_path: str
    size: tuple[int, int] | None
    """``(height, width)`` from ``imageHeight``/``imageWidth``, where both are positive integers."""
    has_image_data: bool
    """Whether the image is embedded as ``imageData`` (read again with :func:`embedded_image` where needed)."""
    skipped: Counter[str]
    """Shapes left out, by ``shape_type``."""


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None


def is_labelme(path: Path) -> bool:
    """Whether ``path`` is a JSON object with LabelMe's ``shapes`` list and ``imagePath``."""
    try:
        data = _load_json(path)
    except (DataError, OSError):
        return False
    return isinstance(data, dict) and isinstance(data.get("shapes"), list) and isinstance(data.get("imagePath"), str)


def _size(data: dict[str, Any]) -> tuple[int, int] | None:
    height, width = data.get("imageHeight"), data.get("imageWidth")
    if isinstance(height, int) and isinstance(width, int) and height > 0 and width > 0:
        return height, width
    return None


def _points(raw: Any, where: str) -> list[tuple[float, float]]:
    if not isinstance(raw, list):
        raise DataError(f"{where} has 'points' that is not a list of [x, y] pairs: {raw!r:.80}")
    points = []
    for point in raw:
        if (
            not isinstance(point, list | tuple)
            or len(point) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in point)
        ):
            raise DataError(f"{where} has a point that is not [x, y] with two finite numbers: {point!r:.80}")
        points.append((float(point[0]), float(point[1])))
    return points


def _circle(points: list[tuple[float, float]]) -> tuple[float, ...]:
    (cx, cy), (rx, ry) = points[0], points[1]
    radius = math.hypot(rx - cx, ry - cy)
    angles = (2 * math.pi * i / CIRCLE_VERTICES for i in range(CIRCLE_VERTICES))
    return tuple(v for a in angles for v in (cx + radius * math.cos(a), cy + radius * math.sin(a)))


def _crop(encoded: Any, size: tuple[int, int] | None, where: str) -> np.ndarray:
    """The pixels of labelme's ``mask`` shape: a base64 PNG of its box."""
    if size is None:
        raise DataError(f"{where} is a mask, which needs the file's 'imageHeight' and 'imageWidth'")
    try:
        with Image.open(io.BytesIO(base64.b64decode(str(encoded), validate=True))) as image:
            return np.asarray(image.convert("L")) > 0
    except (binascii.Error, OSError, UnidentifiedImageError, ValueError):
        raise DataError(f"{where} has a 'mask' that is not a base64 PNG") from None


def full_mask(shape: LabelMeShape, size: tuple[int, int]) -> np.ndarray:
    """The ``(height, width)`` mask of a ``mask`` shape: its box's pixels pasted at the box's corner."""
    full = np.zeros(size, dtype=bool)
    if shape.mask is None:
        return full
    x, y = max(0, int(shape.points[0])), max(0, int(shape.points[1]))
    part = shape.mask[: max(0, size[0] - y), : max(0, size[1] - x)]
    full[y : y + part.shape[0], x : x + part.shape[1]] = part
    return full


def embedded_image(path: Path) -> bytes:
    """The image a LabelMe file embeds as ``imageData``, decoded."""
    data = _load_json(path)
    try:
        return base64.b64decode(str(data.get("imageData") if isinstance(data, dict) else ""), validate=True)
    except (binascii.Error, ValueError):
        raise DataError(f"{path}: its image file is missing and 'imageData' is not base64") from None


def read_labelme(path: Path) -> LabelMeRecord | None:
    """The shapes of one LabelMe file, or ``None`` for JSON without ``shapes``; errors name the file and the shape."""
    data = _load_json(path)
    if not isinstance(data, dict) or "shapes" not in data:
        return None
    if not isinstance(data["shapes"], list):
        raise DataError(f"{path}: 'shapes' is not a list: {data['shapes']!r:.80}")
    size = _size(data)
    groups: dict[tuple[str, Any], int] = {}
    shapes: list[LabelMeShape] = []
    skipped: Counter[str] = Counter()
    for index, shape in enumerate(data["shapes"]):
        where = f"{path}: shape {index}"
        if not isinstance(shape, dict):
            raise DataError(f"{where} is not a JSON object: {shape!r:.80}")
        label = shape.get("label")
        kind = str(shape.get("shape_type") or "polygon")  # labelme 3 wrote no shape_type for polygons
        if not isinstance(label, str) or not label.strip():
            raise DataError(f"{where} ({kind}) has no label")
        where = f"{where} ('{label}', {kind})"
        if kind in _NO_AREA or kind not in {"rectangle", "polygon", "circle", "mask"}:
            skipped[kind] += 1
            continue
        points = _points(shape.get("points"), where)
        needed = 3 if kind == "polygon" else 2
        if len(points) < needed:
            raise DataError(f"{where} has {len(points)} point(s); a {kind} needs at least {needed}")
        group_id = shape.get("group_id")
        group = 0 if group_id is None else groups.setdefault((label, group_id), len(groups) + 1)
        if kind == "circle":
            shapes.append(LabelMeShape(label, "polygon", _circle(points), group))
            continue
        if kind in {"rectangle", "mask"}:
            xs, ys = [x for x, _ in points], [y for _, y in points]
            points = [(min(xs), min(ys)), (max(xs), max(ys))]
        flat = tuple(v for point in points for v in point)
        mask = _crop(shape.get("mask"), size, where) if kind == "mask" else None
        shapes.append(LabelMeShape(label, "box" if kind == "rectangle" else kind, flat, group, mask))
    image_path = data.get("imagePath")
    return LabelMeRecord(
        path=path,
        shapes=tuple(shapes),
        image_path=image_path if isinstance(image_path, str) else "",
        size=size,
        has_image_data=isinstance(data.get("imageData"), str) and bool(data["imageData"]),
        skipped=skipped,
    )
