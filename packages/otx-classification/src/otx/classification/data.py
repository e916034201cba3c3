"""Datumaro items to classification samples: one label (multi-class) or a set of labels (multi-label, hierarchical)."""

from collections.abc import Sequence
from typing import Any

import torch
from datumaro.components.annotation import Label, LabelCategories
from datumaro.components.dataset_base import DatasetItem
from torchvision import tv_tensors

from otx.classification.entities import (
    MulticlassClsBatchDataEntity,
    MulticlassClsDataEntity,
    MultilabelClsBatchDataEntity,
    MultilabelClsDataEntity,
)
from otx.classification.hierarchy import hierarchy_from_categories
from otx.core.data.adapter import TaskDataAdapter
from otx.core.data.entity import ImageInfo
from otx.core.errors import DataError
from otx.core.types.label import LabelHierarchy

__all__ = ["HlabelClsAdapter", "MulticlassClsAdapter", "MultilabelClsAdapter"]


class MulticlassClsAdapter(TaskDataAdapter[MulticlassClsDataEntity, MulticlassClsBatchDataEntity]):
    """Each item must carry exactly one label; unlabelled items are left out."""

    batch_type = MulticlassClsBatchDataEntity
    min_classes = 2

    def target_from_item(self, item: DatasetItem, label_map: Sequence[int]) -> int | None:
        """The item's single class index, mapped to the model's label order."""
        labels = {a.label for a in item.annotations if isinstance(a, Label)}
        if not labels:
            return None
        if len(labels) > 1:
            raise DataError(
                f"Item '{item.id}' has {len(labels)} labels; multi-class classification needs exactly one "
                "(images with several labels are not supported for this task)"
            )
        return int(label_map[labels.pop()])

    def placeholder_target(self, image_size: tuple[int, int]) -> int:
        """Class 0, for an image to predict on."""
        return 0

    def make_entity(self, image: tv_tensors.Image, info: ImageInfo, target: Any) -> MulticlassClsDataEntity:
        """Entity with the label index."""
        return MulticlassClsDataEntity(image=image, img_info=info, label=int(target))

    def labels_of(self, target: Any) -> list[int]:
        """The one label."""
        return [int(target)]


class MultilabelClsAdapter(TaskDataAdapter[MultilabelClsDataEntity, MultilabelClsBatchDataEntity]):
    """Any number of labels per image, none included; boxes and masks count as image-level labels."""

    batch_type = MultilabelClsBatchDataEntity
    min_classes = 2

    def target_from_item(self, item: DatasetItem, label_map: Sequence[int]) -> tuple[int, ...] | None:
        """The sorted model indices of every label the item's annotations carry."""
        labels = {a.label for a in item.annotations if getattr(a, "label", None) is not None}
        return tuple(sorted(int(label_map[label]) for label in labels))

    def placeholder_target(self, image_size: tuple[int, int]) -> tuple[int, ...]:
        """No labels, for an image to predict on."""
        return ()

    def make_entity(self, image: tv_tensors.Image, info: ImageInfo, target: Any) -> MultilabelClsDataEntity:
        """Entity with the label indices."""
        return MultilabelClsDataEntity(image=image, img_info=info, labels=torch.tensor(target, dtype=torch.long))

    def labels_of(self, target: Any) -> list[int]:
        """The item's labels."""
        return list(target)


class HlabelClsAdapter(MultilabelClsAdapter):
    """Labels from a hierarchy of groups; an image without any label is left out (counted)."""

    def __init__(self) -> None:
        self.unlabelled = 0

    def label_hierarchy(self, categories: LabelCategories) -> LabelHierarchy | None:
        """The groups and parents of the categories, checked."""
        return hierarchy_from_categories(categories)

    def target_from_item(self, item: DatasetItem, label_map: Sequence[int]) -> tuple[int, ...] | None:
        """As multi-label, but ``None`` (skipped) for an image without labels."""
        target = super().target_from_item(item, label_map)
        if not target:
            self.unlabelled += 1
            return None
        return target

    def import_warnings(self) -> list[str]:
        """How many images had no label."""
        return [f"left out {self.unlabelled} image(s) without labels"] if self.unlabelled else []
