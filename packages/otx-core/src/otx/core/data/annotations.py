"""What kinds of annotations a dataset holds, and which installed task trains on them.

A format that several tasks read (Datumaro JSON holds labels, boxes, polygons or masks alike) says
nothing about the task; its annotations do. Each task declares the Datumaro annotation types it trains
on (``TaskSpec.annotations``) and those that make it the default (``TaskSpec.default_for_annotations``)::

    counts = count_annotations(dataset)  # Counter({"bbox": 24, "polygon": 24})
    spec = task_for_annotations(counts, specs)  # DETECTION: it claims boxes and reads all 48
    describe(counts)  # "24 bounding boxes and 24 polygons"
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from otx.core.plugin import TaskSpec

if TYPE_CHECKING:
    from datumaro.components.dataset import Dataset

__all__ = ["count_annotations", "describe", "task_for_annotations"]

_WORDS = {
    "bbox": ("bounding box", "bounding boxes"),
    "rotated_bbox": ("rotated box", "rotated boxes"),
    "polygon": ("polygon", "polygons"),
    "mask": ("mask", "masks"),
    "label": ("image label", "image labels"),
    "points": ("point set", "point sets"),
    "polyline": ("polyline", "polylines"),
    "ellipse": ("ellipse", "ellipses"),
    "caption": ("caption", "captions"),
}


def count_annotations(dataset: "Dataset") -> Counter[str]:
    """How many annotations of each Datumaro type (``AnnotationType`` name) ``dataset`` holds."""
    return Counter(annotation.type.name for item in dataset for annotation in item.annotations)


def describe(counts: Mapping[str, int], counted: bool = True) -> str:
    """``counts`` in words, most numerous first: ``24 bounding boxes and 3 image labels``.

    Without the numbers where not ``counted``: ``bounding boxes and image labels``.
    """
    parts = []
    for kind, count in sorted(counts.items(), key=lambda pair: -pair[1]):
        one, many = _WORDS.get(kind, (f"{kind} annotation", f"{kind} annotations"))
        parts.append(f"{count} {one if count == 1 else many}" if counted else many)
    return " and ".join(parts) if len(parts) <= 2 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def task_for_annotations(counts: Mapping[str, int], specs: Iterable[TaskSpec]) -> TaskSpec | None:
    """Of ``specs``, the task that claims a type ``counts`` holds and trains on most of its annotations.

    ``None`` where no task claims any of them. Ties go to the first spec, in the order given.
    """
    claiming = [spec for spec in specs if any(counts.get(kind) for kind in spec.default_for_annotations)]
    if not claiming:
        return None
    return max(claiming, key=lambda spec: sum(counts.get(kind, 0) for kind in spec.annotations))
