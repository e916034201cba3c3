"""The detection adapter reports each object's shorter side, for the input size auto-configuration picks."""

import numpy as np

from otx.detection.data import DetectionAdapter, ObjectTargets


def test_object_sides_are_the_shorter_box_sides() -> None:
    boxes = np.asarray([[0, 0, 10, 20], [5, 5, 45, 12]], dtype=np.float32)
    target = ObjectTargets(boxes=boxes, labels=np.asarray([0, 1]), shapes=None)
    assert DetectionAdapter().object_sides(target) == [10.0, 7.0]
    empty = ObjectTargets(boxes=np.zeros((0, 4), np.float32), labels=np.zeros(0, np.int64), shapes=None)
    assert DetectionAdapter().object_sides(empty) == []
