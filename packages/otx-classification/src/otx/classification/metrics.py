"""Metrics of the classification tasks.

Multi-class: top-1 accuracy, macro F1 and per-class accuracy. Multi-label: mAP (macro average
precision), F1 micro and macro of the thresholded predictions, and per-class AP. Hierarchical:
accuracy per exclusive head, mAP of the multi-label part, and their mean as one score.
"""

from typing import Any

import torch
from torch import Tensor
from torchmetrics import Metric, MetricCollection
from torchmetrics.classification import (
    BinaryAveragePrecision,
    MulticlassAccuracy,
    MulticlassConfusionMatrix,
    MulticlassF1Score,
    MultilabelAveragePrecision,
    MultilabelF1Score,
)

from otx.classification.hierarchy import HeadLayout

__all__ = ["HlabelMetric", "hlabel_metrics", "multiclass_metrics", "multilabel_metrics"]


def multiclass_metrics(num_classes: int) -> MetricCollection:
    """``accuracy`` (top-1), ``f1`` (macro), ``per_class_accuracy`` (a vector) and ``confusion`` (for the report)."""
    return MetricCollection(
        {
            "accuracy": MulticlassAccuracy(num_classes=num_classes, average="micro"),
            "f1": MulticlassF1Score(num_classes=num_classes, average="macro"),
            "per_class_accuracy": MulticlassAccuracy(num_classes=num_classes, average=None),
            "confusion": MulticlassConfusionMatrix(num_classes=num_classes),
        }
    )


class _ThresholdedF1(MultilabelF1Score):
    """F1 of given 0/1 predictions (``update((scores, labels), target)`` uses the labels)."""

    def update(self, preds: Any, target: Tensor) -> None:
        """Score the predicted labels."""
        super().update(preds[1], target)


class _RankedAP(MultilabelAveragePrecision):
    """Average precision of the scores (``update((scores, labels), target)`` uses the scores)."""

    def update(self, preds: Any, target: Tensor) -> None:
        """Rank by the scores."""
        super().update(preds[0], target)


def multilabel_metrics(num_classes: int) -> MetricCollection:
    """``map`` (macro AP), ``f1_micro``, ``f1_macro`` and ``per_class_ap`` (a vector).

    Updated with ``((scores, predicted 0/1 labels), true 0/1 labels)``, all ``(B, C)``; a class
    with no positive image has no AP and is left out of ``map``.
    """
    return MetricCollection(
        {
            "map": _RankedAP(num_labels=num_classes, average="macro"),
            "f1_micro": _ThresholdedF1(num_labels=num_classes, average="micro"),
            "f1_macro": _ThresholdedF1(num_labels=num_classes, average="macro"),
            "per_class_ap": _RankedAP(num_labels=num_classes, average="none"),
        }
    )


class HlabelMetric(Metric):
    """Accuracy per exclusive head (over the images that have a label in it), mAP of the multi-label part.

    ``score`` is their mean, each head and the multi-label part counting once. Updated with
    ``((scores, predicted 0/1 labels), true 0/1 labels)`` in label order, ancestors included.
    """

    correct: Tensor
    counted: Tensor

    def __init__(self, layout: HeadLayout) -> None:
        super().__init__()
        self.layout = layout
        self.add_state("correct", default=torch.zeros(len(layout.heads)), dist_reduce_fx="sum")
        self.add_state("counted", default=torch.zeros(len(layout.heads)), dist_reduce_fx="sum")
        self.ap = _average_precision(len(layout.multilabel))

    def update(self, preds: tuple[Tensor, Tensor], target: Tensor) -> None:
        """Count head hits on labelled images; rank the multi-label part by its scores."""
        scores, _ = preds
        for number, (head, truth) in enumerate(zip(self.layout.heads, self.layout.head_targets(target), strict=True)):
            labelled = truth >= 0
            best = scores[:, list(head)].argmax(dim=1)
            self.correct[number] += (best[labelled] == truth[labelled]).sum()
            self.counted[number] += labelled.sum()
        if self.ap is not None:
            ml = list(self.layout.multilabel)
            self.ap.update(scores[:, ml].squeeze(1), target[:, ml].squeeze(1))

    def compute(self) -> dict[str, Tensor]:
        """``accuracy_<head's first label>`` per head, ``map`` of the multi-label part, and ``score``."""
        values: dict[str, Tensor] = {}
        parts = []
        for head, correct, counted in zip(self.layout.heads, self.correct, self.counted, strict=True):
            accuracy = correct / counted.clamp(min=1)
            values[f"accuracy_{self.layout.names[head[0]]}"] = accuracy
            parts.append(accuracy)
        if self.ap is not None:
            values["map"] = self.ap.compute()
            parts.append(values["map"])
        values["score"] = torch.stack(parts).mean()
        return values

    def reset(self) -> None:
        """Reset the counts and the AP."""
        super().reset()
        if self.ap is not None:
            self.ap.reset()


def _average_precision(num_labels: int) -> Metric | None:
    """Macro AP of ``num_labels`` yes/no outputs (none for none; binary AP for one)."""
    if num_labels == 0:
        return None
    if num_labels == 1:
        return BinaryAveragePrecision()
    return MultilabelAveragePrecision(num_labels=num_labels, average="macro")


def hlabel_metrics(layout: HeadLayout) -> MetricCollection:
    """One :class:`HlabelMetric`, whose values are logged under their own names."""
    return MetricCollection({"hlabel": HlabelMetric(layout)}, compute_groups=False)
