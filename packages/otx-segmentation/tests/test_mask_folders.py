"""Image/mask folder pairs are semantic segmentation, never class folders, in each of their layouts."""

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from otx.core.config.recipe import DataConfig
from otx.core.data.formats import candidate_formats
from otx.core.data.module import OTXDataModule
from otx.core.errors import DataError
from otx.engine import Engine
from otx.engine.autoconfig import auto_configure
from otx.segmentation.data import SemanticSegAdapter
from otx.segmentation.entities import IGNORE_INDEX

MEMBRANE = Path(__file__).parents[3] / ".." / "shared" / "datasets" / "membrane"


def _scene(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    image = rng.integers(0, 60, (32, 32, 3), dtype=np.uint8)
    labels = np.zeros((32, 32), dtype=np.uint8)
    top, left = rng.integers(0, 16, 2)
    labels[top : top + 12, left : left + 12] = 1
    image[labels == 1] = (220, 200, 60)
    return image, labels


def write_pairs(
    root: Path,
    folders: tuple[str, str] = ("image", "label"),
    subsets: tuple[str, ...] = (),
    subset_first: bool = True,
    mask: str = "grey",
    count: int = 4,
    mask_suffix: str = "",
) -> Path:
    """``root/[<subset>/]<images>/N.png`` + ``<masks>/N.png`` (or ``<images>/<subset>/``); masks 0/255, or palette."""
    rng = np.random.default_rng(0)
    for subset in subsets or ("",):
        for i in range(count):
            image, labels = _scene(rng)
            places = [root / subset / f if subset_first else root / f / subset for f in folders]
            for place in places:
                place.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image).save(places[0] / f"{i:03d}.jpg")
            if mask == "palette":
                indexed = Image.fromarray(labels, mode="L").convert("P")
                indexed.putpalette([0, 0, 0, 200, 0, 0] + [0] * 762)
                indexed.save(places[1] / f"{i:03d}{mask_suffix}.png")
            else:
                Image.fromarray(labels * 255).save(places[1] / f"{i:03d}{mask_suffix}.png")
    return root


LAYOUTS = {
    "image+label": {"folders": ("image", "label")},
    "images+masks": {"folders": ("images", "masks")},
    "train/image+label (membrane)": {"subsets": ("train",)},
    "train,val/images+masks": {"folders": ("images", "masks"), "subsets": ("train", "val")},
    "images,masks/train,val": {"folders": ("images", "masks"), "subsets": ("train", "val"), "subset_first": False},
    "Images+Masks, _mask suffix": {"folders": ("Images", "Masks"), "mask_suffix": "_mask"},
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_each_layout_is_detected_as_semantic_segmentation(tmp_path: Path, layout: str) -> None:
    root = write_pairs(tmp_path / "data", **LAYOUTS[layout])
    (root / "README.txt").write_text("masks: 255 = object")
    assert candidate_formats(root)[0] == "mask_folders"
    config, choices = auto_configure(root)
    assert (config.task, config.data_format) == ("SEMANTIC_SEGMENTATION", "mask_folders")
    if "subset_first" not in LAYOUTS[layout]:  # the trees that class folders also read
        assert "--task MULTI_CLASS_CLS" in choices[0]
        assert "most specific reading" in choices[0]


def test_grey_masks_give_one_class_per_value(tmp_path: Path) -> None:
    root = write_pairs(tmp_path / "data", subsets=("train", "val"))
    datamodule = OTXDataModule(SemanticSegAdapter(), root, "mask_folders", DataConfig(num_workers=0))
    assert datamodule.label_info.label_names == ("class_0", "class_255")
    assert {len(datamodule.subsets[s]) for s in ("train", "val")} == {4}
    for sample in datamodule.subsets["train"]:
        expected = np.asarray(Image.open(str(sample.path).replace("image", "label").replace(".jpg", ".png"))) // 255
        np.testing.assert_array_equal(sample.target.decode().numpy(), expected)


def test_palette_masks_give_one_class_per_index_and_ignore_255(tmp_path: Path) -> None:
    root = write_pairs(tmp_path / "data", ("images", "masks"), mask="palette")
    first = root / "masks" / "000.png"
    pixels = np.asarray(Image.open(first)).copy()
    pixels[0, :] = 255
    void = Image.fromarray(pixels, mode="P")
    void.putpalette(Image.open(first).getpalette() or [])
    void.save(first)
    datamodule = OTXDataModule(SemanticSegAdapter(), root, "mask_folders", DataConfig(num_workers=0))
    assert datamodule.label_info.label_names == ("class_0", "class_1")
    maps = {Path(s.path or "").stem: s.target.decode().numpy() for s in datamodule.subsets.values() for s in s}
    assert (maps["000"][0] == IGNORE_INDEX).all()
    assert set(np.unique(maps["000"][1:]).tolist()) <= {0, 1}


def test_the_other_task_stays_a_choice(tmp_path: Path) -> None:
    root = write_pairs(tmp_path / "data", subsets=("train",))
    config, _ = auto_configure(root, task="MULTI_CLASS_CLS")
    assert config.data_format == "image_folders_with_subsets"


def test_a_folder_of_json_annotations_is_no_mask_folder(tmp_path: Path) -> None:
    root = write_pairs(tmp_path / "data", ("images", "annotations"))
    for mask in (root / "annotations").iterdir():
        mask.unlink()
    (root / "annotations" / "instances.json").write_text("{}")
    assert "mask_folders" not in candidate_formats(root)


def test_lossy_masks_are_refused_naming_the_file(tmp_path: Path) -> None:
    root = write_pairs(tmp_path / "data", count=2)
    Image.open(root / "label" / "000.png").convert("L").save(root / "label" / "000.jpg")
    (root / "label" / "000.png").unlink()
    with pytest.raises(DataError, match=r"000\.jpg is a lossy \.jpg file; save masks as PNG"):
        OTXDataModule(SemanticSegAdapter(), root, "mask_folders", DataConfig(num_workers=0))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_image_and_label_folders_train_semantic_segmentation_from_the_folder_alone(
    tmp_path: Path, small: dict[str, Any], layout: str
) -> None:
    root = write_pairs(tmp_path / "data", **{**LAYOUTS[layout], "count": 6})
    (root / ".DS_Store").write_bytes(b"\x00")
    engine = Engine(data_root=root, work_dir=tmp_path / "ws", overrides=small)
    metrics = engine.train(max_epochs=1)
    assert "val/mIoU" in metrics or "val/miou" in {k.lower() for k in metrics}
    assert engine.last_plan is not None
    assert engine.last_plan.config.task == "SEMANTIC_SEGMENTATION"


@pytest.mark.skipif(not MEMBRANE.is_dir(), reason="../shared/datasets/membrane is absent")
def test_the_membrane_folder_is_semantic_segmentation() -> None:
    config, choices = auto_configure(MEMBRANE)
    assert (config.task, config.data_format) == ("SEMANTIC_SEGMENTATION", "mask_folders")
    assert "--task MULTI_CLASS_CLS" in choices[0]
