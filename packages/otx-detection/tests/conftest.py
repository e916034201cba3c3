"""Tiny detection datasets that the tests write themselves: COCO (polygons and RLE), Pascal VOC, YOLO and Datumaro."""

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest
import torch
from attrs import frozen
from PIL import Image, ImageDraw

torch.set_num_threads(1)

NAMES = ("disc", "block")
COLOURS = {"disc": (230, 40, 40), "block": (40, 40, 230)}


@frozen
class Thing:
    """One object drawn into an image: its class and its box (x1, y1, x2, y2) in pixels."""

    name: str
    box: tuple[int, int, int, int]


def scene(seed: int, size: tuple[int, int] = (64, 48)) -> tuple[Image.Image, list[Thing]]:
    """A noisy image (``size`` = width, height) with one disc and one block at random places."""
    rng = np.random.default_rng(seed)
    width, height = size
    image = Image.fromarray(rng.integers(0, 60, (height, width, 3), dtype=np.uint8))
    draw = ImageDraw.Draw(image)
    things = []
    for i, name in enumerate(NAMES):
        side = int(rng.integers(12, 18))
        x = int(rng.integers(2, width // 2 - side)) + i * width // 2
        y = int(rng.integers(2, height - side - 2))
        box = (x, y, x + side, y + side)
        (draw.ellipse if name == "disc" else draw.rectangle)(box, fill=COLOURS[name])
        things.append(Thing(name, box))
    return image, things


def _polygon(box: tuple[int, int, int, int]) -> list[float]:
    x1, y1, x2, y2 = box
    return [float(v) for v in (x1, y1, x2, y1, x2, y2, x1, y2)]


def _rle(box: tuple[int, int, int, int], size: tuple[int, int]) -> dict[str, object]:
    """Uncompressed COCO RLE (column-major runs) of a filled box on an image of ``size`` (width, height)."""
    width, height = size
    mask = np.zeros((height, width), dtype=np.uint8)
    x1, y1, x2, y2 = box
    mask[y1:y2, x1:x2] = 1
    flat = mask.flatten(order="F")
    changes = np.flatnonzero(np.diff(np.concatenate([[0], flat, [1 - flat[-1]]])))
    counts = np.diff(np.concatenate([[0], changes])).tolist()
    return {"counts": counts, "size": [height, width]}


def write_coco(
    root: Path,
    subsets: dict[str, int],
    *,
    rle: bool = False,
    extra: Callable[[dict[str, object]], None] | None = None,
    size: tuple[int, int] = (64, 48),
) -> Path:
    """``root/annotations/instances_<subset>.json`` + ``root/images/<subset>/*.png``; polygons or RLE masks."""
    (root / "annotations").mkdir(parents=True, exist_ok=True)
    seed = 0
    for subset, count in subsets.items():
        (root / "images" / subset).mkdir(parents=True, exist_ok=True)
        images, annotations = [], []
        for i in range(count):
            image, things = scene(seed, size)
            seed += 1
            name = f"{subset}_{i:03d}.png"
            image.save(root / "images" / subset / name)
            images.append({"id": i + 1, "file_name": name, "width": size[0], "height": size[1]})
            for thing in things:
                x1, y1, x2, y2 = thing.box
                annotations.append(
                    {
                        "id": len(annotations) + 1,
                        "image_id": i + 1,
                        "category_id": NAMES.index(thing.name) + 1,
                        "bbox": [x1, y1, x2 - x1, y2 - y1],
                        "area": (x2 - x1) * (y2 - y1),
                        "iscrowd": 1 if rle else 0,
                        "segmentation": _rle(thing.box, size) if rle else [_polygon(thing.box)],
                    }
                )
        data: dict[str, object] = {
            "images": images,
            "annotations": annotations,
            "categories": [{"id": i + 1, "name": n, "supercategory": ""} for i, n in enumerate(NAMES)],
        }
        if extra is not None:
            extra(data)
        (root / "annotations" / f"instances_{subset}.json").write_text(json.dumps(data))
    return root


def write_voc(
    root: Path, subsets: dict[str, int], objects: Callable[[int, list[Thing]], Sequence[str]] | None = None
) -> Path:
    """``Annotations/*.xml``, ``JPEGImages/*.jpg`` and ``ImageSets/Main/<subset>.txt``."""
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    seed = 0
    for subset, count in subsets.items():
        ids = []
        for _ in range(count):
            image, things = scene(seed)
            item = f"img_{seed:03d}"
            image.save(root / "JPEGImages" / f"{item}.jpg", quality=95)
            xml_objects = objects(seed, things) if objects else [_voc_object(t.name, t.box) for t in things]
            (root / "Annotations" / f"{item}.xml").write_text(
                f"<annotation><filename>{item}.jpg</filename><size><width>64</width><height>48</height>"
                f"<depth>3</depth></size>{''.join(xml_objects)}</annotation>"
            )
            ids.append(item)
            seed += 1
        (root / "ImageSets" / "Main" / f"{subset}.txt").write_text("\n".join(ids) + "\n")
    return root


def _voc_object(name: str, box: Sequence[float]) -> str:
    x1, y1, x2, y2 = box
    return (
        f"<object><name>{name}</name><difficult>0</difficult><bndbox><xmin>{x1}</xmin><ymin>{y1}</ymin>"
        f"<xmax>{x2}</xmax><ymax>{y2}</ymax></bndbox></object>"
    )


def write_yolo(root: Path, count: int) -> Path:
    """Darknet YOLO: ``obj.data``, ``obj.names``, ``train.txt`` and ``obj_train_data/*.jpg|txt``."""
    (root / "obj_train_data").mkdir(parents=True, exist_ok=True)
    (root / "obj.names").write_text("\n".join(NAMES) + "\n")
    (root / "obj.data").write_text(f"classes = {len(NAMES)}\ntrain = data/train.txt\nnames = data/obj.names\n")
    listing = []
    for seed in range(count):
        image, things = scene(seed)
        image.save(root / "obj_train_data" / f"{seed}.jpg", quality=95)
        lines = []
        for thing in things:
            x1, y1, x2, y2 = thing.box
            lines.append(
                f"{NAMES.index(thing.name)} {(x1 + x2) / 128} {(y1 + y2) / 96} {(x2 - x1) / 64} {(y2 - y1) / 48}"
            )
        (root / "obj_train_data" / f"{seed}.txt").write_text("\n".join(lines) + "\n")
        listing.append(f"data/obj_train_data/{seed}.jpg")
    (root / "train.txt").write_text("\n".join(listing) + "\n")
    return root


def write_datumaro(root: Path, count: int, *, polygons: bool = False, labels: bool = False) -> Path:
    """Datumaro JSON (``annotations/default.json``, ``images/default/*``) as ``datum convert -f datumaro`` writes it.

    Each image has a box per object (grouped with a polygon of it where ``polygons``); with ``labels``, an
    image-level label of its first object instead of any box.
    """
    import datumaro as dm
    from datumaro.components.annotation import Annotation, Bbox, Label, Polygon
    from datumaro.components.media import Image as DmImage

    items = []
    for seed in range(count):
        image, things = scene(seed)
        annotations: list[Annotation] = []
        for group, thing in enumerate(things, start=1):
            label = NAMES.index(thing.name)
            x1, y1, x2, y2 = thing.box
            if not labels:
                annotations.append(Bbox(x1, y1, x2 - x1, y2 - y1, label=label, group=group))
            if polygons:
                annotations.append(Polygon(_polygon(thing.box), label=label, group=group))
        if labels:
            annotations.append(Label(NAMES.index(things[0].name)))
        bgr = np.asarray(image)[..., ::-1].copy()  # Datumaro arrays are BGR
        items.append(dm.DatasetItem(id=f"img_{seed:03d}", media=DmImage.from_numpy(bgr), annotations=annotations))
    dm.Dataset.from_iterable(items, categories=list(NAMES)).export(str(root), "datumaro", save_media=True)
    return root


class Writers:
    """The dataset writers and scene helpers of this folder, as a fixture (test modules can't import conftest)."""

    names = NAMES
    thing = Thing
    scene = staticmethod(scene)
    coco = staticmethod(write_coco)
    voc = staticmethod(write_voc)
    yolo = staticmethod(write_yolo)
    datumaro = staticmethod(write_datumaro)
    voc_object = staticmethod(_voc_object)


@pytest.fixture(scope="session")
def make() -> Writers:
    return Writers()


@pytest.fixture
def trained_format(tmp_path: Path, small: dict[str, object]) -> Callable[[Path], str]:
    """Train detection one epoch on a folder, from the folder alone; check it validated, return the format used."""

    def train(root: Path) -> str:
        from otx.engine import Engine

        engine = Engine(data_root=root, work_dir=tmp_path / "ws", overrides=small)
        assert "val/map_50" in engine.train(max_epochs=1)
        assert engine.last_plan is not None
        return engine.last_plan.config.data_format

    return train
