"""``OTXModel``: the Lightning module every OTX model is, generic in its batch and prediction types.

A model author writes :meth:`OTXModel.create_model` and, for modules from other libraries,
:meth:`OTXModel.customize_inputs` / :meth:`OTXModel.customize_outputs`::

    class MyClassifier(OTXMulticlassClsModel):
        def create_model(self) -> nn.Module:
            return timm.create_model("resnet18", num_classes=self.label_info.num_classes)

Models take keyword arguments only: those of :class:`OTXModelArgs`, and each subclass's own,
which it declares before passing the rest on as ``**base``. The constructor arguments are saved as plain
hyper-parameters, so a trained model is rebuilt from its checkpoint alone::

    model = MyClassifier.load_from_checkpoint("best.ckpt")
"""

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Generic, Required, TypedDict, TypeVar, Unpack

from lightning import LightningModule
from lightning.pytorch.utilities.types import OptimizerLRSchedulerConfig
from torch import Tensor, nn
from torchmetrics import MetricCollection

from otx.core.config.recipe import OptimizerConfig, SchedulerConfig
from otx.core.config.structure import structure, unstructure
from otx.core.data.entity import OTXBatchDataEntity, OTXBatchLossEntity, OTXBatchPredEntity
from otx.core.errors import ConfigError
from otx.core.model.figures import FigureData
from otx.core.model.incremental import ClassAxis
from otx.core.model.optim import build_optimizer, build_scheduler
from otx.core.model.weights import load_pretrained
from otx.core.types.label import LabelInfo

__all__ = ["EPOCH_LOSS", "OTXModel", "OTXModelArgs"]

EPOCH_LOSS = "train/epoch_loss"
"""The mean training loss of each epoch, as logged (the run report plots it)."""

BatchT = TypeVar("BatchT", bound=OTXBatchDataEntity)
PredT = TypeVar("PredT", bound=OTXBatchPredEntity)
ConfigT = TypeVar("ConfigT", OptimizerConfig, SchedulerConfig)


class OTXModelArgs(TypedDict, total=False):
    """Keyword arguments of every OTX model: typed objects (as the Engine passes them) or plain data (as saved)."""

    label_info: Required[LabelInfo | Sequence[str] | Mapping[str, Any]]
    """The classes, their names in order, or a label info as plain data (as saved where it has a hierarchy)."""
    optimizer: OptimizerConfig | Mapping[str, Any] | None
    scheduler: SchedulerConfig | Mapping[str, Any] | None
    pretrained: str | None
    """Path or URL of weights to start from; not saved, so a model rebuilt from its checkpoint skips it."""


class OTXModel(LightningModule, Generic[BatchT, PredT]):
    """Trains and evaluates ``self.model`` on typed batches.

    ``forward(batch)`` returns an :class:`OTXBatchLossEntity` in training mode and a ``PredT``
    otherwise. Subclasses per task define the metrics; subclasses per model define the module.
    """

    monitor: ClassVar[str]
    """The validation metric the best checkpoint is chosen by (higher is better); each task sets it."""
    saliency_in_prediction: ClassVar[bool] = False
    """Whether the exported prediction is itself the saliency (per-pixel class probabilities): ``export
    --explain`` then adds only ``feature_vector``, as Model API's segmentation wrapper reads it."""

    def __init__(self, **base: Unpack[OTXModelArgs]) -> None:
        super().__init__()
        self.label_info = _label_info(base["label_info"])
        self.optimizer_config = _config(base.get("optimizer"), OptimizerConfig, "optimizer")
        self.scheduler_config = _config(base.get("scheduler"), SchedulerConfig, "scheduler")
        # every subclass's constructor arguments, made plain so that checkpoints load with ``weights_only``
        self.save_hyperparameters(ignore=["pretrained"], logger=False)
        self.hparams.update(
            label_info=list(self.label_info.label_names)
            if self.label_info.hierarchy is None
            else unstructure(self.label_info),
            optimizer=unstructure(self.optimizer_config),
            scheduler=unstructure(self.scheduler_config),
        )
        self.model = self.create_model()
        if pretrained := base.get("pretrained"):
            heads = {key.removeprefix("model.") for key in self.class_axis_params()}
            load_pretrained(self.model, pretrained, heads)
        self.val_metric = self.create_metric()
        self.test_metric = self.create_metric()
        self.deployed: nn.Module | None = None

    @abstractmethod
    def create_model(self) -> nn.Module:
        """Build the network for ``self.label_info``."""

    @abstractmethod
    def create_metric(self) -> MetricCollection:
        """Build the task's metrics (a fresh instance each call)."""

    @abstractmethod
    def metric_inputs(self, preds: PredT, batch: BatchT) -> tuple[Any, Any]:
        """``(predictions, targets)`` as the metric collection's ``update`` takes them."""

    def metric_values(self, metric: MetricCollection) -> dict[str, Tensor]:
        """Scalar results of ``metric``: vectors become one entry per label (``name_<label>``).

        Matrices (a confusion matrix kept for :meth:`figure_data`) are not values.
        """
        values: dict[str, Tensor] = {}
        for name, value in metric.compute().items():
            if value.ndim == 0:
                values[name] = value
            elif value.ndim == 1:
                for label, per_class in zip(self.label_info.label_names, value, strict=True):
                    values[f"{name}_{label}"] = per_class
        return values

    def figure_data(self, metric: MetricCollection) -> list[FigureData]:
        """What the run report plots of ``metric`` (a validation or test epoch's, not reset yet); none by default.

        Each task's base gives its figures: a confusion matrix, precision-recall curves, per-class bars.
        """
        return []

    def targets_as_predictions(self, batch: BatchT) -> PredT | None:
        """The ground truth of ``batch`` as a prediction batch, so that :meth:`draw_prediction` draws it.

        The run report shows validation images with the predictions next to the ground truth; ``None``
        (the default) leaves the ground truth out.
        """
        return None

    @abstractmethod
    def prediction_rows(self, preds: PredT) -> list[dict[str, str]]:
        """One table row per image of a prediction batch (``predictions.csv``), starting with ``path``."""

    def draw_prediction(self, image: Tensor, preds: PredT, index: int) -> Tensor | None:
        """``image`` (``uint8 (3, H, W)``, as read from disk) with prediction ``index`` drawn on it.

        ``None`` where the task has nothing to draw; ``otx predict --save_images`` uses this.
        """
        return None

    def explain_module(self) -> nn.Module:
        """Images to ``(saliency (B, C, h, w) in [0, 1], feature vector (B, D))``, traceable for export.

        Each task's base provides it (``otx explain``, ``otx export --explain``); by default there is none.
        """
        raise ConfigError(f"{type(self).__name__} has no saliency maps (it defines no explain_module)")

    def explain(self, batch: BatchT) -> Tensor:
        """Saliency maps ``(B, C, h, w)`` in ``[0, 1]``, one per class, for a batch in eval mode."""
        saliency: Tensor = self.explain_module()(batch.images)[0]
        return saliency

    def class_axis_params(self) -> dict[str, ClassAxis]:
        """The state dict entries with one row per class, for class-incremental training; none by default.

        Each task's base declares its heads, so that training from a checkpoint on data with more
        classes keeps the rows of the known classes (matched by name) and adds fresh ones.
        """
        return {}

    def customize_inputs(self, batch: BatchT) -> dict[str, Any]:
        """Keyword arguments for ``self.model`` from our batch; override for foreign modules."""
        return {"x": batch.images}

    @abstractmethod
    def customize_outputs(self, outputs: Any, batch: BatchT) -> OTXBatchLossEntity | PredT:
        """Our loss entity (training) or prediction entity (otherwise) from the module's raw output."""

    def forward(self, batch: BatchT) -> OTXBatchLossEntity | PredT:
        """Run the module on a batch and convert its output (or the deployed model's, see :meth:`use_deployed`)."""
        if self.deployed is not None:
            return self.predictions_from_export(self.deployed(batch.images), batch)
        return self.customize_outputs(self.model(**self.customize_inputs(batch)), batch)

    def export_module(self) -> nn.Module:
        """The deployment graph: a module taking normalized images, returning :meth:`export_output_names`."""
        return self.model

    @abstractmethod
    def export_output_names(self) -> tuple[str, ...]:
        """Names of the exported graph's outputs, in order."""

    @abstractmethod
    def export_metadata(self) -> dict[str, str]:
        """Task entries of the IR's ``model_info`` that OpenVINO Model API reads (``model_type``, thresholds)."""

    def predictions_from_export(self, outputs: Any, batch: BatchT) -> OTXBatchLossEntity | PredT:
        """Our entity from the exported graph's outputs; by default they equal the module's."""
        return self.customize_outputs(outputs, batch)

    def use_deployed(self, module: nn.Module) -> None:
        """Predict with ``module`` (e.g. an OpenVINO IR taking images) instead of the trained network."""
        self.deployed = module

    def predict_batch(self, batch: BatchT) -> PredT:
        """Predictions for ``batch`` regardless of mode; errors if the model returns losses."""
        output = self(batch)
        if isinstance(output, OTXBatchLossEntity):
            msg = f"{type(self).__name__} returned losses outside training mode"
            raise TypeError(msg)
        return output

    def training_step(self, batch: BatchT, batch_idx: int) -> Tensor:
        """One optimisation step's loss, logged per named term."""
        output = self(batch)
        if not isinstance(output, OTXBatchLossEntity):
            msg = f"{type(self).__name__} must return losses in training mode"
            raise TypeError(msg)
        for name, value in output.losses.items():
            self.log(f"train/{name}", value, batch_size=batch.batch_size)
        total = output.total
        self.log("train/loss", total, prog_bar=True, batch_size=batch.batch_size)
        self.log(EPOCH_LOSS, total, on_step=False, on_epoch=True, batch_size=batch.batch_size)
        return total

    def validation_step(self, batch: BatchT, batch_idx: int) -> None:
        """Accumulate validation metrics."""
        self.val_metric.update(*self.metric_inputs(self.predict_batch(batch), batch))

    def test_step(self, batch: BatchT, batch_idx: int) -> None:
        """Accumulate test metrics."""
        self.test_metric.update(*self.metric_inputs(self.predict_batch(batch), batch))

    def predict_step(self, batch: BatchT, batch_idx: int) -> PredT:
        """Predictions for one batch."""
        return self.predict_batch(batch)

    def on_validation_epoch_end(self) -> None:
        """Log and reset validation metrics."""
        self._log_metrics(self.val_metric, "val")

    def on_test_epoch_end(self) -> None:
        """Log and reset test metrics."""
        self._log_metrics(self.test_metric, "test")

    def _log_metrics(self, metric: MetricCollection, prefix: str) -> None:
        for name, value in self.metric_values(metric).items():
            self.log(f"{prefix}/{name}", value, prog_bar=name == self.monitor.split("/")[-1])
        metric.reset()

    def configure_optimizers(self) -> OptimizerLRSchedulerConfig:
        """Optimizer and per-step schedule from the recipe."""
        optimizer = build_optimizer(self.parameters(), self.optimizer_config)
        total = int(self.trainer.estimated_stepping_batches)
        per_epoch = max(1, total // max(1, self.trainer.max_epochs or 1))
        scheduler = build_scheduler(optimizer, self.scheduler_config, total, per_epoch)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


def _config(value: ConfigT | Mapping[str, Any] | None, cls: type[ConfigT], name: str) -> ConfigT:
    """``value`` as a ``cls`` config: the default where ``None``, parsed where plain data."""
    if value is None:
        return cls()
    if isinstance(value, cls):
        return value
    return structure(value, cls, name)


def _label_info(value: LabelInfo | Sequence[str] | Mapping[str, Any]) -> LabelInfo:
    """``value`` as a label info: names in order, or plain data saved from one."""
    if isinstance(value, LabelInfo):
        return value
    if isinstance(value, Mapping):
        return structure(value, LabelInfo, "label_info")
    return LabelInfo.from_names(value)
