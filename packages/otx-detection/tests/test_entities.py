"""Detection and instance-segmentation entities: collate, device moves and type checks."""

import pytest
import torch
from torchvision import tv_tensors

from otx.classification.entities import MulticlassClsDataEntity
from otx.core.data.entity import ImageInfo
from otx.detection.entities import DetBatchDataEntity, DetDataEntity, InstSegBatchDataEntity, InstSegDataEntity


def _info(index: int) -> ImageInfo:
    return ImageInfo(index=index, path=f"{index}.png", ori_shape=(48, 64), img_shape=(24, 32))


def _sample(index: int, boxes: int, masks: bool = False) -> DetDataEntity:
    fields = {
        "image": tv_tensors.Image(torch.full((3, 24, 32), float(index))),
        "img_info": _info(index),
        "boxes": tv_tensors.BoundingBoxes(torch.rand(boxes, 4) * 10, format="XYXY", canvas_size=(24, 32)),
        "labels": torch.arange(boxes),
    }
    if masks:
        return InstSegDataEntity(**fields, masks=tv_tensors.Mask(torch.ones(boxes, 24, 32, dtype=torch.uint8)))
    return DetDataEntity(**fields)


def test_collate_stacks_images_and_keeps_per_image_boxes() -> None:
    batch = DetBatchDataEntity.collate([_sample(0, 2), _sample(1, 0), _sample(2, 3)])
    assert batch.images.shape == (3, 3, 24, 32)
    assert [len(b) for b in batch.boxes] == [2, 0, 3]
    assert [len(lab) for lab in batch.labels] == [2, 0, 3]
    assert all(type(b) is torch.Tensor and b.dtype == torch.float32 for b in batch.boxes)
    assert all(lab.dtype == torch.int64 for lab in batch.labels)
    assert [info.index for info in batch.imgs_info] == [0, 1, 2]
    assert torch.equal(batch.images[2], torch.full((3, 24, 32), 2.0))


def test_instance_collate_keeps_boolean_masks() -> None:
    batch = InstSegBatchDataEntity.collate([_sample(0, 2, masks=True), _sample(1, 1, masks=True)])
    assert [m.shape for m in batch.masks] == [(2, 24, 32), (1, 24, 32)]
    assert all(m.dtype == torch.bool for m in batch.masks)


def test_collate_refuses_samples_of_another_task() -> None:
    other = MulticlassClsDataEntity(image=tv_tensors.Image(torch.zeros(3, 24, 32)), img_info=_info(0), label=1)
    with pytest.raises(TypeError, match="DetDataEntity"):
        DetBatchDataEntity.collate([other])
    with pytest.raises(TypeError, match="InstSegDataEntity"):
        InstSegBatchDataEntity.collate([_sample(0, 1)])


def test_to_moves_every_tensor() -> None:
    batch = InstSegBatchDataEntity.collate([_sample(0, 2, masks=True)])
    moved = batch.to("meta")
    assert moved.images.device.type == "meta"
    assert moved.boxes[0].device.type == moved.labels[0].device.type == moved.masks[0].device.type == "meta"
