"""The task halves of every detector and instance-segmentation model: metrics, output rows and drawings."""

from typing import Any, Unpack, cast

import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor
from torchmetrics import MetricCollection
from torchmetrics.detection import MeanAveragePrecision

from otx.core.data.entity import ImageInfo
from otx.core.model.base import OTXModel, OTXModelArgs
from otx.core.model.figures import ClassBars, FigureData
from otx.core.visualize import draw_boxes, label_colors, overlay_masks
from otx.detection.entities import (
    DetBatchDataEntity,
    DetBatchPredEntity,
    InstSegBatchDataEntity,
    InstSegBatchPredEntity,
)
from otx.detection.metrics import IoUType, detection_metrics, pr_curves, summarize

__all__ = ["DetModelArgs", "OTXDetectionModel", "OTXInstanceSegModel", "to_original"]


class DetModelArgs(OTXModelArgs, total=False):
    """Keyword arguments of every detector: the base ones and the drawing/output ``score_threshold``."""

    score_threshold: float


def to_original(boxes: Tensor, info: ImageInfo) -> Tensor:
    """Boxes of the model's input image in pixels of the original image (the evaluation pipeline only resizes)."""
    (ori_h, ori_w), (img_h, img_w) = info.ori_shape, info.img_shape
    return boxes * boxes.new_tensor([ori_w / img_w, ori_h / img_h, ori_w / img_w, ori_h / img_h])


class OTXDetectionModel(OTXModel[DetBatchDataEntity, DetBatchPredEntity]):
    """A detector: COCO box metrics, one output row per detection, boxes drawn on the image.

    Args:
        score_threshold: lowest score of a detection written to ``predictions.csv`` and drawn
            (metrics use every detection the model returns).
    """

    monitor = "val/map_50"
    iou_types: tuple[IoUType, ...] = ("bbox",)

    def __init__(self, *, score_threshold: float = 0.3, **base: Unpack[OTXModelArgs]) -> None:
        self.score_threshold = score_threshold
        super().__init__(**base)

    def create_metric(self) -> MetricCollection:
        """COCO mAP of boxes."""
        return detection_metrics(self.iou_types)

    def metric_values(self, metric: MetricCollection) -> dict[str, Tensor]:
        """``map``, ``map_50``, ``map_75`` and ``AP_<label>``."""
        return summarize(metric.compute(), self.iou_types, self.label_info.label_names)

    def metric_inputs(self, preds: DetBatchPredEntity, batch: DetBatchDataEntity) -> tuple[Any, Any]:
        """Per-image dicts of predictions and of ground truth, as torchmetrics' mAP takes them."""
        predicted = [
            {"boxes": b, "scores": s, "labels": lab}
            for b, s, lab in zip(preds.boxes, preds.scores, preds.labels, strict=True)
        ]
        truth = [{"boxes": b, "labels": lab} for b, lab in zip(batch.boxes, batch.labels, strict=True)]
        return predicted, truth

    def figure_data(self, metric: MetricCollection) -> list[FigureData]:
        """Precision-recall curves per class at IoU 0.5 and their AP (for boxes, and masks where there are)."""
        figures: list[FigureData] = []
        for curves in pr_curves(cast(MeanAveragePrecision, metric["coco"]), self.label_info.label_names):
            figures.append(curves)
            figures.append(
                ClassBars(title=curves.title.replace("precision-recall", "AP"), labels=curves.labels, values=curves.ap)
            )
        return figures

    def targets_as_predictions(self, batch: DetBatchDataEntity) -> DetBatchPredEntity:
        """The true boxes (and masks), with score 1."""
        scores = [torch.ones(len(labels)) for labels in batch.labels]
        if isinstance(batch, InstSegBatchDataEntity):
            return InstSegBatchPredEntity(
                imgs_info=batch.imgs_info, boxes=batch.boxes, scores=scores, labels=batch.labels, masks=batch.masks
            )
        return DetBatchPredEntity(imgs_info=batch.imgs_info, boxes=batch.boxes, scores=scores, labels=batch.labels)

    def _kept(self, preds: DetBatchPredEntity, index: int) -> Tensor:
        return preds.scores[index] >= self.score_threshold

    def prediction_rows(self, preds: DetBatchPredEntity) -> list[dict[str, str]]:
        """One row per detection above ``score_threshold`` (box in original pixels); an empty row where none."""
        rows: list[dict[str, str]] = []
        for index, info in enumerate(preds.imgs_info):
            path = info.path or str(info.index)
            keep = self._kept(preds, index)
            boxes = to_original(preds.boxes[index][keep], info).tolist()
            labels, scores = preds.labels[index][keep].tolist(), preds.scores[index][keep].tolist()
            rows.extend(
                {
                    "path": path,
                    "label": self.label_info.label_names[label],
                    "score": f"{score:.4f}",
                    **{key: f"{value:.1f}" for key, value in zip(("x1", "y1", "x2", "y2"), box, strict=True)},
                }
                for box, label, score in zip(boxes, labels, scores, strict=True)
            )
            if not labels:
                rows.append({"path": path, "label": "", "score": "", "x1": "", "y1": "", "x2": "", "y2": ""})
        return rows

    def draw_prediction(self, image: Tensor, preds: DetBatchPredEntity, index: int) -> Tensor:
        """Detections above ``score_threshold`` as captioned boxes."""
        keep = self._kept(preds, index)
        labels = preds.labels[index][keep].tolist()
        colors = label_colors(self.label_info.num_classes)
        image = self._draw_masks(image, preds, index, keep, [colors[label] for label in labels])
        captions = [
            f"{self.label_info.label_names[label]} {score:.2f}"
            for label, score in zip(labels, preds.scores[index][keep].tolist(), strict=True)
        ]
        boxes = to_original(preds.boxes[index][keep], preds.imgs_info[index])
        return draw_boxes(image, boxes, captions, [colors[label] for label in labels])

    def _draw_masks(
        self, image: Tensor, preds: DetBatchPredEntity, index: int, keep: Tensor, colors: list[tuple[int, int, int]]
    ) -> Tensor:
        return image

    def export_output_names(self) -> tuple[str, ...]:
        """``boxes`` ``(B, K, 5)`` (XYXY pixels and score) and ``labels`` ``(B, K)``."""
        return ("boxes", "labels")

    def export_metadata(self) -> dict[str, str]:
        """Model API's SSD-style detection wrapper: final boxes with scores, and labels."""
        return {
            "model_type": "ssd",
            "task_type": "detection",
            "confidence_threshold": str(self.score_threshold),
            "iou_threshold": "0.5",
        }


class OTXInstanceSegModel(OTXDetectionModel):
    """An instance-segmentation model: COCO box and mask metrics, masks drawn under the boxes."""

    monitor = "val/mask_map_50"
    iou_types: tuple[IoUType, ...] = ("bbox", "segm")

    def metric_inputs(self, preds: DetBatchPredEntity, batch: DetBatchDataEntity) -> tuple[Any, Any]:
        """As for detection, with boolean masks."""
        if not (isinstance(preds, InstSegBatchPredEntity) and isinstance(batch, InstSegBatchDataEntity)):
            msg = f"{type(self).__name__} needs instance-segmentation batches and predictions"
            raise TypeError(msg)
        predicted, truth = super().metric_inputs(preds, batch)
        for entry, masks in zip(predicted, preds.masks, strict=True):
            entry["masks"] = masks
        for entry, masks in zip(truth, batch.masks, strict=True):
            entry["masks"] = masks
        return predicted, truth

    def _draw_masks(
        self, image: Tensor, preds: DetBatchPredEntity, index: int, keep: Tensor, colors: list[tuple[int, int, int]]
    ) -> Tensor:
        if not isinstance(preds, InstSegBatchPredEntity):
            return image
        masks = preds.masks[index][keep]
        if len(masks):
            masks = F.interpolate(masks[None].float(), size=tuple(image.shape[-2:]), mode="nearest")[0] > 0.5
        return overlay_masks(image, masks.to(torch.bool), colors)

    def explain(self, batch: DetBatchDataEntity) -> Tensor:
        """Per class and pixel, the most confident predicted instance mask: ``max(score * mask)``, ``(B, C, H, W)``."""
        preds = self.predict_batch(batch)
        if not isinstance(preds, InstSegBatchPredEntity):
            msg = f"{type(self).__name__} returned no instance masks"
            raise TypeError(msg)
        height, width = batch.images.shape[-2:]
        saliency = batch.images.new_zeros(len(preds.masks), self.label_info.num_classes, height, width)
        for index, (masks, scores, labels) in enumerate(zip(preds.masks, preds.scores, preds.labels, strict=True)):
            for mask, score, label in zip(masks, scores, labels.long(), strict=True):
                weighted = mask.float() * score
                saliency[index, label] = torch.maximum(saliency[index, label], weighted)
        return saliency

    def export_output_names(self) -> tuple[str, ...]:
        """As for detection, then ``masks`` ``(B, K, H, W)`` (one per box)."""
        return ("boxes", "labels", "masks")

    def export_metadata(self) -> dict[str, str]:
        """Model API's Mask R-CNN-style wrapper: boxes with scores, labels and per-box masks."""
        return {**super().export_metadata(), "model_type": "MaskRCNN", "task_type": "instance_segmentation"}
