"""Metrics of semantic segmentation from one confusion matrix: mIoU, Dice, per-class IoU, pixel accuracy."""

import torch
from torch import Tensor
from torchmetrics import Metric, MetricCollection

from otx.segmentation.entities import IGNORE_INDEX

__all__ = ["SegmentationScores", "segmentation_metrics"]


class SegmentationScores(Metric):
    """Accumulates a pixel confusion matrix; pixels whose target is :data:`IGNORE_INDEX` are left out.

    ``compute`` gives ``mIoU`` and ``dice`` (means over the classes present in predictions or
    targets), ``pixel_accuracy`` and the vector ``iou`` (NaN for a class seen in neither).
    """

    full_state_update = False
    higher_is_better = True
    confusion: Tensor

    def __init__(self, num_classes: int) -> None:
        super().__init__()
        self.num_classes = num_classes
        zeros = torch.zeros(num_classes, num_classes, dtype=torch.long)
        self.add_state("confusion", default=zeros, dist_reduce_fx="sum")

    def update(self, preds: Tensor, target: Tensor) -> None:
        """Add predicted and true label maps of the same shape."""
        valid = target != IGNORE_INDEX
        pairs = target[valid] * self.num_classes + preds[valid]
        self.confusion += torch.bincount(pairs, minlength=self.num_classes**2).reshape(self.num_classes, -1)

    def compute(self) -> dict[str, Tensor]:
        """The scores of all pixels seen since the last reset."""
        confusion = self.confusion.double()
        hits = confusion.diagonal()
        true, predicted = confusion.sum(dim=1), confusion.sum(dim=0)
        iou = hits / (true + predicted - hits)  # NaN where the class is in neither
        dice = 2 * hits / (true + predicted)
        return {
            "mIoU": iou.nanmean().float(),
            "dice": dice.nanmean().float(),
            "pixel_accuracy": (hits.sum() / confusion.sum().clamp(min=1)).float(),
            "iou": iou.float(),
        }


def segmentation_metrics(num_classes: int) -> MetricCollection:
    """The task's metric collection: ``mIoU``, ``dice``, ``pixel_accuracy`` and per-class ``iou``."""
    return MetricCollection({"scores": SegmentationScores(num_classes)})
