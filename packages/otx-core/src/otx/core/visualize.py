"""Drawing predictions on images: a stable colour per label, boxes with captions, translucent masks."""

import colorsys
from collections.abc import Sequence

import torch
from torch import Tensor
from torchvision.utils import draw_bounding_boxes, draw_segmentation_masks

__all__ = ["draw_boxes", "draw_caption", "label_colors", "overlay_masks"]


def label_colors(num_labels: int) -> list[tuple[int, int, int]]:
    """Well-separated RGB colours, one per label, the same on every call."""
    colors = []
    for i in range(num_labels):
        red, green, blue = colorsys.hsv_to_rgb((i * 0.618034) % 1.0, 0.85, 0.95)
        colors.append((int(red * 255), int(green * 255), int(blue * 255)))
    return colors


def _line_width(image: Tensor) -> int:
    return max(1, round(min(image.shape[-2:]) / 200))


def draw_boxes(image: Tensor, boxes: Tensor, captions: Sequence[str], colors: Sequence[tuple[int, int, int]]) -> Tensor:
    """``image`` (``uint8 (3, H, W)``) with ``boxes`` (``(N, 4)`` xyxy pixels) outlined and captioned."""
    if len(boxes) == 0:
        return image
    return draw_bounding_boxes(image, boxes, labels=list(captions), colors=list(colors), width=_line_width(image))


def overlay_masks(image: Tensor, masks: Tensor, colors: Sequence[tuple[int, int, int]], alpha: float = 0.45) -> Tensor:
    """``image`` with boolean ``masks`` (``(N, H, W)``) blended in, one colour each."""
    if len(masks) == 0:
        return image
    return draw_segmentation_masks(image, masks.bool(), alpha=alpha, colors=list(colors))


def draw_caption(image: Tensor, caption: str, color: tuple[int, int, int]) -> Tensor:
    """``image`` framed in ``color`` with ``caption`` in its top-left corner (whole-image predictions)."""
    height, width = image.shape[-2:]
    frame = torch.tensor([[0, 0, width - 1, height - 1]], dtype=torch.float32)
    return draw_boxes(image, frame, [caption], [color])
