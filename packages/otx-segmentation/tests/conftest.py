"""Tiny semantic segmentation datasets that the tests write themselves, one writer per format.

Every image is a noisy dark background with a bright rectangle (class ``object``) whose place
varies; label maps use the format's own encoding.
"""

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

torch.set_num_threads(1)

SIZE = 32


def scene(rng: np.random.Generator, size: int = SIZE) -> tuple[np.ndarray, np.ndarray]:
    """An RGB image and its ``0``/``1`` label map (1: a bright rectangle at a random place)."""
    image = rng.integers(0, 60, (size, size, 3), dtype=np.uint8)
    labels = np.zeros((size, size), dtype=np.uint8)
    top, left = rng.integers(0, size // 2, 2)
    height, width = rng.integers(size // 4, size // 2, 2)
    labels[top : top + height, left : left + width] = 1
    image[labels == 1] = (220, 200, 60)
    return image, labels


def _save(array: np.ndarray, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)


def write_common(root: Path, subsets: tuple[str, ...] = ("train", "val"), per_subset: int = 8, seed: int = 0) -> Path:
    """Common semantic segmentation: ``[<subset>/]{images,masks}/*.png`` and ``dataset_meta.json``.

    ``subsets=()`` writes the flat layout (no subset folders).
    """
    rng = np.random.default_rng(seed)
    meta = json.dumps({"label_map": {"0": "background", "1": "object"}})
    for subset in subsets or ("",):
        folder = root / subset if subset else root
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "dataset_meta.json").write_text(meta)
        for i in range(per_subset):
            image, labels = scene(rng)
            _save(image, folder / "images" / f"{i:03d}.png")
            _save(labels, folder / "masks" / f"{i:03d}.png")
    return root


def write_cityscapes(root: Path, kind: str = "labelTrainIds", seed: int = 0) -> Path:
    """Cityscapes with road (train id 0 / label id 7) and a car (train id 13 / label id 26 / instance 26001)."""
    rng = np.random.default_rng(seed)
    codes = {"labelTrainIds": (0, 13), "labelIds": (7, 26), "instanceIds": (7, 26001)}[kind]
    for subset, count in (("train", 3), ("val", 2)):
        for i in range(count):
            image, labels = scene(rng)
            values = np.where(labels == 1, codes[1], codes[0]).astype(np.uint16 if kind == "instanceIds" else np.uint8)
            name = f"city_{i:06d}_000019"
            _save(image, root / "leftImg8bit" / subset / "city" / f"{name}_leftImg8bit.png")
            _save(values, root / "gtFine" / subset / "city" / f"{name}_gtFine_{kind}.png")
    return root


VOC_PALETTE = [0, 0, 0, 128, 0, 0, 0, 128, 0] + [0] * (252 * 3) + [224, 224, 192]


def write_voc_segmentation(root: Path, seed: int = 0) -> Path:
    """Pascal VOC segmentation: palette PNGs (0 background, 1 aeroplane, 255 void border)."""
    rng = np.random.default_rng(seed)
    lists: dict[str, list[str]] = {"train": [], "val": []}
    for subset, count in (("train", 3), ("val", 2)):
        for i in range(count):
            name = f"2007_{subset}{i:02d}"
            image, labels = scene(rng)
            labels[0, :] = 255  # a void row
            _save(image, root / "JPEGImages" / f"{name}.jpg")
            mask = Image.fromarray(labels)
            mask.putpalette(VOC_PALETTE)
            (root / "SegmentationClass").mkdir(parents=True, exist_ok=True)
            mask.save(root / "SegmentationClass" / f"{name}.png")
            lists[subset].append(name)
    (root / "ImageSets" / "Segmentation").mkdir(parents=True, exist_ok=True)
    for subset, names in lists.items():
        (root / "ImageSets" / "Segmentation" / f"{subset}.txt").write_text("\n".join(names) + "\n")
    return root


def write_voc_with_boxes(root: Path, seed: int = 0) -> Path:
    """Pascal VOC as it comes: the segmentation of :func:`write_voc_segmentation` and, for the same images, boxes
    (``Annotations/*.xml``) listed in ``ImageSets/Main``."""
    write_voc_segmentation(root, seed)
    (root / "Annotations").mkdir()
    (root / "ImageSets" / "Main").mkdir()
    for listing in (root / "ImageSets" / "Segmentation").glob("*.txt"):
        for name in listing.read_text().split():
            rows, cols = np.nonzero(np.asarray(Image.open(root / "SegmentationClass" / f"{name}.png")) == 1)
            corners = (cols.min(), rows.min(), cols.max(), rows.max())
            box = "".join(f"<{k}>{v}</{k}>" for k, v in zip(("xmin", "ymin", "xmax", "ymax"), corners, strict=True))
            (root / "Annotations" / f"{name}.xml").write_text(
                f"<annotation><filename>{name}.jpg</filename><size><width>{SIZE}</width><height>{SIZE}</height>"
                f"<depth>3</depth></size><object><name>aeroplane</name><bndbox>{box}</bndbox></object></annotation>"
            )
        (root / "ImageSets" / "Main" / listing.name).write_text(listing.read_text())
    return root


def write_datumaro(root: Path, seed: int = 0) -> Path:
    """Datumaro JSON (``annotations/default.json``) with a mask per class of each image and no box."""
    import datumaro as dm
    from datumaro.components.annotation import Mask
    from datumaro.components.media import Image as DmImage

    rng = np.random.default_rng(seed)
    items = []
    for i in range(5):
        image, labels = scene(rng)
        masks = [Mask(labels == value, label=value) for value in (0, 1)]
        media = DmImage.from_numpy(image[..., ::-1].copy())  # Datumaro arrays are BGR
        items.append(dm.DatasetItem(id=f"{i:03d}", media=media, annotations=masks))
    dm.Dataset.from_iterable(items, categories=["background", "object"]).export(str(root), "datumaro", save_media=True)
    return root


def write_camvid(root: Path, seed: int = 0) -> Path:
    """CamVid: ``label_colors.txt`` and index PNGs listed in ``<subset>.txt``."""
    rng = np.random.default_rng(seed)
    (root).mkdir(parents=True, exist_ok=True)
    (root / "label_colors.txt").write_text("0 0 0 Void\n128 128 128 Sky\n128 0 0 Building\n")
    for subset, count in (("train", 3), ("val", 2)):
        lines = []
        for i in range(count):
            image, labels = scene(rng)
            labels = labels * 2  # Void 0, Building 2; Sky is never used
            _save(image, root / subset / f"{i:03d}.png")
            _save(labels, root / f"{subset}annot" / f"{i:03d}.png")
            lines.append(f"/{subset}/{i:03d}.png /{subset}annot/{i:03d}.png")
        (root / f"{subset}.txt").write_text("\n".join(lines) + "\n")
    return root


def write_ade20k2017(root: Path, seed: int = 0) -> Path:
    """ADE20K 2017: ``<name>_seg.png`` (instance id in blue) and ``<name>_atr.txt`` naming each instance."""
    rng = np.random.default_rng(seed)
    for subset, count in (("training", 3), ("validation", 2)):
        for i in range(count):
            image, labels = scene(rng)
            seg = np.zeros((*labels.shape, 3), dtype=np.uint8)
            seg[..., 2] = np.where(labels == 1, 20, 10)  # instance 1: ground, instance 2: box
            seg[0, 0, 2] = 0  # instance 0 (the smallest value): in no annotation, so ignored
            folder = root / subset / "s" / "street"  # ADE20K nests scenes under their initial letter
            _save(image, folder / f"{i:03d}.jpg")
            _save(seg, folder / f"{i:03d}_seg.png")
            attributes = '001 # 0 # 0 # ground # ground # ""\n002 # 0 # 0 # box # box # ""\n'
            (folder / f"{i:03d}_atr.txt").write_text(attributes)
    return root


def write_ade20k2020(root: Path, seed: int = 0) -> Path:
    """ADE20K 2020: ``<name>.json`` objects, ``<name>_seg.png`` (class index in R/10 and G), instance masks."""
    rng = np.random.default_rng(seed)
    for subset, count in (("training", 3), ("validation", 2)):
        folder = root / subset / "street"
        for i in range(count):
            image, labels = scene(rng)
            seg = np.zeros((*labels.shape, 3), dtype=np.uint8)
            seg[..., 1] = labels + 1  # class index 1: ground, 2: box
            _save(image, folder / f"{i}.jpg")
            _save(seg, folder / f"{i}_seg.png")
            objects = []
            for instance, (name, region) in enumerate((("ground", labels == 0), ("box", labels == 1))):
                mask_name = f"{i}/instance_{instance:03d}_ADE_{subset}_{i}.png"
                _save(region.astype(np.uint8) * 255, folder / mask_name)
                objects.append(
                    {
                        "id": instance,
                        "name": name,
                        "name_ndx": instance + 1,
                        "raw_name": name,
                        "attributes": [],
                        "occluded": "no",
                        "crop": 0,
                        "parts": {"part_level": 0},
                        "instance_mask": mask_name,
                        "polygon": {"x": [], "y": []},
                    }
                )
            (folder / f"{i}.json").write_text(json.dumps({"annotation": {"filename": f"{i}.jpg", "object": objects}}))
    return root


@pytest.fixture(scope="session")
def common_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A shared, read-only common semantic segmentation dataset with train/val folders (8 images each)."""
    return write_common(tmp_path_factory.mktemp("data") / "common")


@pytest.fixture
def writers() -> dict[str, Callable[..., Path]]:
    """The dataset writers by format family."""
    return {
        "common": write_common,
        "cityscapes": write_cityscapes,
        "voc": write_voc_segmentation,
        "voc with boxes": write_voc_with_boxes,
        "datumaro": write_datumaro,
        "camvid": write_camvid,
        "ade20k2017": write_ade20k2017,
        "ade20k2020": write_ade20k2020,
    }
