"""Shared fixtures of the otx-core unit tests: tiny images written to ``tmp_path``."""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

torch.set_num_threads(1)


def write_image(path: Path, size: tuple[int, int] = (32, 32), mode: str = "RGB", value: int = 128) -> Path:
    """Write a ``size`` = (width, height) image in ``mode``; the format follows the suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = size
    rgb = np.full((height, width, 3), value, dtype=np.uint8)
    rgb[: height // 2, :, 0] = 255 - value  # not flat, so that a channel mix-up shows
    image = Image.fromarray(rgb)
    if mode != "RGB":
        image = image.convert(mode)
    image.save(path)
    return path


@pytest.fixture
def image_writer() -> Callable[..., Path]:
    return write_image


@pytest.fixture
def class_folders(tmp_path: Path) -> Path:
    """``root/<class>/*.png``: two classes of four 32x32 images each."""
    root = tmp_path / "flat"
    for name in ("cat", "dog"):
        for i in range(4):
            write_image(root / name / f"{i}.png", value=40 + 20 * i)
    return root
