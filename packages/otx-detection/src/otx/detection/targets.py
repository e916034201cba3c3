"""Objects of one image as stored between import and loading: boxes, labels and (optionally) shapes.

Kept as small numpy records so that samples are cheap to pickle into loader processes; masks are
rasterized from the shapes only when an image is loaded (see :func:`rasterize`).
"""

from collections.abc import Sequence

import numpy as np
import torch
from attrs import frozen
from PIL import Image, ImageDraw
from torchvision import tv_tensors

__all__ = ["ObjectTargets", "Shape", "rasterize", "to_tv_tensors"]

Shape = tuple[np.ndarray, ...] | np.ndarray
"""An object's outline: polygons (each ``(K, 2)`` xy points) or a boolean mask ``(H, W)``."""


@frozen(kw_only=True)
class ObjectTargets:
    """``boxes`` ``(N, 4)`` XYXY pixels, ``labels`` ``(N,)``, ``shapes`` (instance segmentation only)."""

    boxes: np.ndarray
    labels: np.ndarray
    shapes: tuple[Shape, ...] | None = None


def rasterize(shapes: Sequence[Shape], size: tuple[int, int]) -> np.ndarray:
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


def to_tv_tensors(targets: ObjectTargets, size: tuple[int, int]) -> dict[str, torch.Tensor]:
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
        result["masks"] = tv_tensors.Mask(torch.from_numpy(rasterize(targets.shapes, size)))
    return result
