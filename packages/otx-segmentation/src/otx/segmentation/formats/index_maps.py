"""What the package's own readers share: one lazily decoded class-index image per item, cut into masks."""

from collections.abc import Callable, Sequence

import numpy as np
from datumaro.components.annotation import AnnotationType, ExtractedMask, LabelCategories
from datumaro.components.dataset import Dataset
from datumaro.components.dataset_base import DatasetItem
from datumaro.components.media import Image as DmImage

__all__ = ["IndexMapItem", "dataset_of_index_maps"]

IndexMapItem = tuple[str, str, str, Callable[[], np.ndarray]]
"""``(item id, subset, image path, read)``: ``read()`` gives the item's ``(H, W)`` class indices."""


def dataset_of_index_maps(items: Sequence[IndexMapItem], names: Sequence[str]) -> Dataset:
    """A Datumaro dataset whose items carry one mask per class, all cut from their item's index image.

    The index image is decoded when the masks are read (once per item, see ``SemanticSegAdapter``);
    values that are no class index (e.g. 255) belong to no mask.
    """
    return Dataset.from_iterable(
        [
            DatasetItem(
                id=item_id,
                subset=subset,
                media=DmImage.from_file(image_path),
                annotations=[ExtractedMask(index_mask=read, index=i, label=i) for i in range(len(names))],
            )
            for item_id, subset, image_path, read in items
        ],
        categories={AnnotationType.label: LabelCategories.from_iterable(names)},
    )
