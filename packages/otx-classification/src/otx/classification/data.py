"""Datumaro items to multi-class classification samples."""

from collections.abc import Sequence
from typing import Any

from datumaro.components.annotation import Label
from datumaro.components.dataset_base import DatasetItem
from torchvision import tv_tensors

from otx.classification.entities import MulticlassClsBatchDataEntity, MulticlassClsDataEntity
from otx.core.data.adapter import TaskDataAdapter
from otx.core.data.entity import ImageInfo
from otx.core.errors import DataError

__all__ = ["MulticlassClsAdapter"]


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

    def make_entity(self, image: tv_tensors.Image, info: ImageInfo, target: Any) -> MulticlassClsDataEntity:
        """Entity with the label index."""
        return MulticlassClsDataEntity(image=image, img_info=info, label=int(target))

    def labels_of(self, target: Any) -> list[int]:
        """The one label."""
        return [int(target)]
