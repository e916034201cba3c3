"""Small datasets the docs' snippets train on: real digits, and drawn scenes for detection and segmentation.

- ``digits``: scikit-learn's handwritten digits as class folders (``tools/make_digits_dataset.py``),
  the images whose number is a multiple of 4 (449 of 1,797), so that an epoch takes seconds;
- ``cells``: Pascal VOC detection (``Annotations/``, ``JPEGImages/``), discs and squares on a noisy
  background, 24 images of 96x128;
- ``masks``: image/mask folder pairs (``images/``, ``masks/``), a bright disc on noise, grey masks 0/255,
  16 images of 64x64;
- ``shapes_coco``: COCO instances with polygons (``annotations/instances_train.json``, ``images/train/``),
  16 images of 96x128, for instance segmentation.
"""

import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from make_digits_dataset import write_digits

CLASSES = ("disc", "square")


def write_tiny_datasets(root: Path, seed: int = 0) -> Path:
    """Write every dataset under ``root`` (created); return ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    write_digits(root / "digits", size=32, val_fraction=0.2, seed=seed)
    for image in (root / "digits").glob("*/*/*.png"):
        if int(image.stem) % 4:
            image.unlink()
    write_voc(root / "cells", count=24, seed=seed)
    write_masks(root / "masks", count=16, seed=seed)
    write_coco(root / "shapes_coco", count=16, seed=seed)
    return root


def _scene(rng: np.random.Generator, size: tuple[int, int]) -> tuple[Image.Image, list[tuple[str, list[int]]]]:
    """A noisy background with two to four discs and squares; their classes and boxes ``[x1, y1, x2, y2]``."""
    height, width = size
    pixels = rng.integers(60, 120, (height, width, 3), dtype=np.uint8)
    image = Image.fromarray(pixels)
    draw = ImageDraw.Draw(image)
    things = []
    for _ in range(int(rng.integers(2, 5))):
        side = int(rng.integers(14, 28))
        x, y = int(rng.integers(0, width - side)), int(rng.integers(0, height - side))
        kind = CLASSES[int(rng.integers(0, 2))]
        box = [x, y, x + side, y + side]
        (draw.ellipse if kind == "disc" else draw.rectangle)(
            box, fill=(230, 60, 60) if kind == "disc" else (60, 200, 230)
        )
        things.append((kind, box))
    return image, things


def write_voc(root: Path, count: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    (root / "Annotations").mkdir(parents=True)
    (root / "JPEGImages").mkdir()
    for index in range(count):
        image, things = _scene(rng, (96, 128))
        name = f"{index:04d}"
        image.save(root / "JPEGImages" / f"{name}.jpg", quality=95)
        objects = "".join(
            f"<object><name>{kind}</name><bndbox><xmin>{x1}</xmin><ymin>{y1}</ymin>"
            f"<xmax>{x2}</xmax><ymax>{y2}</ymax></bndbox></object>"
            for kind, (x1, y1, x2, y2) in things
        )
        xml = (
            f"<annotation><filename>{name}.jpg</filename><size><width>128</width><height>96</height>"
            f"<depth>3</depth></size>{objects}</annotation>"
        )
        (root / "Annotations" / f"{name}.xml").write_text(xml, encoding="utf-8")


def write_masks(root: Path, count: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    (root / "images").mkdir(parents=True)
    (root / "masks").mkdir()
    for index in range(count):
        pixels = rng.integers(0, 100, (64, 64), dtype=np.uint8)
        mask = np.zeros((64, 64), dtype=np.uint8)
        cy, cx = (int(v) for v in rng.integers(16, 48, 2))
        radius = int(rng.integers(8, 16))
        yy, xx = np.ogrid[:64, :64]
        inside = (yy - cy) ** 2 + (xx - cx) ** 2 <= radius**2
        pixels[inside] = 200
        mask[inside] = 255
        Image.fromarray(np.stack([pixels] * 3, axis=-1)).save(root / "images" / f"{index:04d}.png")
        Image.fromarray(mask).save(root / "masks" / f"{index:04d}.png")


def write_coco(root: Path, count: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    (root / "annotations").mkdir(parents=True)
    (root / "images" / "train").mkdir(parents=True)
    images, annotations = [], []
    for index in range(count):
        image, things = _scene(rng, (96, 128))
        name = f"{index:04d}.jpg"
        image.save(root / "images" / "train" / name, quality=95)
        images.append({"id": index + 1, "file_name": name, "width": 128, "height": 96})
        for kind, (x1, y1, x2, y2) in things:
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": index + 1,
                    "category_id": CLASSES.index(kind) + 1,
                    "bbox": [x1, y1, x2 - x1, y2 - y1],
                    "area": (x2 - x1) * (y2 - y1),
                    "segmentation": [[x1, y1, x2, y1, x2, y2, x1, y2]],
                    "iscrowd": 0,
                }
            )
    categories = [{"id": i + 1, "name": name} for i, name in enumerate(CLASSES)]
    document = {"images": images, "annotations": annotations, "categories": categories}
    (root / "annotations" / "instances_train.json").write_text(json.dumps(document), encoding="utf-8")
