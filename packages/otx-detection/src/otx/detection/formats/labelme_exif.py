"""LabelMe shapes back onto the stored pixels of an EXIF-rotated photo.

labelme shows a photo upright (EXIF orientation applied) and saves its shapes on the upright image,
while OTX reads a dataset's stored pixels as they are. For orientation tags 2 to 8, points and masks
are mapped from the upright image to the stored one.
"""

from collections.abc import Callable

import numpy as np

__all__ = ["to_stored_mask", "to_stored_points"]

_POINT: dict[int, Callable[[float, float, int, int], tuple[float, float]]] = {
    2: lambda x, y, w, h: (w - x, y),
    3: lambda x, y, w, h: (w - x, h - y),
    4: lambda x, y, w, h: (x, h - y),
    5: lambda x, y, w, h: (y, x),
    6: lambda x, y, w, h: (y, h - x),
    7: lambda x, y, w, h: (w - y, h - x),
    8: lambda x, y, w, h: (w - y, x),
}
"""Orientation tag -> a point ``(x, y)`` on the upright image to the stored image of width ``w``, height ``h``."""

_MASK: dict[int, Callable[[np.ndarray], np.ndarray]] = {
    2: lambda m: m[:, ::-1],
    3: lambda m: m[::-1, ::-1],
    4: lambda m: m[::-1],
    5: lambda m: m.T,
    6: lambda m: np.rot90(m, 1),
    7: lambda m: m[::-1, ::-1].T,
    8: lambda m: np.rot90(m, -1),
}
"""Orientation tag -> an upright ``(H, W)`` mask to the stored image's."""


def to_stored_points(points: tuple[float, ...], orientation: int, stored: tuple[int, int]) -> tuple[float, ...]:
    """Flat ``x, y`` pairs on the upright image, on the stored image of ``stored`` ``(height, width)``."""
    move = _POINT.get(orientation)
    if move is None:
        return points
    height, width = stored
    pairs = (move(points[i], points[i + 1], width, height) for i in range(0, len(points), 2))
    return tuple(v for pair in pairs for v in pair)


def to_stored_mask(mask: np.ndarray, orientation: int) -> np.ndarray:
    """A mask of the upright image, as a mask of the stored image."""
    turn = _MASK.get(orientation)
    return mask if turn is None else np.ascontiguousarray(turn(mask))
