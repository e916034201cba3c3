"""Multi-class entities and the Datumaro item -> target adapter."""

import pytest
import torch
from datumaro.components.annotation import Bbox, Label
from datumaro.components.dataset_base import DatasetItem
from torchvision import tv_tensors

from otx.classification.data import MulticlassClsAdapter
from otx.classification.entities import (
    MulticlassClsBatchDataEntity,
    MulticlassClsBatchPredEntity,
    MulticlassClsDataEntity,
)
from otx.core.data.entity import ImageInfo, OTXDataEntity
from otx.core.errors import DataError


def _info(index: int) -> ImageInfo:
    return ImageInfo(index=index, path=f"{index}.png", ori_shape=(40, 30), img_shape=(32, 32))


def _entity(index: int, label: int) -> MulticlassClsDataEntity:
    image = tv_tensors.Image(torch.full((3, 32, 32), float(index)))
    return MulticlassClsDataEntity(image=image, img_info=_info(index), label=label)


def test_collate_stacks_images_and_labels() -> None:
    batch = MulticlassClsBatchDataEntity.collate([_entity(0, 1), _entity(1, 0), _entity(2, 1)])
    assert batch.images.shape == (3, 3, 32, 32)
    assert batch.images.dtype == torch.float32
    assert batch.labels.tolist() == [1, 0, 1]
    assert batch.labels.dtype == torch.int64
    assert batch.batch_size == 3
    assert [info.index for info in batch.imgs_info] == [0, 1, 2]
    assert batch.images[1].eq(1.0).all()


def test_collate_through_the_adapter_and_move() -> None:
    batch = MulticlassClsAdapter().collate([_entity(0, 0), _entity(1, 1)])
    assert isinstance(batch, MulticlassClsBatchDataEntity)
    moved = batch.to("cpu")
    assert moved is batch
    assert moved.labels.device.type == "cpu"


def test_collate_refuses_entities_without_labels() -> None:
    plain = OTXDataEntity(image=tv_tensors.Image(torch.zeros(3, 32, 32)), img_info=_info(9))
    with pytest.raises(TypeError):
        MulticlassClsBatchDataEntity.collate([_entity(0, 0), plain])


def test_prediction_entity_fields() -> None:
    scores = torch.tensor([[0.2, 0.8], [0.9, 0.1]])
    preds = MulticlassClsBatchPredEntity(imgs_info=[_info(0), _info(1)], scores=scores, labels=scores.argmax(1))
    assert preds.labels.tolist() == [1, 0]


def _item(*annotations: object) -> DatasetItem:
    return DatasetItem(id="cls/img_7", annotations=list(annotations))


def test_one_label_is_mapped_through_the_label_map() -> None:
    adapter = MulticlassClsAdapter()
    target = adapter.target_from_item(_item(Label(0)), label_map=[2, 0, 1])
    assert target == 2
    assert type(target) is int
    assert adapter.labels_of(target) == [2]
    assert adapter.stratify_key(target) == 2


def test_the_same_label_twice_counts_once() -> None:
    assert MulticlassClsAdapter().target_from_item(_item(Label(1), Label(1)), label_map=[0, 1]) == 1


def test_items_without_labels_are_skipped() -> None:
    adapter = MulticlassClsAdapter()
    assert adapter.target_from_item(_item(), label_map=[0, 1]) is None
    assert adapter.target_from_item(_item(Bbox(0, 0, 1, 1, label=0)), label_map=[0, 1]) is None


def test_two_labels_are_a_data_error_naming_the_item() -> None:
    with pytest.raises(DataError) as info:
        MulticlassClsAdapter().target_from_item(_item(Label(0), Label(1)), label_map=[0, 1])
    assert "cls/img_7" in str(info.value)
    assert "needs exactly one" in str(info.value)


def test_make_entity() -> None:
    image = tv_tensors.Image(torch.zeros(3, 32, 32))
    entity = MulticlassClsAdapter().make_entity(image, _info(3), 1)
    assert isinstance(entity, MulticlassClsDataEntity)
    assert entity.label == 1
    assert entity.img_info.index == 3


def test_multiclass_needs_two_classes() -> None:
    assert MulticlassClsAdapter.min_classes == 2
