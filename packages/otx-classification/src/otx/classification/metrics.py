"""Metrics of multi-class classification: top-1 accuracy, macro F1 and per-class accuracy."""

from torchmetrics import MetricCollection
from torchmetrics.classification import MulticlassAccuracy, MulticlassF1Score

__all__ = ["multiclass_metrics"]


def multiclass_metrics(num_classes: int) -> MetricCollection:
    """``accuracy`` (top-1), ``f1`` (macro) and ``per_class_accuracy`` (a vector)."""
    return MetricCollection(
        {
            "accuracy": MulticlassAccuracy(num_classes=num_classes, average="micro"),
            "f1": MulticlassF1Score(num_classes=num_classes, average="macro"),
            "per_class_accuracy": MulticlassAccuracy(num_classes=num_classes, average=None),
        }
    )
