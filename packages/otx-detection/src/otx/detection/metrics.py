"""COCO-style metrics: mAP, mAP@50 and mAP@75 for boxes (and masks), and AP per class."""

import math
from collections.abc import Sequence
from typing import Literal

from torch import Tensor
from torchmetrics import MetricCollection
from torchmetrics.detection import MeanAveragePrecision

from otx.core.model.figures import PRCurves

__all__ = ["IoUType", "detection_metrics", "pr_curves", "summarize"]

_KINDS = {"bbox": "", "segm": "mask_"}


IoUType = Literal["bbox", "segm"]

_RECALL_STEPS = 101
"""COCO's recall thresholds: 0, 0.01, ..., 1."""


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


def pr_curves(metric: MeanAveragePrecision, label_names: Sequence[str]) -> list[PRCurves]:
    """Precision-recall curves at IoU 0.5 (all object sizes, 100 detections per image), one set per IoU type.

    ``metric`` is computed once with torchmetrics' extended summary; the result is cached, so that
    the values logged after it come from the same computation.
    """
    metric.extended_summary = True
    try:
        results = metric.compute()
    finally:
        metric.extended_summary = False
    recall = [step / (_RECALL_STEPS - 1) for step in range(_RECALL_STEPS)]
    classes = results["classes"].reshape(-1).tolist()
    curves = []
    for kind in metric.iou_type:
        source = f"{kind}_" if len(metric.iou_type) > 1 else ""
        precision = results[f"{source}precision"][0, :, :, 0, -1]  # (recall steps, classes present)
        per_label: list[tuple[float, ...]] = [() for _ in label_names]
        ap = [math.nan] * len(label_names)
        for column, label in enumerate(classes):
            values = precision[:, column]
            if bool((values >= 0).any()):  # -1: no ground truth of this class
                per_label[int(label)] = tuple(values.clamp(min=0).tolist())
                ap[int(label)] = float(values.clamp(min=0).mean())
        curves.append(
            PRCurves(
                title=f"{'mask' if kind == 'segm' else 'box'} precision-recall at IoU 0.5",
                labels=tuple(label_names),
                recall=tuple(tuple(recall) if points else () for points in per_label),
                precision=tuple(per_label),
                ap=tuple(ap),
            )
        )
    return curves
