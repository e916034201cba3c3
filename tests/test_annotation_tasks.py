"""The annotations a dataset holds pick its task where the format does not (Datumaro JSON), by each installed
task's declarations."""

import pytest

from otx.core.data.annotations import describe, task_for_annotations
from otx.core.plugin import all_specs
from otx.core.types.task import OTXTaskType


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({"bbox": 4}, OTXTaskType.DETECTION),
        ({"polygon": 4}, OTXTaskType.DETECTION),
        ({"bbox": 4, "polygon": 4}, OTXTaskType.DETECTION),  # INSTANCE_SEGMENTATION with --task, as on COCO
        ({"bbox": 4, "mask": 4}, OTXTaskType.DETECTION),
        ({"mask": 4}, OTXTaskType.SEMANTIC_SEGMENTATION),
        ({"label": 4}, OTXTaskType.MULTI_CLASS_CLS),
        ({"label": 2, "bbox": 8}, OTXTaskType.DETECTION),
        ({"points": 3}, None),
        ({}, None),
    ],
)
def test_the_annotations_pick_the_task(counts: dict[str, int], expected: OTXTaskType | None) -> None:
    readers = [spec for spec in all_specs().values() if "datumaro" in spec.formats]
    chosen = task_for_annotations(counts, readers)
    assert (chosen.task if chosen is not None else None) == expected


def test_counts_in_words() -> None:
    assert describe({"label": 1, "bbox": 24, "polygon": 3}) == "24 bounding boxes, 3 polygons and 1 image label"
    assert describe({"mask": 2, "cuboid_3d": 1}, counted=False) == "masks and cuboid_3d annotations"
