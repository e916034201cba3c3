"""``OTXSegmentationModel``: the task half of every semantic segmentation model (loss, predictions, metrics).

A model's module maps images ``(B, 3, H, W)`` to class logits ``(B, C, h, w)`` at any resolution;
this class resizes them to the input size, trains with cross-entropy that skips ignored pixels and
predicts the arg-max class per pixel. The exported graph ends in per-pixel class probabilities
``(B, C, H, W)``, which OpenVINO Model API's ``SegmentationModel`` reads.
"""

from typing import Any, Unpack, cast

import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor, nn
from torchmetrics import MetricCollection

from otx.core.data.entity import OTXBatchLossEntity
from otx.core.model.base import OTXModel, OTXModelArgs
from otx.core.model.figures import ClassBars, ConfusionCounts, FigureData
from otx.core.model.incremental import ClassAxis, last_layer_axes, layer_axes
from otx.core.visualize import label_colors, overlay_masks
from otx.segmentation.entities import IGNORE_INDEX, SegBatchDataEntity, SegBatchPredEntity
from otx.segmentation.metrics import SegmentationScores, segmentation_metrics

__all__ = ["OTXSegmentationModel", "SegModelArgs", "SoftPrediction"]

BACKGROUND_NAMES = frozenset({"background", "_background_", "void", "unlabeled", "unlabelled"})
"""Label names (lower case) that ``otx predict --save_images`` leaves undrawn."""


class SoftPrediction(nn.Module):
    """The deployment graph: normalized images -> class probabilities at the input size.

    It runs the model's own ``customize_inputs`` / module / ``customize_outputs``, so foreign modules
    export without a hook of their own.
    """

    def __init__(self, model: "OTXSegmentationModel") -> None:
        super().__init__()
        self.network = model.model
        # bound methods, not the Lightning module itself: tracing must see only the network
        self.customize_inputs, self.customize_outputs = model.customize_inputs, model.customize_outputs
        self.model_name = type(model).__name__

    def forward(self, images: Tensor) -> Tensor:
        """Per-pixel class probabilities ``(B, C, H, W)``."""
        batch = SegBatchDataEntity(images=images, imgs_info=[], masks=images.new_zeros(0, dtype=torch.long))
        preds = self.customize_outputs(self.network(**self.customize_inputs(batch)), batch)
        if not isinstance(preds, SegBatchPredEntity) or preds.probabilities is None:
            msg = f"{self.model_name} must return probabilities in eval mode to be exported"
            raise TypeError(msg)
        return preds.probabilities


class SegModelArgs(OTXModelArgs, total=False):
    """Keyword arguments of every segmentation model: the base ones and the loss's label smoothing."""

    label_smoothing: float


class OTXSegmentationModel(OTXModel[SegBatchDataEntity, SegBatchPredEntity]):
    """A semantic segmentation model. Subclasses write :meth:`create_model`; foreign modules also adapt I/O."""

    monitor = "val/mIoU"
    saliency_in_prediction = True

    def __init__(self, *, label_smoothing: float = 0.0, **base: Unpack[OTXModelArgs]) -> None:
        self.label_smoothing = label_smoothing
        super().__init__(**base)

    def class_axis_params(self) -> dict[str, ClassAxis]:
        """The classifier convolutions: the last layer with one output per class, and any ``*classifier*`` one."""
        classes = self.label_info.num_classes
        named = [
            name
            for name, layer in self.model.named_modules()
            if "classifier" in name and isinstance(layer, nn.Conv2d) and layer.out_channels == classes
        ]
        return {**last_layer_axes(self.model, classes), **layer_axes(self.model, named)}

    def create_metric(self) -> MetricCollection:
        """mIoU, Dice, pixel accuracy and per-class IoU."""
        return segmentation_metrics(self.label_info.num_classes)

    def metric_inputs(self, preds: SegBatchPredEntity, batch: SegBatchDataEntity) -> tuple[Tensor, Tensor]:
        """Predicted and true label maps."""
        return preds.labels, batch.masks

    def figure_data(self, metric: MetricCollection) -> list[FigureData]:
        """The pixel confusion matrix and the IoU of each class."""
        names = self.label_info.label_names
        scores = cast(SegmentationScores, metric["scores"])
        counts = scores.confusion.tolist()
        iou = scores.compute()["iou"].tolist()
        return [
            ConfusionCounts(labels=names, counts=tuple(map(tuple, counts)), unit="pixels"),
            ClassBars(title="IoU per class", labels=names, values=tuple(iou)),
        ]

    def targets_as_predictions(self, batch: SegBatchDataEntity) -> SegBatchPredEntity:
        """The true label maps (ignored pixels drawn as none), with probability 1."""
        return SegBatchPredEntity(
            imgs_info=batch.imgs_info, scores=torch.ones_like(batch.masks, dtype=torch.float32), labels=batch.masks
        )

    def customize_outputs(self, outputs: Any, batch: SegBatchDataEntity) -> OTXBatchLossEntity | SegBatchPredEntity:
        """Cross-entropy over labelled pixels in training; arg-max classes and their probability otherwise.

        ``outputs`` are logits ``(B, C, h, w)`` at any resolution; they are resized (bilinear) to the input's.
        """
        logits = F.interpolate(outputs, size=batch.images.shape[-2:], mode="bilinear", align_corners=False)
        if self.training:
            if not bool((batch.masks != IGNORE_INDEX).any()):  # nothing labelled in this batch: no gradient signal
                return OTXBatchLossEntity({"cross_entropy": logits.sum() * 0.0})
            loss = F.cross_entropy(logits, batch.masks, ignore_index=IGNORE_INDEX, label_smoothing=self.label_smoothing)
            return OTXBatchLossEntity({"cross_entropy": loss})
        return self._predictions(logits.softmax(dim=1), batch)

    def predictions_from_export(self, outputs: Any, batch: SegBatchDataEntity) -> SegBatchPredEntity:
        """The exported graph already gives probabilities."""
        return self._predictions(outputs, batch)

    @staticmethod
    def _predictions(probabilities: Tensor, batch: SegBatchDataEntity) -> SegBatchPredEntity:
        scores, labels = probabilities.max(dim=1)
        return SegBatchPredEntity(imgs_info=batch.imgs_info, scores=scores, labels=labels, probabilities=probabilities)

    def predict_step(self, batch: SegBatchDataEntity, batch_idx: int) -> SegBatchPredEntity:
        """Predictions without the full probability maps, which ``otx predict`` would otherwise keep for every image."""
        preds = self.predict_batch(batch)
        preds.probabilities = None
        return preds

    def export_module(self) -> nn.Module:
        """Images -> class probabilities at the input size (see :class:`SoftPrediction`)."""
        return SoftPrediction(self)

    def explain_module(self) -> nn.Module:
        """Per-pixel class probabilities as the maps, their per-class means as the feature vector."""
        return _ProbabilityMaps(SoftPrediction(self))

    def export_output_names(self) -> tuple[str, ...]:
        """One output: per-pixel class probabilities."""
        return ("soft_prediction",)

    def export_metadata(self) -> dict[str, str]:
        """Model API's ``SegmentationModel``: arg-max of the probabilities, no blur, no threshold."""
        return {
            "model_type": "Segmentation",
            "task_type": "segmentation",
            "blur_strength": "-1",
            "soft_threshold": "-inf",
            "return_soft_prediction": "True",
        }

    def prediction_rows(self, preds: SegBatchPredEntity) -> list[dict[str, str]]:
        """Path, the share of pixels of each predicted class and the mean probability of the predictions."""
        rows = []
        names = self.label_info.label_names
        for info, labels, scores in zip(preds.imgs_info, preds.labels, preds.scores, strict=True):
            counts = torch.bincount(labels.flatten(), minlength=len(names)).double() / labels.numel()
            shares = " ".join(f"{names[i]}:{float(c):.3f}" for i, c in enumerate(counts) if c > 0)
            score = f"{float(scores.mean()):.4f}"
            rows.append({"path": info.path or str(info.index), "classes": shares, "score": score})
        return rows

    def draw_prediction(self, image: Tensor, preds: SegBatchPredEntity, index: int) -> Tensor:
        """The image with each predicted class but background overlaid in its colour."""
        height, width = image.shape[-2:]
        labels = F.interpolate(preds.labels[index][None, None].float(), size=(height, width), mode="nearest")[0, 0]
        colors = label_colors(self.label_info.num_classes)
        drawn = [i for i, name in enumerate(self.label_info.label_names) if name.lower() not in BACKGROUND_NAMES]
        masks = torch.stack([labels == i for i in drawn]) if drawn else labels.new_zeros(0, height, width).bool()
        return overlay_masks(image, masks.cpu(), [colors[i] for i in drawn])


class _ProbabilityMaps(nn.Module):
    """Images to ``(class probabilities (B, C, H, W), mean probability per class (B, C))``."""

    def __init__(self, soft: SoftPrediction) -> None:
        super().__init__()
        self.soft = soft

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """Saliency maps and the feature vector."""
        probabilities = self.soft(images)
        return probabilities, probabilities.mean(dim=(2, 3))
