"""``OTXMulticlassClsModel``: the task half of every multi-class classifier (loss, predictions, metrics)."""

from typing import Any, Unpack

import torch.nn.functional as F  # noqa: N812
from torch import Tensor
from torchmetrics import MetricCollection

from otx.classification.entities import MulticlassClsBatchDataEntity, MulticlassClsBatchPredEntity
from otx.classification.metrics import multiclass_metrics
from otx.core.data.entity import OTXBatchLossEntity
from otx.core.model.base import OTXModel, OTXModelArgs
from otx.core.visualize import draw_caption, label_colors

__all__ = ["ClsModelArgs", "OTXMulticlassClsModel"]


class ClsModelArgs(OTXModelArgs, total=False):
    """Keyword arguments of every classifier: the base ones and the loss's label smoothing."""

    label_smoothing: float


class OTXMulticlassClsModel(OTXModel[MulticlassClsBatchDataEntity, MulticlassClsBatchPredEntity]):
    """A classifier whose module maps images ``(B, 3, H, W)`` to logits ``(B, C)``.

    Subclasses write :meth:`create_model`; foreign modules also adapt their inputs/outputs.
    """

    monitor = "val/accuracy"

    def __init__(self, *, label_smoothing: float = 0.1, **base: Unpack[OTXModelArgs]) -> None:
        self.label_smoothing = label_smoothing
        super().__init__(**base)

    def create_metric(self) -> MetricCollection:
        """Top-1 accuracy, macro F1 and per-class accuracy."""
        return multiclass_metrics(self.label_info.num_classes)

    def export_metadata(self) -> dict[str, str]:
        """Model API's single-label classification wrapper, reading logits."""
        return {
            "model_type": "Classification",
            "task_type": "classification",
            "multilabel": "False",
            "hierarchical": "False",
            "confidence_threshold": "0.5",
            "output_raw_scores": "True",
        }

    def export_output_names(self) -> tuple[str, ...]:
        """One output: the class logits ``(B, C)``."""
        return ("logits",)

    def customize_outputs(
        self, outputs: Any, batch: MulticlassClsBatchDataEntity
    ) -> OTXBatchLossEntity | MulticlassClsBatchPredEntity:
        """Cross-entropy in training; softmax scores and arg-max labels otherwise."""
        logits: Tensor = outputs
        if self.training:
            loss = F.cross_entropy(logits, batch.labels, label_smoothing=self.label_smoothing)
            return OTXBatchLossEntity({"cross_entropy": loss})
        scores = logits.softmax(dim=1)
        return MulticlassClsBatchPredEntity(imgs_info=batch.imgs_info, scores=scores, labels=scores.argmax(dim=1))

    def prediction_rows(self, preds: MulticlassClsBatchPredEntity) -> list[dict[str, str]]:
        """Path, predicted label and its probability for each image."""
        best = preds.scores.gather(1, preds.labels[:, None])[:, 0].tolist()
        return [
            {"path": info.path or str(info.index), "label": self.label_info.label_names[label], "score": f"{score:.4f}"}
            for info, label, score in zip(preds.imgs_info, preds.labels.tolist(), best, strict=True)
        ]

    def draw_prediction(self, image: Tensor, preds: MulticlassClsBatchPredEntity, index: int) -> Tensor:
        """The image framed and captioned with its predicted label and probability."""
        label = int(preds.labels[index])
        caption = f"{self.label_info.label_names[label]} {float(preds.scores[index, label]):.2f}"
        return draw_caption(image, caption, label_colors(self.label_info.num_classes)[label])

    def metric_inputs(
        self, preds: MulticlassClsBatchPredEntity, batch: MulticlassClsBatchDataEntity
    ) -> tuple[Tensor, Tensor]:
        """Predicted and true labels."""
        return preds.labels, batch.labels
