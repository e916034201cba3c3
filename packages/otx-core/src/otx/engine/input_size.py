"""The input size from the data: image sizes (headers of a sample) and, for detection, object sizes.

Auto-configuration trains small images at a small size rather than upscaling them to the recipe's:
the median image size of a seeded sample of training images, rounded up to what the model takes
(:class:`~otx.core.config.recipe.InputSizeRange`), and never above the recipe's ``data.input_size``.
For detection, the size also keeps small objects (the 10th percentile of their shorter sides) at
``min_object`` pixels or more.
"""

import math
import random
import statistics
from typing import Any

from attrs import frozen
from PIL import Image, UnidentifiedImageError

from otx.core.config.recipe import InputSizeRange, RunConfig
from otx.core.data.sample import Sample

__all__ = ["SAMPLE_SIZE", "SizeChoice", "choose_input_size", "image_size"]

SAMPLE_SIZE = 200
"""Training images whose headers are read."""

_EXIF_ORIENTATION = 0x0112
_TRANSPOSED = {5, 6, 7, 8}
"""EXIF orientations that swap width and height."""


@frozen
class SizeChoice:
    """An input size ``(height, width)`` and why, in words."""

    size: tuple[int, int]
    reason: str


def image_size(sample: Sample) -> tuple[int, int] | None:
    """``(height, width)`` of a sample's image (EXIF rotation applied) from its header; ``None`` if unreadable."""
    if sample.array is not None:
        return int(sample.array.shape[0]), int(sample.array.shape[1])
    if sample.path is None:
        return None
    try:
        with Image.open(sample.path) as image:
            width, height = image.size
            transposed = image.getexif().get(_EXIF_ORIENTATION) in _TRANSPOSED
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError):
        return None
    return (width, height) if transposed else (height, width)


def _fit(side: float, rule: InputSizeRange) -> int:
    return max(rule.min, math.ceil(side / rule.multiple) * rule.multiple)


def choose_input_size(samples: list[Sample], adapter: Any, config: RunConfig) -> SizeChoice:
    """The input size for ``config``'s model on ``samples`` (training images), by the rule above."""
    recipe = config.data.input_size
    picked = random.Random(config.seed).sample(samples, min(SAMPLE_SIZE, len(samples)))
    measured = [(s, size) for s in picked if (size := image_size(s)) is not None]
    recipe_text = f"{recipe[0]}x{recipe[1]}"
    if not measured:
        return SizeChoice(recipe, "the recipe's: no image size could be read")
    height = statistics.median(size[0] for _, size in measured)
    width = statistics.median(size[1] for _, size in measured)
    rule = config.model.input_sizes
    images = f"images {height:g}x{width:g}, median of {len(measured)}"
    scale, objects = 1.0, ""
    sides = sorted(side for sample, _ in measured for side in adapter.object_sides(sample.target))
    if rule.min_object > 0 and sides:
        small = sides[len(sides) // 10]
        scale = max(1.0, rule.min_object / max(small, 1e-6))
        objects = f", small objects {small:.0f} px (kept >= {rule.min_object} px)"
    size = (_fit(height * scale, rule), _fit(width * scale, rule))
    if size[0] > recipe[0] or size[1] > recipe[1] or size == recipe:
        return SizeChoice(recipe, f"the recipe's; {images}{objects}")
    limits = f"the model takes sides >= {rule.min}, multiples of {rule.multiple}"
    return SizeChoice(size, f"from the data: {images}{objects}; {limits}; recipe {recipe_text}")
