"""Task types, label info and the base entities."""

import pytest
import torch
from torchvision import tv_tensors

from otx.core.data.entity import ImageInfo, OTXBatchDataEntity, OTXBatchLossEntity, OTXDataEntity
from otx.core.types.label import LabelInfo


def test_label_info_from_names() -> None:
    info = LabelInfo.from_names(["cat", "dog", "bird"])
    assert info.label_names == ("cat", "dog", "bird")
    assert info.num_classes == 3


def test_label_info_is_immutable_and_hashable() -> None:
    info = LabelInfo.from_names(["a"])
    with pytest.raises(AttributeError):
        info.label_names = ("b",)  # type: ignore[misc]
    assert {info: 1}[LabelInfo.from_names(["a"])] == 1


def test_loss_entity_total_sums_named_losses() -> None:
    a = torch.tensor(1.5, requires_grad=True)
    b = torch.tensor(0.25, requires_grad=True)
    losses = OTXBatchLossEntity({"cls": a, "aux": b})
    total = losses.total
    assert total.ndim == 0
    assert total.item() == pytest.approx(1.75)
    total.backward()
    assert a.grad is not None
    assert a.grad.item() == 1.0
    assert b.grad is not None
    assert b.grad.item() == 1.0


def test_loss_entity_total_of_a_single_loss() -> None:
    assert OTXBatchLossEntity({"only": torch.tensor(3.0)}).total.item() == 3.0


def _entity(index: int, height: int = 8, width: int = 6) -> OTXDataEntity:
    info = ImageInfo(index=index, path=f"/x/{index}.png", ori_shape=(height, width), img_shape=(height, width))
    return OTXDataEntity(image=tv_tensors.Image(torch.full((3, height, width), float(index))), img_info=info)


def test_batch_collate_stacks_images_and_keeps_infos() -> None:
    batch = OTXBatchDataEntity.collate([_entity(0), _entity(1), _entity(2)])
    assert batch.images.shape == (3, 3, 8, 6)
    assert type(batch.images) is torch.Tensor  # plain tensor, not a tv_tensor
    assert batch.batch_size == 3
    assert [info.index for info in batch.imgs_info] == [0, 1, 2]
    assert batch.images[2].eq(2.0).all()
    assert batch.to("cpu") is batch
