"""Format import (COCO, VOC, YOLO written here), adapters' target conversion, and bad annotations."""

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from otx.core.config.recipe import DataConfig
from otx.core.data.formats import candidate_formats
from otx.core.data.module import OTXDataModule
from otx.core.errors import DataError
from otx.detection.data import DetectionAdapter, InstanceSegmentationAdapter
from otx.detection.entities import DetBatchDataEntity, InstSegBatchDataEntity
from otx.engine.autoconfig import auto_configure

CONFIG = DataConfig(input_size=(48, 64), batch_size=2, num_workers=0, val_transforms=[{"type": "Resize"}])


def _datamodule(root: Path, data_format: str, adapter: DetectionAdapter | None = None) -> OTXDataModule:
    return OTXDataModule(adapter or DetectionAdapter(), root, data_format, CONFIG)


def _first_batch(datamodule: OTXDataModule, subset: str = "val") -> DetBatchDataEntity:
    batch = next(iter(datamodule._loader(subset, shuffle=False)))
    assert isinstance(batch, DetBatchDataEntity)
    return batch


WRITERS: dict[str, tuple[Callable[[Any, Path], Path], str]] = {
    "coco": (lambda make, root: make.coco(root, {"train": 4, "val": 2}), "coco_instances"),
    "voc": (lambda make, root: make.voc(root, {"train": 4, "val": 2}), "voc_detection"),
    "yolo": (lambda make, root: make.yolo(root, 10), "yolo"),
}


@pytest.mark.parametrize("kind", list(WRITERS))
def test_each_format_is_detected_as_detection_and_loads_its_boxes(tmp_path: Path, make: Any, kind: str) -> None:
    writer, expected_format = WRITERS[kind]
    root = writer(make, tmp_path / "data")
    config, _ = auto_configure(root)
    assert (config.task, config.data_format) == ("DETECTION", expected_format)
    datamodule = _datamodule(root, expected_format)
    assert sorted(datamodule.label_info.label_names) == sorted(make.names)
    batch = _first_batch(datamodule)
    assert batch.images.shape == (2, 3, 48, 64)
    for boxes, labels in zip(batch.boxes, batch.labels, strict=True):
        assert boxes.shape == (2, 4)
        assert sorted(datamodule.label_info.label_names[i] for i in labels.tolist()) == sorted(make.names)
        assert (boxes[:, 2:] - boxes[:, :2]).min() >= 11  # the drawn objects are 12-17 px wide


def test_voc_boxes_keep_their_pixel_coordinates(make: Any, tmp_path: Path) -> None:
    seen: list[list[Any]] = []

    def objects(seed: int, things: list[Any]) -> list[str]:
        seen.append(things)
        return [
            f"<object><name>{t.name}</name><bndbox><xmin>{t.box[0]}</xmin><ymin>{t.box[1]}</ymin>"
            f"<xmax>{t.box[2]}</xmax><ymax>{t.box[3]}</ymax></bndbox></object>"
            for t in things
        ]

    root = make.voc(tmp_path / "voc", {"train": 2, "val": 1}, objects)
    datamodule = _datamodule(root, "voc_detection")
    batch = _first_batch(datamodule)
    names = datamodule.label_info.label_names
    got = sorted(
        (names[int(label)], tuple(box.tolist())) for box, label in zip(batch.boxes[0], batch.labels[0], strict=True)
    )
    assert got == sorted((t.name, tuple(float(v) for v in t.box)) for t in seen[2])


def test_voc_reader_takes_any_label_names_without_a_labelmap(make: Any, tmp_path: Path) -> None:
    """Datumaro's own VOC importer rejects names that are not among VOC's 20 classes."""
    root = make.voc(tmp_path / "voc", {"train": 2, "val": 1})
    assert candidate_formats(root)[0] == "voc_detection"
    assert set(_datamodule(root, "voc_detection").label_info.label_names) == set(make.names)


def test_coco_polygons_and_rle_become_instance_masks(make: Any, tmp_path: Path) -> None:
    for rle in (False, True):
        root = make.coco(tmp_path / f"coco_{rle}", {"train": 2, "val": 2}, rle=rle)
        datamodule = _datamodule(root, "coco_instances", InstanceSegmentationAdapter())
        batch = _first_batch(datamodule)
        assert isinstance(batch, InstSegBatchDataEntity)
        for boxes, masks in zip(batch.boxes, batch.masks, strict=True):
            assert masks.shape == (2, 48, 64)
            assert masks.dtype == torch.bool
            for box, mask in zip(boxes, masks, strict=True):
                ys, xs = torch.nonzero(mask, as_tuple=True)
                assert abs(xs.min().item() - box[0].item()) <= 1
                assert abs(ys.max().item() + 1 - box[3].item()) <= 1


def test_instance_segmentation_task_on_coco_polygons(make: Any, tmp_path: Path) -> None:
    root = make.coco(tmp_path / "coco", {"train": 2, "val": 1})
    config, _ = auto_configure(root, task="INSTANCE_SEGMENTATION")
    assert config.model.name == "maskrcnn_mobilenetv3"


def _bad_boxes(data: dict[str, object]) -> None:
    """Item 1: a box reaching outside the image and a zero-area box; item 2: no objects at all."""
    annotations = data["annotations"]
    assert isinstance(annotations, list)
    first = [a for a in annotations if a["image_id"] == 1]
    first[0]["bbox"] = [50, 30, 40, 40]
    first[0]["segmentation"] = [[50, 30, 90, 30, 90, 70, 50, 70]]
    first[1]["bbox"] = [10, 10, 0, 5]
    first[1]["segmentation"] = [[10, 10, 10, 10, 10, 15]]
    data["annotations"] = [a for a in annotations if a["image_id"] != 2]


def test_bad_boxes_are_clipped_or_dropped_and_counted(
    make: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = make.coco(tmp_path / "coco", {"train": 3, "val": 3}, extra=_bad_boxes)
    with caplog.at_level(logging.WARNING):
        datamodule = _datamodule(root, "coco_instances")
    warnings = " ".join(r.getMessage() for r in caplog.records)
    assert "2 boxes reaching outside the image clipped" in warnings  # one in each subset
    assert "2 boxes of zero area dropped" in warnings
    assert "2 images without objects kept as background" in warnings
    by_name = {Path(e.img_info.path or "").name: e for e in datamodule.dataset("val")}
    assert by_name["val_000.png"].boxes.tolist() == [[50.0, 30.0, 64.0, 48.0]]
    assert len(by_name["val_001.png"].boxes) == len(by_name["val_001.png"].labels) == 0
    assert len(_first_batch(datamodule).boxes) == 2  # background images batch like any other


def test_a_label_missing_from_the_categories_names_the_item(make: Any, tmp_path: Path) -> None:
    def unknown_category(data: dict[str, object]) -> None:
        annotations = data["annotations"]
        assert isinstance(annotations, list)
        annotations[0]["category_id"] = 7

    root = make.coco(tmp_path / "coco", {"train": 2}, extra=unknown_category)
    with pytest.raises(DataError, match=str(root)):
        _datamodule(root, "coco_instances")


def test_an_annotation_of_a_missing_image_names_the_file(make: Any, tmp_path: Path) -> None:
    root = make.coco(tmp_path / "coco", {"train": 3, "val": 2})
    (root / "images" / "train" / "train_001.png").unlink()
    with pytest.raises(DataError, match="train_001.png"):
        _datamodule(root, "coco_instances")


def test_a_box_with_text_coordinates_in_voc_names_the_file(make: Any, tmp_path: Path) -> None:
    def broken(seed: int, things: list[Any]) -> list[str]:
        return [make.voc_object("disc", (1, 1, 9, 9)).replace("<xmax>9</xmax>", "<xmax>wide</xmax>")]

    root = make.voc(tmp_path / "voc", {"train": 2}, broken)
    with pytest.raises(DataError, match=r"img_000\.xml.*xmax"):
        _datamodule(root, "voc_detection")


def test_training_transforms_move_boxes_and_masks_together(make: Any, tmp_path: Path) -> None:
    root = make.coco(tmp_path / "coco", {"train": 2, "val": 1})
    config = DataConfig(
        input_size=(48, 64),
        num_workers=0,
        train_transforms=[
            {"type": "RandomHorizontalFlip", "p": 1.0},
            {"type": "Resize"},
            {"type": "SanitizeBoundingBoxes"},
        ],
    )
    datamodule = OTXDataModule(InstanceSegmentationAdapter(), root, "coco_instances", config)
    flipped, plain = datamodule.dataset("train")[0], datamodule.dataset("train", augment=False)[0]
    assert torch.allclose(flipped.boxes[:, [0, 2]], 64 - plain.boxes[:, [2, 0]])
    assert torch.equal(flipped.masks, plain.masks.flip(-1))


def test_coco_json_with_a_string_bbox_fails_with_the_folder(make: Any, tmp_path: Path) -> None:
    def broken(data: dict[str, object]) -> None:
        annotations = data["annotations"]
        assert isinstance(annotations, list)
        annotations[0]["bbox"] = "wide"

    root = make.coco(tmp_path / "coco", {"train": 2}, extra=broken)
    json.loads((root / "annotations" / "instances_train.json").read_text())
    with pytest.raises(DataError, match=str(root)):
        _datamodule(root, "coco_instances")


def test_a_corrupt_image_of_unknown_size_keeps_its_boxes_unclipped(tmp_path: Path) -> None:
    """Its size is read from the header; a file with none is left to the image check, which names it."""
    from datumaro.components.annotation import Bbox
    from datumaro.components.dataset_base import DatasetItem
    from datumaro.components.media import Image as DmImage

    corrupt = tmp_path / "broken.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    item = DatasetItem(
        id="broken", media=DmImage.from_file(path=str(corrupt)), annotations=[Bbox(5, 5, 10, 10, label=0)]
    )
    targets = DetectionAdapter().target_from_item(item, [0])
    assert targets.boxes.tolist() == [[5.0, 5.0, 15.0, 15.0]]


def test_the_plan_names_the_other_tasks_the_same_data_trains(make: Any, tmp_path: Path) -> None:
    root = make.coco(tmp_path / "coco", {"train": 2, "val": 1})
    _, choices = auto_configure(root)
    assert choices[0].startswith("task:   DETECTION (derived from the format")
    assert "--task INSTANCE_SEGMENTATION" in choices[0]
