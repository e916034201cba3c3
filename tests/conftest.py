"""Fixtures of the cross-package tests: a tiny, learnable class-folder dataset.

The CLI runner and the small-run overrides come from the root ``conftest.py``.
"""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

torch.set_num_threads(1)

CLASSES = ("circle", "square")


def shape_image(kind: str, rng: np.random.Generator, size: int = 32) -> Image.Image:
    """A red disc or a blue square at a random place on a dark noisy background."""
    image = Image.fromarray(rng.integers(0, 80, (size, size, 3), dtype=np.uint8))
    centre = rng.integers(size // 3, 2 * size // 3, 2)
    radius = int(rng.integers(size // 5, size // 3))
    box = [int(centre[0]) - radius, int(centre[1]) - radius, int(centre[0]) + radius, int(centre[1]) + radius]
    draw = ImageDraw.Draw(image)
    if kind == "circle":
        draw.ellipse(box, fill=(230, 40, 40))
    else:
        draw.rectangle(box, fill=(40, 40, 230))
    return image


def make_shapes(root: Path, per_class: int = 12, classes: tuple[str, ...] = CLASSES, seed: int = 0) -> Path:
    """``root/<class>/*.png``: ``per_class`` 32x32 images of each class."""
    rng = np.random.default_rng(seed)
    for kind in classes:
        (root / kind).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            shape_image(kind if kind in CLASSES else CLASSES[i % 2], rng).save(root / kind / f"{kind}_{i:02d}.png")
    return root


@pytest.fixture(scope="session")
def shapes_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A shared, read-only flat class-folder dataset (12 images per class)."""
    return make_shapes(tmp_path_factory.mktemp("data") / "shapes")


@pytest.fixture
def shapes_maker() -> Callable[..., Path]:
    return make_shapes


@pytest.fixture(scope="session")
def classes() -> tuple[str, ...]:
    """The class names of the shapes datasets, in label order."""
    return CLASSES
