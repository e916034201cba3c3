"""Each supported format, written by the test itself, is detected as semantic segmentation and loses no class."""

from collections import Counter
from collections.abc import Callable
from pathlib import Path

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


def _import(root: Path, data_format: str) -> OTXDataModule:
    return OTXDataModule(SemanticSegAdapter(), root, data_format, DataConfig(input_size=(32, 32), num_workers=0))


def _pixel_counts(datamodule: OTXDataModule, subset: str = "train") -> Counter[int]:
    counts: Counter[int] = Counter()
    for sample in datamodule.subsets[subset]:
        values, numbers = np.unique(sample.target.decode().numpy(), return_counts=True)
        counts.update(dict(zip(values.tolist(), numbers.tolist(), strict=True)))
    return counts


@pytest.mark.parametrize(
    ("subsets", "expected_format"),
    [
        (("train", "val"), "common_semantic_segmentation_with_subset_dirs"),
        ((), "common_semantic_segmentation"),
    ],
)
def test_common_semantic_segmentation_with_and_without_subset_folders(
    tmp_path: Path, writers: dict[str, Callable[..., Path]], subsets: tuple[str, ...], expected_format: str
) -> None:
    root = writers["common"](tmp_path / "common", subsets=subsets)
    config, _ = auto_configure(root)
    assert (config.task, config.data_format) == ("SEMANTIC_SEGMENTATION", expected_format)
    datamodule = _import(root, expected_format)
    assert datamodule.label_info.label_names == ("background", "object")
    assert set(_pixel_counts(datamodule)) == {0, 1}
    assert len(datamodule.subsets["train"]) + len(datamodule.subsets["val"]) == (16 if subsets else 8)


def test_common_format_reads_masks_by_value_and_names_a_mask_of_the_wrong_size(
    tmp_path: Path, writers: dict[str, Callable[..., Path]]
) -> None:
    root = writers["common"](tmp_path / "common", subsets=("train", "val"), per_subset=2)
    expected = np.asarray(Image.open(root / "train" / "masks" / "000.png"))
    datamodule = _import(root, "common_semantic_segmentation_with_subset_dirs")
    stored = {Path(s.path or "").name: s.target.decode().numpy() for s in datamodule.subsets["train"]}
    np.testing.assert_array_equal(stored["000.png"], expected)
    Image.fromarray(np.zeros((16, 16), dtype=np.uint8)).save(root / "val" / "masks" / "001.png")
    with pytest.raises(DataError, match=r"'001'.*mask is 16x16 pixels but the image is 32x32"):
        _import(root, "common_semantic_segmentation_with_subset_dirs")


@pytest.mark.parametrize("kind", ["labelTrainIds", "labelIds", "instanceIds"])
def test_cityscapes_keeps_train_id_0_and_instance_encoded_pixels(
    tmp_path: Path, writers: dict[str, Callable[..., Path]], kind: str
) -> None:
    root = writers["cityscapes"](tmp_path / "cityscapes", kind=kind)
    assert candidate_formats(root)[0] == "cityscapes"
    config, _ = auto_configure(root)
    assert (config.task, config.data_format) == ("SEMANTIC_SEGMENTATION", "cityscapes")
    datamodule = _import(root, "cityscapes")
    names = datamodule.label_info.label_names
    assert len(names) == 19
    road, car = names.index("road"), names.index("car")
    counts = _pixel_counts(datamodule)
    assert set(counts) == {road, car}  # nothing dropped, nothing shifted, nothing ignored
    assert counts[road] > 0 and counts[car] > 0
    assert len(datamodule.subsets["val"]) == 2


def test_cityscapes_label_colors_name_the_pixel_values(tmp_path: Path, writers: dict[str, Callable[..., Path]]) -> None:
    root = writers["cityscapes"](tmp_path / "cityscapes", kind="labelIds")
    colors = [f"{i} {i} {i} class{i}" for i in range(7)] + ["128 64 128 road"] + [f"9 9 {i} x{i}" for i in range(8, 27)]
    (root / "label_colors.txt").write_text("\n".join(colors) + "\n")
    datamodule = _import(root, "cityscapes")
    names = datamodule.label_info.label_names
    assert names[7] == "road" and names[26] == "x26"
    assert set(_pixel_counts(datamodule)) == {7, 26}


def test_pascal_voc_segmentation_keeps_void_as_ignored(tmp_path: Path, writers: dict[str, Callable[..., Path]]) -> None:
    root = writers["voc"](tmp_path / "voc")
    config, _ = auto_configure(root)
    assert (config.task, config.data_format) == ("SEMANTIC_SEGMENTATION", "voc_segmentation")
    datamodule = _import(root, "voc_segmentation")
    names = datamodule.label_info.label_names
    counts = _pixel_counts(datamodule)
    assert {names.index("background"), names.index("aeroplane")} <= set(counts)
    assert counts[IGNORE_INDEX] == 3 * 32  # the void row of each training image


def test_pascal_voc_with_boxes_is_detection_and_segmentation_with_the_flag(
    tmp_path: Path, writers: dict[str, Callable[..., Path]]
) -> None:
    """VOC as downloaded holds ``ImageSets/Main`` and ``ImageSets/Segmentation``: boxes win, the plan names the flag."""
    root = writers["voc with boxes"](tmp_path / "voc")
    config, choices = auto_configure(root)
    assert (config.task, config.data_format) == ("DETECTION", "voc_detection")
    assert "it also reads as SEMANTIC_SEGMENTATION (Pascal VOC segmentation" in choices[0]
    assert "with --task SEMANTIC_SEGMENTATION" in choices[0]
    plan = Engine(data_root=root, task="SEMANTIC_SEGMENTATION", work_dir=tmp_path / "ws").plan()
    assert (plan.config.task, plan.config.data_format) == ("SEMANTIC_SEGMENTATION", "voc_segmentation")
    assert plan.choices[0] == "task:   SEMANTIC_SEGMENTATION (given)"
    assert plan.config.label_names is not None and plan.config.label_names[:2] == ("background", "aeroplane")
    counts = _pixel_counts(_import(root, "voc_segmentation"))
    assert counts[IGNORE_INDEX] == 3 * 32  # read as masks: the void row of each training image is ignored


def test_datumaro_masks_are_semantic_segmentation(tmp_path: Path, writers: dict[str, Callable[..., Path]]) -> None:
    root = writers["datumaro"](tmp_path / "datumaro")
    config, choices = auto_configure(root)
    assert (config.task, config.data_format) == ("SEMANTIC_SEGMENTATION", "datumaro")
    assert "derived from the annotations: the data holds 10 masks, which SEMANTIC_SEGMENTATION reads" in choices[0]
    datamodule = _import(root, "datumaro")
    assert datamodule.label_info.label_names == ("background", "object")
    assert set(_pixel_counts(datamodule)) == {0, 1}


def test_camvid(tmp_path: Path, writers: dict[str, Callable[..., Path]]) -> None:
    root = writers["camvid"](tmp_path / "camvid")
    config, _ = auto_configure(root)
    assert (config.task, config.data_format) == ("SEMANTIC_SEGMENTATION", "camvid")
    datamodule = _import(root, "camvid")
    assert datamodule.label_info.label_names == ("Void", "Sky", "Building")
    assert set(_pixel_counts(datamodule)) == {0, 2}


def test_ade20k2017_paints_instances_with_their_class(tmp_path: Path, writers: dict[str, Callable[..., Path]]) -> None:
    root = writers["ade20k2017"](tmp_path / "ade20k")
    config, _ = auto_configure(root)
    assert (config.task, config.data_format) == ("SEMANTIC_SEGMENTATION", "ade20k2017")
    datamodule = _import(root, "ade20k2017")
    names = datamodule.label_info.label_names
    counts = _pixel_counts(datamodule)
    assert set(counts) == {names.index("ground"), names.index("box"), IGNORE_INDEX}
    assert counts[IGNORE_INDEX] == 3  # the one unannotated pixel of each training image


def test_ade20k2020_paints_class_and_instance_masks(tmp_path: Path, writers: dict[str, Callable[..., Path]]) -> None:
    root = writers["ade20k2020"](tmp_path / "ade20k")
    config, _ = auto_configure(root)
    assert (config.task, config.data_format) == ("SEMANTIC_SEGMENTATION", "ade20k2020")
    datamodule = _import(root, "ade20k2020")
    names = datamodule.label_info.label_names
    counts = _pixel_counts(datamodule)
    assert set(counts) == {names.index("ground"), names.index("box")}
    assert len(datamodule.subsets["val"]) == 2
