"""Entities, collate, and the adapter that paints Datumaro masks into label maps."""

import numpy as np
import pytest
import torch
from datumaro.components.annotation import ExtractedMask, Label, Mask
from datumaro.components.dataset_base import DatasetItem
from datumaro.components.media import Image as DmImage
from torchvision import tv_tensors

from otx.core.data.entity import ImageInfo, OTXDataEntity
from otx.core.errors import DataError
from otx.segmentation.data import LabelMapRecord, SemanticSegAdapter
from otx.segmentation.entities import IGNORE_INDEX, SegBatchDataEntity, SegDataEntity


def _info(index: int = 0) -> ImageInfo:
    return ImageInfo(index=index, path=None, ori_shape=(4, 6), img_shape=(4, 6))


def _item(annotations: list, size: tuple[int, int] = (4, 6)) -> DatasetItem:
    image = DmImage.from_numpy(np.zeros((*size, 3), dtype=np.uint8))
    return DatasetItem(id="img", media=image, annotations=annotations)


def test_collate_stacks_images_and_label_maps_as_int64() -> None:
    entities = [
        SegDataEntity(
            image=tv_tensors.Image(torch.full((3, 4, 6), float(i))),
            img_info=_info(i),
            mask=tv_tensors.Mask(torch.full((4, 6), i, dtype=torch.uint8)),
        )
        for i in range(2)
    ]
    batch = SegBatchDataEntity.collate(entities)
    assert batch.images.shape == (2, 3, 4, 6)
    assert batch.masks.shape == (2, 4, 6)
    assert batch.masks.dtype == torch.int64
    assert batch.masks[1].unique().tolist() == [1]
    assert [info.index for info in batch.imgs_info] == [0, 1]
    assert batch.to("cpu") is batch


def test_collate_rejects_entities_without_a_label_map() -> None:
    other = OTXDataEntity(image=tv_tensors.Image(torch.zeros(3, 4, 6)), img_info=_info())
    with pytest.raises(TypeError, match="SegDataEntity"):
        SegBatchDataEntity.collate([other])


def test_masks_are_painted_in_z_order_through_the_label_map_and_the_rest_is_ignored() -> None:
    index_map = np.array([[0, 0, 1, 1, 2, 2]] * 4)
    covered = np.zeros((4, 6), dtype=bool)
    covered[:2, :] = True
    item = _item(
        [
            Mask(image=covered, label=1, z_order=1),  # painted last: wins over the index-map masks
            ExtractedMask(index_mask=index_map, index=0, label=0),
            ExtractedMask(index_mask=index_map, index=1, label=2),
        ]
    )
    adapter = SemanticSegAdapter()
    record = adapter.target_from_item(item, label_map=[2, 0, 1])  # Datumaro id -> model index
    assert isinstance(record, LabelMapRecord)
    assert adapter.labels_of(record) == [0, 1, 2]
    target = adapter.prepare_target(record, (4, 6))
    assert isinstance(target, tv_tensors.Mask)
    assert target.dtype == torch.uint8
    expected = np.array([[0] * 6, [0] * 6, [2, 2, 1, 1, IGNORE_INDEX, IGNORE_INDEX], [2, 2, 1, 1, 255, 255]])
    np.testing.assert_array_equal(target.numpy(), expected)
    assert any("1 image(s) have pixels that no class covers" in w for w in adapter.import_warnings())


def test_label_maps_are_kept_compressed_and_must_still_fit_their_image_when_loaded() -> None:
    label_map = np.zeros((512, 512), dtype=np.uint8)
    label_map[100:200, 50:300] = 1
    record = LabelMapRecord.encode(label_map)
    assert len(record.png) < label_map.size // 20
    assert record.classes == (0, 1)
    np.testing.assert_array_equal(record.decode().numpy(), label_map)
    with pytest.raises(DataError, match="512x512 pixels belongs to an image now 256x512"):
        SemanticSegAdapter().prepare_target(record, (512, 256))


def test_items_without_masks_are_left_out_and_counted() -> None:
    adapter = SemanticSegAdapter()
    assert adapter.target_from_item(_item([Label(0)]), label_map=[0, 1]) is None
    assert adapter.import_warnings() == ["1 image(s) have no mask annotation and are left out"]


def test_a_mask_of_another_size_than_its_image_is_an_error_naming_the_item() -> None:
    item = _item([Mask(image=np.ones((2, 3), dtype=bool), label=0)])
    with pytest.raises(DataError, match=r"'img'.*mask is 3x2 pixels but the image is 6x4"):
        SemanticSegAdapter().target_from_item(item, label_map=[0, 1])


@pytest.mark.parametrize("label", [None, 5])
def test_a_label_outside_the_label_list_is_an_error(label: int | None) -> None:
    item = _item([Mask(image=np.ones((4, 6), dtype=bool), label=label)])
    with pytest.raises(DataError, match=rf"'img'.*label {label}, which is not in the dataset's 2 labels"):
        SemanticSegAdapter().target_from_item(item, label_map=[0, 1])


def test_more_classes_than_a_uint8_label_map_holds_is_an_error() -> None:
    item = _item([Mask(image=np.ones((4, 6), dtype=bool), label=0)])
    with pytest.raises(DataError, match="at most 255"):
        SemanticSegAdapter().target_from_item(item, label_map=list(range(300)))
