"""Datumaro items to detection and instance-segmentation samples, with bad boxes fixed or dropped and counted.

Objects are kept as small numpy records (:class:`ObjectTargets`) between import and loading, so that
samples are cheap to pickle into loader processes; masks are rasterized from the shapes only when an
image is loaded.
"""

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from attrs import frozen
from datumaro.components.annotation import Annotation, Bbox, Mask, Polygon
from datumaro.components.dataset_base import DatasetItem
from datumaro.components.media import Image as DmImage
from PIL import Image, ImageDraw, UnidentifiedImageError
from torchvision import tv_tensors

from otx.core.data.adapter import TaskDataAdapter
from otx.core.data.entity import ImageInfo
from otx.core.errors import DataError
from otx.detection.entities import DetBatchDataEntity, DetDataEntity, InstSegBatchDataEntity, InstSegDataEntity

__all__ = ["DetectionAdapter", "InstanceSegmentationAdapter", "ObjectTargets"]

MIN_SIDE = 1.0
"""Boxes thinner than this many pixels (after clipping to the image) are dropped."""

Shape = tuple[np.ndarray, ...] | np.ndarray
"""An object's outline: polygons (each ``(K, 2)`` xy points) or a boolean mask ``(H, W)``."""


@frozen(kw_only=True)
class ObjectTargets:
    """``boxes`` ``(N, 4)`` XYXY pixels, ``labels`` ``(N,)``, ``shapes`` (instance segmentation only)."""

    boxes: np.ndarray
    labels: np.ndarray
    shapes: tuple[Shape, ...] | None = None


def _rasterize(shapes: Sequence[Shape], size: tuple[int, int]) -> np.ndarray:
    """Boolean masks ``(N, H, W)`` of ``shapes`` on an image of ``size`` ``(height, width)``."""
    height, width = size
    masks = np.zeros((len(shapes), height, width), dtype=bool)
    for i, shape in enumerate(shapes):
        if isinstance(shape, np.ndarray):
            h, w = min(height, shape.shape[0]), min(width, shape.shape[1])
            masks[i, :h, :w] = shape[:h, :w]
            continue
        canvas = Image.new("1", (width, height))
        draw = ImageDraw.Draw(canvas)
        for polygon in shape:
            draw.polygon([(float(x), float(y)) for x, y in polygon], fill=1)
        masks[i] = np.asarray(canvas, dtype=bool)
    return masks


def _to_tv_tensors(targets: ObjectTargets, size: tuple[int, int]) -> dict[str, torch.Tensor]:
    """The targets as torchvision v2 transforms move them, boxes clipped to ``size``."""
    boxes = tv_tensors.BoundingBoxes(
        torch.from_numpy(targets.boxes).float().reshape(-1, 4),
        format=tv_tensors.BoundingBoxFormat.XYXY,
        canvas_size=size,
    )
    result: dict[str, torch.Tensor] = {
        "boxes": tv_tensors.wrap(boxes.clamp(min=0).minimum(torch.tensor([size[1], size[0]] * 2)), like=boxes),
        "labels": torch.from_numpy(targets.labels).long(),
    }
    if targets.shapes is not None:
        result["masks"] = tv_tensors.Mask(torch.from_numpy(_rasterize(targets.shapes, size)))
    return result


def _objects(item: DatasetItem) -> list[list[Annotation]]:
    """Annotations grouped per object: COCO gives a polygon and a box per object under one group id."""
    grouped: dict[int, list[Annotation]] = {}
    single: list[list[Annotation]] = []
    for ann in item.annotations:
        if not isinstance(ann, Bbox | Polygon | Mask):
            continue
        if ann.group:
            grouped.setdefault(ann.group, []).append(ann)
        else:
            single.append([ann])
    return [*grouped.values(), *single]


def _shape_of(parts: Sequence[Annotation]) -> Shape | None:
    polygons = tuple(np.asarray(p.points, dtype=np.float32).reshape(-1, 2) for p in parts if isinstance(p, Polygon))
    if polygons:
        return polygons
    masks = [p for p in parts if isinstance(p, Mask)]
    return np.asarray(masks[0].image, dtype=bool) if masks else None


def _box_of(parts: Sequence[Annotation]) -> tuple[float, float, float, float]:
    boxes = [p for p in parts if isinstance(p, Bbox)]
    x, y, w, h = (boxes[0] if boxes else parts[0]).get_bbox()
    return float(x), float(y), float(x + w), float(y + h)


def _image_size(item: DatasetItem) -> tuple[int, int] | None:
    """``(height, width)`` of ``item``'s image as stored, from its header; ``None`` where it cannot be read.

    Datumaro would decode the whole image to learn its size, and fails with a bare ``AttributeError``
    on a corrupt file; the image check names and skips such a file when the data is loaded.
    """
    media = item.media
    if not isinstance(media, DmImage):
        return None
    if media.has_size or not getattr(media, "path", None):
        known: tuple[int, int] | None = media.size
        return known
    try:
        with Image.open(media.path) as image:
            width, height = image.size
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError):
        return None
    return height, width


class DetectionAdapter(TaskDataAdapter[DetDataEntity, DetBatchDataEntity]):
    """Boxes and labels per image; images without objects are kept as background."""

    batch_type = DetBatchDataEntity
    needs_shapes = False

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def target_from_item(self, item: DatasetItem, label_map: Sequence[int]) -> ObjectTargets:
        """Objects of ``item``: boxes clipped to the image, degenerate or unlabelled ones dropped (counted)."""
        size = _image_size(item)
        boxes, labels, shapes = [], [], []
        for parts in _objects(item):
            label = parts[0].label
            if label is None:
                self.counts["objects without a label dropped"] += 1
                continue
            if label >= len(label_map):
                raise DataError(f"Item '{item.id}' has label id {label}, beyond the {len(label_map)} declared labels")
            shape = _shape_of(parts) if self.needs_shapes else None
            if self.needs_shapes and shape is None:
                self.counts["boxes without a mask dropped"] += 1
                continue
            box = self._checked_box(_box_of(parts), size)
            if box is None:
                continue
            boxes.append(box)
            labels.append(label_map[label])
            shapes.append(shape)
        if not boxes:
            self.counts["images without objects kept as background"] += 1
        return ObjectTargets(
            boxes=np.asarray(boxes, dtype=np.float32).reshape(-1, 4),
            labels=np.asarray(labels, dtype=np.int64),
            shapes=tuple(s for s in shapes if s is not None) if self.needs_shapes else None,
        )

    def _checked_box(
        self, box: tuple[float, float, float, float], size: tuple[int, int] | None
    ) -> tuple[float, float, float, float] | None:
        x1, y1, x2, y2 = box
        if not all(math.isfinite(v) for v in box):
            self.counts["boxes with nan/inf coordinates dropped"] += 1
            return None
        if size is not None:
            height, width = size
            clipped = (
                min(max(x1, 0.0), width),
                min(max(y1, 0.0), height),
                min(max(x2, 0.0), width),
                min(max(y2, 0.0), height),
            )
            if clipped != box:
                self.counts["boxes reaching outside the image clipped"] += 1
            x1, y1, x2, y2 = clipped
        if x2 - x1 < MIN_SIDE or y2 - y1 < MIN_SIDE:
            self.counts["boxes of zero area dropped"] += 1
            return None
        return x1, y1, x2, y2

    def import_warnings(self) -> list[str]:
        """One counted line per kind of fix."""
        return [f"{count} {what}" for what, count in sorted(self.counts.items())]

    def prepare_target(self, target: Any, image_size: tuple[int, int]) -> dict[str, Any]:
        """Boxes (and masks) as ``tv_tensors`` for the image just decoded."""
        if not isinstance(target, ObjectTargets):
            msg = f"{type(self).__name__} expects ObjectTargets, got {type(target).__name__}"
            raise TypeError(msg)
        return _to_tv_tensors(target, image_size)

    def placeholder_target(self, image_size: tuple[int, int]) -> dict[str, Any]:
        """No objects, for an image to predict on."""
        shapes = () if self.needs_shapes else None
        empty = ObjectTargets(boxes=np.zeros((0, 4), np.float32), labels=np.zeros(0, np.int64), shapes=shapes)
        return _to_tv_tensors(empty, image_size)

    def make_entity(self, image: tv_tensors.Image, info: ImageInfo, target: Any) -> DetDataEntity:
        """Entity with the transformed boxes and labels."""
        return DetDataEntity(image=image, img_info=info, boxes=target["boxes"], labels=target["labels"])

    def labels_of(self, target: Any) -> list[int]:
        """Every object's label."""
        labels = target.labels if isinstance(target, ObjectTargets) else target["labels"]
        return [int(label) for label in labels]

    def object_sides(self, target: Any) -> list[float]:
        """The shorter side of every box, in pixels."""
        boxes = np.asarray(target.boxes if isinstance(target, ObjectTargets) else target["boxes"]).reshape(-1, 4)
        return [float(side) for side in np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])]


class InstanceSegmentationAdapter(DetectionAdapter):
    """Objects need a polygon or mask; boxes alone are dropped (counted)."""

    batch_type = InstSegBatchDataEntity  # type: ignore[assignment]
    needs_shapes = True

    def make_entity(self, image: tv_tensors.Image, info: ImageInfo, target: Any) -> InstSegDataEntity:
        """Entity with the transformed boxes, labels and masks."""
        return InstSegDataEntity(
            image=image, img_info=info, boxes=target["boxes"], labels=target["labels"], masks=target["masks"]
        )
