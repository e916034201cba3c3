"""The per-task bridge between Datumaro items and OTX entities."""

from abc import ABC, abstractmethod
from collections.abc import Hashable, Sequence
from typing import Any, Generic, TypeVar

from datumaro.components.annotation import LabelCategories
from datumaro.components.dataset_base import DatasetItem
from torchvision import tv_tensors

from otx.core.data.entity import ImageInfo, OTXBatchDataEntity, OTXDataEntity
from otx.core.errors import ConfigError
from otx.core.types.label import LabelHierarchy

__all__ = ["TaskDataAdapter"]

EntityT = TypeVar("EntityT", bound=OTXDataEntity)
BatchT = TypeVar("BatchT", bound=OTXBatchDataEntity)


class TaskDataAdapter(ABC, Generic[EntityT, BatchT]):
    """Turns a Datumaro item into a training target and a transformed sample into an entity.

    The target is any pytree that torchvision v2 transforms accept next to the image:
    ``tv_tensors`` in it are transformed with the image, everything else passes through.
    """

    batch_type: type[BatchT]
    min_classes: int = 1
    """Fewest classes a dataset must have for this task."""

    @abstractmethod
    def target_from_item(self, item: DatasetItem, label_map: Sequence[int]) -> Any | None:
        """The target of ``item``, with Datumaro label ids mapped through ``label_map``; ``None`` skips it."""

    def label_hierarchy(self, categories: LabelCategories) -> LabelHierarchy | None:
        """The groups and parents of the dataset's labels, for tasks that use them; errors name what is wrong."""
        return None

    def prepare_target(self, target: Any, image_size: tuple[int, int]) -> Any:
        """The stored target as the transforms take it, for an image of ``(height, width)`` just decoded.

        Lets :meth:`target_from_item` keep cheap, picklable records (numbers, polygons) and build
        ``tv_tensors`` (boxes, rasterized masks) only when a sample is loaded.
        """
        return target

    def placeholder_target(self, image_size: tuple[int, int]) -> Any:
        """A prepared target (as :meth:`prepare_target` returns) for an image of ``(height, width)`` without labels.

        Predicting on new images (``predict --source``) passes it through the transforms; nothing reads it.
        """
        raise ConfigError(f"{type(self).__name__} cannot predict on unlabelled images: it has no placeholder_target")

    @abstractmethod
    def make_entity(self, image: tv_tensors.Image, info: ImageInfo, target: Any) -> EntityT:
        """Build the sample entity from the transformed image and target."""

    @abstractmethod
    def labels_of(self, target: Any) -> list[int]:
        """The label indices a target contains (for class counts and stratified splits)."""

    def object_sides(self, target: Any) -> list[float]:
        """The shorter side, in pixels of the source image, of each object of ``target`` (none by default).

        Auto-configuration keeps small objects large enough when it picks the input size.
        """
        return []

    def import_warnings(self) -> list[str]:
        """What :meth:`target_from_item` fixed or dropped so far (counted), for the data module to log once."""
        return []

    def collate(self, entities: Sequence[EntityT]) -> BatchT:
        """Batch samples with the task's batch entity."""
        return self.batch_type.collate(entities)

    def stratify_key(self, target: Any) -> Hashable:
        """Key that a seeded train/val split keeps balanced."""
        labels = self.labels_of(target)
        return labels[0] if len(labels) == 1 else None
