"""The task halves of every classifier: multi-class, multi-label and hierarchical.

Every classifier's module maps images ``(B, 3, H, W)`` to one logit per label ``(B, C)``, in label
order; the three tasks differ only in how logits become a loss, predictions, metrics and Model API
metadata. A model family (``tiny_resnet``, ``timm``) writes its network once and is combined with
each task base (see :mod:`otx.classification.models.tiny_resnet`).
"""

from typing import TYPE_CHECKING, Any, Literal, Unpack

import torch
import torch.nn.functional as F  # noqa: N812
from lightning.pytorch.trainer.states import TrainerFn
from torch import Tensor, nn
from torchmetrics import MetricCollection

from otx.classification.entities import (
    MulticlassClsBatchDataEntity,
    MulticlassClsBatchPredEntity,
    MultilabelClsBatchDataEntity,
    MultilabelClsBatchPredEntity,
)
from otx.classification.explain import classifier_saliency
from otx.classification.hierarchy import HeadLayout
from otx.classification.losses import asymmetric_loss
from otx.classification.metrics import hlabel_metrics, multiclass_metrics, multilabel_metrics
from otx.core.data.entity import OTXBatchLossEntity
from otx.core.model.base import OTXModel, OTXModelArgs
from otx.core.model.figures import ClassBars, ConfusionCounts, FigureData
from otx.core.model.incremental import ClassAxis, last_layer_axes
from otx.core.visualize import draw_caption, label_colors

__all__ = ["ClsModelArgs", "ClsModelFamily", "OTXHlabelClsModel", "OTXMulticlassClsModel", "OTXMultilabelClsModel"]


class ClsModelArgs(OTXModelArgs, total=False):
    """Keyword arguments of every classifier: the base ones and each task's loss settings."""

    label_smoothing: float
    loss: Literal["bce", "asl"]


class ClsModelFamily(OTXModel[Any, Any]):
    """A network family, written once and listed before each task base it is combined with.

    ``super()`` in a family is the task base that follows it: its ``__init__`` takes the task's own
    setting from :class:`ClsModelArgs` (another task's is a ``TypeError``) and its
    ``customize_outputs`` is the task's. The methods below tell the type checker so; at run time
    they are the task base's.
    """

    if TYPE_CHECKING:

        def __init__(self, **base: Unpack[ClsModelArgs]) -> None: ...

        def customize_outputs(self, outputs: Any, batch: Any) -> Any:
            """The task base's loss or predictions."""


def _export_info(**task: str) -> dict[str, str]:
    """Model API's classification wrapper, reading logits; ``task`` sets multilabel/hierarchical."""
    return {
        "model_type": "Classification",
        "task_type": "classification",
        "multilabel": "False",
        "hierarchical": "False",
        "confidence_threshold": "0.5",
        "output_raw_scores": "True",
        **task,
    }


def _path(info: Any) -> str:
    return str(info.path or info.index)


class OTXMulticlassClsModel(OTXModel[MulticlassClsBatchDataEntity, MulticlassClsBatchPredEntity]):
    """A classifier of one label per image: cross-entropy, softmax scores, top-1 label."""

    monitor = "val/accuracy"

    def __init__(self, *, label_smoothing: float = 0.1, **base: Unpack[OTXModelArgs]) -> None:
        self.label_smoothing = label_smoothing
        super().__init__(**base)

    def create_metric(self) -> MetricCollection:
        """Top-1 accuracy, macro F1 and per-class accuracy."""
        return multiclass_metrics(self.label_info.num_classes)

    def class_axis_params(self) -> dict[str, ClassAxis]:
        """The last layer with one output per class."""
        return last_layer_axes(self.model, self.label_info.num_classes)

    def export_metadata(self) -> dict[str, str]:
        """Model API's single-label classification wrapper."""
        return _export_info()

    def export_output_names(self) -> tuple[str, ...]:
        """One output: the class logits ``(B, C)``."""
        return ("logits",)

    def explain_module(self) -> nn.Module:
        """Recipro-CAM on the network's backbone and head, softmax scores."""
        return classifier_saliency(self.model, "softmax")

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
            {"path": _path(info), "label": self.label_info.label_names[label], "score": f"{score:.4f}"}
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

    def figure_data(self, metric: MetricCollection) -> list[FigureData]:
        """The confusion matrix of the images seen."""
        counts = metric["confusion"].compute().tolist()
        return [ConfusionCounts(labels=self.label_info.label_names, counts=tuple(map(tuple, counts)))]

    def targets_as_predictions(self, batch: MulticlassClsBatchDataEntity) -> MulticlassClsBatchPredEntity:
        """The true labels, with probability 1."""
        scores = F.one_hot(batch.labels, self.label_info.num_classes).float()
        return MulticlassClsBatchPredEntity(imgs_info=batch.imgs_info, scores=scores, labels=batch.labels)


class _MultiHotClsModel(OTXModel[MultilabelClsBatchDataEntity, MultilabelClsBatchPredEntity]):
    """What multi-label and hierarchical classifiers share: multi-hot labels, their rows and drawings."""

    def class_axis_params(self) -> dict[str, ClassAxis]:
        """The last layer with one output per label."""
        return last_layer_axes(self.model, self.label_info.num_classes)

    def export_output_names(self) -> tuple[str, ...]:
        """One output: the label logits."""
        return ("logits",)

    def explain_module(self) -> nn.Module:
        """Recipro-CAM on the network's backbone and head, each label's sigmoid score."""
        return classifier_saliency(self.model, "sigmoid")

    def _targets(self, batch: MultilabelClsBatchDataEntity) -> Tensor:
        return batch.multi_hot(self.label_info.num_classes)

    def metric_inputs(
        self, preds: MultilabelClsBatchPredEntity, batch: MultilabelClsBatchDataEntity
    ) -> tuple[tuple[Tensor, Tensor], Tensor]:
        """``(scores, predicted 0/1 labels)`` and the true 0/1 labels."""
        return (preds.scores, preds.labels), self._targets(batch)

    def targets_as_predictions(self, batch: MultilabelClsBatchDataEntity) -> MultilabelClsBatchPredEntity:
        """The true labels, with probability 1."""
        targets = self._targets(batch)
        return MultilabelClsBatchPredEntity(imgs_info=batch.imgs_info, scores=targets.float(), labels=targets)

    def _names(self, preds: MultilabelClsBatchPredEntity, index: int) -> list[tuple[str, float]]:
        chosen = preds.labels[index].nonzero()[:, 0].tolist()
        return [(self.label_info.label_names[i], float(preds.scores[index, i])) for i in chosen]

    def prediction_rows(self, preds: MultilabelClsBatchPredEntity) -> list[dict[str, str]]:
        """Path, the predicted labels (``;``-separated) and their probabilities."""
        rows = []
        for index, info in enumerate(preds.imgs_info):
            chosen = self._names(preds, index)
            rows.append(
                {
                    "path": _path(info),
                    "labels": ";".join(name for name, _ in chosen),
                    "scores": ";".join(f"{score:.4f}" for _, score in chosen),
                }
            )
        return rows

    def draw_prediction(self, image: Tensor, preds: MultilabelClsBatchPredEntity, index: int) -> Tensor:
        """The image framed and captioned with its predicted labels (``none`` where there are none)."""
        chosen = self._names(preds, index)
        caption = ", ".join(f"{name} {score:.2f}" for name, score in chosen) or "none"
        first = int(preds.labels[index].nonzero()[0, 0]) if chosen else 0
        return draw_caption(image, caption, label_colors(self.label_info.num_classes)[first])


class OTXMultilabelClsModel(_MultiHotClsModel):
    """Any number of labels per image: a yes/no output per label, each with its own threshold.

    The thresholds are chosen on the validation images at the end of each validation epoch of
    training (the one maximising each label's F1) and kept in the state dict
    (``threshold_logits``). Scores are calibrated to them: ``sigmoid(logit - logit(threshold))``,
    so a label is predicted where its score is above 0.5, in OTX and in Model API alike.
    """

    monitor = "val/map"
    threshold_logits: Tensor

    def __init__(self, *, loss: Literal["bce", "asl"] = "bce", **base: Unpack[OTXModelArgs]) -> None:
        self.loss = loss
        super().__init__(**base)
        self.register_buffer("threshold_logits", torch.zeros(self.label_info.num_classes))
        self._val_logits: list[tuple[Tensor, Tensor]] = []

    def create_metric(self) -> MetricCollection:
        """mAP, F1 micro and macro, per-class AP."""
        return multilabel_metrics(self.label_info.num_classes)

    def figure_data(self, metric: MetricCollection) -> list[FigureData]:
        """Average precision per label."""
        ap = metric["per_class_ap"].compute().tolist()
        return [ClassBars(title="average precision per label", labels=self.label_info.label_names, values=tuple(ap))]

    def class_axis_params(self) -> dict[str, ClassAxis]:
        """The head and the thresholds."""
        return {**super().class_axis_params(), "threshold_logits": ClassAxis()}

    def export_metadata(self) -> dict[str, str]:
        """Model API's multi-label wrapper: sigmoid of the calibrated logits, above 0.5."""
        return _export_info(multilabel="True")

    def export_module(self) -> nn.Module:
        """The network with the thresholds subtracted from its logits."""
        return _Shifted(self.model, self.threshold_logits)

    def customize_outputs(
        self, outputs: Any, batch: MultilabelClsBatchDataEntity
    ) -> OTXBatchLossEntity | MultilabelClsBatchPredEntity:
        """Binary cross-entropy (or asymmetric loss) in training; calibrated scores otherwise."""
        logits: Tensor = outputs
        if self.training:
            targets = self._targets(batch).float()
            if self.loss == "asl":
                return OTXBatchLossEntity({"asymmetric": asymmetric_loss(logits, targets)})
            return OTXBatchLossEntity({"bce": F.binary_cross_entropy_with_logits(logits, targets)})
        return self._predictions(logits - self.threshold_logits, batch)

    def predictions_from_export(
        self, outputs: Any, batch: MultilabelClsBatchDataEntity
    ) -> OTXBatchLossEntity | MultilabelClsBatchPredEntity:
        """The exported logits are calibrated already."""
        return self._predictions(outputs, batch)

    def _predictions(self, calibrated: Tensor, batch: MultilabelClsBatchDataEntity) -> MultilabelClsBatchPredEntity:
        scores = calibrated.sigmoid()
        return MultilabelClsBatchPredEntity(imgs_info=batch.imgs_info, scores=scores, labels=(scores > 0.5).long())

    def validation_step(self, batch: MultilabelClsBatchDataEntity, batch_idx: int) -> None:
        """Accumulate the metrics and the raw logits that thresholds are chosen on."""
        preds = self.predict_batch(batch)
        self.val_metric.update(*self.metric_inputs(preds, batch))
        raw = torch.logit(preds.scores, eps=1e-6) + self.threshold_logits
        self._val_logits.append((raw.detach().cpu(), self._targets(batch).cpu()))

    def on_validation_epoch_end(self) -> None:
        """Log the metrics; in training, then choose each label's threshold on this epoch's validation logits."""
        super().on_validation_epoch_end()
        if self._val_logits and self.trainer.state.fn == TrainerFn.FITTING:
            logits = torch.cat([s for s, _ in self._val_logits])
            targets = torch.cat([t for _, t in self._val_logits])
            self.threshold_logits.copy_(best_threshold_logits(logits, targets).to(self.threshold_logits))
        self._val_logits.clear()


def best_threshold_logits(logits: Tensor, targets: Tensor) -> Tensor:
    """Per label, the logit threshold (midway between two scores) with the best F1; 0 for a label never present."""
    chosen = torch.zeros(logits.shape[1])
    for label in range(logits.shape[1]):
        truth = targets[:, label].bool()
        if not truth.any():
            continue
        values = logits[:, label].sort().values
        candidates = torch.cat([values[:1] - 1, (values[1:] + values[:-1]) / 2, values[-1:] + 1])
        predicted = logits[:, label][None, :] > candidates[:, None]
        tp = (predicted & truth).sum(1)
        f1 = 2 * tp / (predicted.sum(1) + truth.sum()).clamp(min=1)
        chosen[label] = candidates[int(f1.argmax())]
    return chosen


class _Shifted(nn.Module):
    """``module(x) - shift``: logits calibrated so that 0 is each label's threshold."""

    shift: Tensor

    def __init__(self, module: nn.Module, shift: Tensor) -> None:
        super().__init__()
        self.module = module
        self.register_buffer("shift", shift.detach().clone())

    def forward(self, x: Tensor) -> Tensor:
        """Calibrated logits."""
        logits: Tensor = self.module(x)
        return logits - self.shift


class _Reordered(nn.Module):
    """``module(x)[:, order]``: logits in Model API's head order."""

    order: Tensor

    def __init__(self, module: nn.Module, order: list[int]) -> None:
        super().__init__()
        self.module = module
        self.register_buffer("order", torch.tensor(order, dtype=torch.long))

    def forward(self, x: Tensor) -> Tensor:
        """Reordered logits."""
        logits: Tensor = self.module(x)
        return logits.index_select(1, self.order)


class OTXHlabelClsModel(_MultiHotClsModel):
    """Hierarchical classification: a softmax head per exclusive group and a multi-label part.

    The loss is each head's cross-entropy over the images labelled in it, plus the binary
    cross-entropy of the multi-label part; predictions follow :meth:`HeadLayout.resolve`.
    """

    monitor = "val/score"

    def __init__(self, **base: Unpack[OTXModelArgs]) -> None:
        super().__init__(**base)
        self.layout = HeadLayout.of(self.label_info)

    def create_metric(self) -> MetricCollection:
        """Accuracy per head, mAP of the multi-label part, their mean ``score``."""
        return hlabel_metrics(HeadLayout.of(self.label_info))

    def _targets(self, batch: MultilabelClsBatchDataEntity) -> Tensor:
        return self.layout.with_ancestors(super()._targets(batch))

    def figure_data(self, metric: MetricCollection) -> list[FigureData]:
        """Accuracy per exclusive head (named by its first label), and the multi-label part's mAP."""
        values = {name: float(value) for name, value in metric.compute().items() if name != "score"}
        return [
            ClassBars(
                title="accuracy per head, mAP of the multi-label part",
                labels=tuple(values),
                values=tuple(values.values()),
            )
        ]

    def export_metadata(self) -> dict[str, str]:
        """Model API's hierarchical wrapper with its ``hierarchical_config``."""
        return _export_info(hierarchical="True", hierarchical_config=self.layout.model_api_config())

    def export_module(self) -> nn.Module:
        """The network with its logits in head order."""
        return _Reordered(self.model, self.layout.output_order)

    def customize_outputs(
        self, outputs: Any, batch: MultilabelClsBatchDataEntity
    ) -> OTXBatchLossEntity | MultilabelClsBatchPredEntity:
        """Per-head cross-entropy and multi-label BCE in training; resolved labels otherwise."""
        logits: Tensor = outputs
        if self.training:
            targets = self._targets(batch)
            losses = {}
            for number, (head, truth) in enumerate(
                zip(self.layout.heads, self.layout.head_targets(targets), strict=True)
            ):
                if (truth >= 0).any():
                    losses[f"head_{number}"] = F.cross_entropy(logits[:, list(head)], truth, ignore_index=-1)
            if self.layout.multilabel:
                ml = list(self.layout.multilabel)
                losses["multilabel"] = F.binary_cross_entropy_with_logits(logits[:, ml], targets[:, ml].float())
            return OTXBatchLossEntity(losses or {"none": logits.sum() * 0})
        scores = self.layout.scores(logits)
        return MultilabelClsBatchPredEntity(
            imgs_info=batch.imgs_info, scores=scores, labels=self.layout.resolve(scores)
        )

    def predictions_from_export(
        self, outputs: Any, batch: MultilabelClsBatchDataEntity
    ) -> OTXBatchLossEntity | MultilabelClsBatchPredEntity:
        """The exported logits in label order again."""
        inverse = torch.empty(len(self.layout.output_order), dtype=torch.long)
        inverse[torch.tensor(self.layout.output_order)] = torch.arange(len(inverse))
        return self.customize_outputs(outputs.index_select(1, inverse.to(outputs.device)), batch)
