"""Entities of classification: one label per image (multi-class), or a multi-hot vector (multi-label, hierarchical)."""

from collections.abc import Sequence
from typing import Self

import torch
from attrs import define
from torch import Tensor

from otx.core.data.entity import OTXBatchDataEntity, OTXBatchPredEntity, OTXDataEntity

__all__ = [
    "MulticlassClsBatchDataEntity",
    "MulticlassClsBatchPredEntity",
    "MulticlassClsDataEntity",
    "MultilabelClsBatchDataEntity",
    "MultilabelClsBatchPredEntity",
    "MultilabelClsDataEntity",
]


@define(kw_only=True)
class MulticlassClsDataEntity(OTXDataEntity):
    """One image and its class index."""

    label: int


@define(kw_only=True)
class MulticlassClsBatchDataEntity(OTXBatchDataEntity):
    """A batch of images and their class indices ``(B,)``."""

    labels: Tensor

    @classmethod
    def collate(cls, entities: Sequence[OTXDataEntity]) -> Self:
        """Stack images and labels."""
        images, infos = cls.stack_images(entities)
        labels = torch.tensor([e.label for e in entities if isinstance(e, MulticlassClsDataEntity)])
        if len(labels) != len(entities):
            msg = "MulticlassClsBatchDataEntity.collate needs MulticlassClsDataEntity samples"
            raise TypeError(msg)
        return cls(images=images, imgs_info=infos, labels=labels)

    def to(self, device: torch.device | str) -> Self:
        """Move images and labels to ``device``."""
        self.images, self.labels = self.images.to(device), self.labels.to(device)
        return self


@define(kw_only=True)
class MulticlassClsBatchPredEntity(OTXBatchPredEntity):
    """Class probabilities ``scores`` ``(B, C)`` and the predicted class ``labels`` ``(B,)``."""

    scores: Tensor
    labels: Tensor


@define(kw_only=True)
class MultilabelClsDataEntity(OTXDataEntity):
    """One image and the indices of its labels ``(K,)`` (empty: no label).

    Hierarchical classification uses the same entities: an image has several labels there too.
    """

    labels: Tensor


@define(kw_only=True)
class MultilabelClsBatchDataEntity(OTXBatchDataEntity):
    """A batch of images and the label indices of each."""

    labels: list[Tensor]

    @classmethod
    def collate(cls, entities: Sequence[OTXDataEntity]) -> Self:
        """Stack images; keep each image's label indices."""
        images, infos = cls.stack_images(entities)
        samples = [e for e in entities if isinstance(e, MultilabelClsDataEntity)]
        if len(samples) != len(entities):
            msg = "MultilabelClsBatchDataEntity.collate needs MultilabelClsDataEntity samples"
            raise TypeError(msg)
        return cls(images=images, imgs_info=infos, labels=[s.labels for s in samples])

    def multi_hot(self, num_classes: int) -> Tensor:
        """The labels as a ``(B, num_classes)`` 0/1 integer tensor."""
        hot = torch.zeros(len(self.labels), num_classes, dtype=torch.long, device=self.images.device)
        for row, indices in enumerate(self.labels):
            hot[row, indices.to(hot.device, torch.long)] = 1
        return hot

    def to(self, device: torch.device | str) -> Self:
        """Move images and labels to ``device``."""
        self.images, self.labels = self.images.to(device), [labels.to(device) for labels in self.labels]
        return self


@define(kw_only=True)
class MultilabelClsBatchPredEntity(OTXBatchPredEntity):
    """Per-label probabilities ``scores`` ``(B, C)`` and the predicted labels as 0/1 ``labels`` ``(B, C)``."""

    scores: Tensor
    labels: Tensor
