"""COCO-style metrics: mAP, mAP@50 and mAP@75 for boxes (and masks), and AP per class."""

from collections.abc import Sequence
from typing import Literal

from torch import Tensor
from torchmetrics import MetricCollection
from torchmetrics.detection import MeanAveragePrecision

__all__ = ["IoUType", "detection_metrics", "summarize"]

_KINDS = {"bbox": "", "segm": "mask_"}


IoUType = Literal["bbox", "segm"]


def detection_metrics(iou_types: tuple[IoUType, ...]) -> MetricCollection:
    """COCO evaluation (the ``faster_coco_eval`` backend) of ``iou_types`` (``bbox`` and/or ``segm``)."""
    return MetricCollection(
        {"coco": MeanAveragePrecision(iou_type=iou_types, class_metrics=True, backend="faster_coco_eval")}
    )


def summarize(
    results: dict[str, Tensor], iou_types: tuple[IoUType, ...], label_names: Sequence[str]
) -> dict[str, Tensor]:
    """``map``, ``map_50``, ``map_75`` and ``AP_<label>`` (``mask_`` prefixed for masks) from torchmetrics' output."""
    summary: dict[str, Tensor] = {}
    for kind in iou_types:
        source = f"{kind}_" if len(iou_types) > 1 else ""
        prefix = _KINDS[kind]
        for name in ("map", "map_50", "map_75"):
            summary[f"{prefix}{name}"] = results[f"{source}{name}"]
        per_class = results[f"{source}map_per_class"].reshape(-1)
        classes = results["classes"].reshape(-1).tolist()
        for label, value in zip(classes, per_class, strict=True):
            if value >= 0:  # -1: the class has no ground truth in this subset
                summary[f"{prefix}AP_{label_names[int(label)]}"] = value
    return summary
