"""``OTXModel``'s base arguments: typed or plain, saved as plain hyper-parameters, rebuilt from them."""

from pathlib import Path
from typing import Any, Unpack

import pytest
import torch
from torch import nn
from torchmetrics import MetricCollection

from otx.core.config.recipe import OptimizerConfig, SchedulerConfig
from otx.core.data.entity import OTXBatchDataEntity, OTXBatchPredEntity
from otx.core.errors import ConfigError
from otx.core.model.base import OTXModel, OTXModelArgs
from otx.core.types.label import LabelInfo


class _Linear(OTXModel[OTXBatchDataEntity, OTXBatchPredEntity]):
    """The least a model writes: a module, and the task's hooks left unused."""

    monitor = "val/score"

    def __init__(self, width: int = 4, **base: Unpack[OTXModelArgs]) -> None:
        self.width = width
        super().__init__(**base)

    def create_model(self) -> nn.Module:
        return nn.Linear(self.width, self.label_info.num_classes)

    def create_metric(self) -> MetricCollection:
        return MetricCollection({})

    def metric_inputs(self, preds: OTXBatchPredEntity, batch: OTXBatchDataEntity) -> tuple[Any, Any]:
        raise NotImplementedError

    def prediction_rows(self, preds: OTXBatchPredEntity) -> list[dict[str, str]]:
        raise NotImplementedError

    def customize_outputs(self, outputs: Any, batch: OTXBatchDataEntity) -> OTXBatchPredEntity:
        raise NotImplementedError

    def export_output_names(self) -> tuple[str, ...]:
        return ("scores",)

    def export_metadata(self) -> dict[str, str]:
        return {}


def test_typed_arguments_are_saved_as_plain_data(tmp_path: Path) -> None:
    weights = tmp_path / "weights.pth"
    source = _Linear(label_info=["a", "b"]).model.state_dict()
    torch.save(source, weights)
    model = _Linear(
        label_info=LabelInfo.from_names(["a", "b"]),
        optimizer=OptimizerConfig(name="SGD", lr=0.1, params={"momentum": 0.9}),
        scheduler=SchedulerConfig(name="constant"),
        pretrained=str(weights),
        width=4,
    )
    assert torch.equal(model.model.weight, source["weight"])  # loaded, but not saved: a rebuild skips it
    assert dict(model.hparams) == {
        "label_info": ["a", "b"],
        "optimizer": {"name": "SGD", "lr": 0.1, "params": {"momentum": 0.9}},
        "scheduler": {"name": "constant", "warmup_epochs": 0.0, "min_lr_ratio": 0.01},
        "width": 4,
    }


def test_plain_arguments_rebuild_the_same_model() -> None:
    model = _Linear(label_info=("a", "b", "c"), optimizer={"name": "SGD", "lr": 0.5}, width=2)
    rebuilt = _Linear(**model.hparams)
    assert rebuilt.label_info == LabelInfo.from_names(["a", "b", "c"])
    assert rebuilt.optimizer_config == OptimizerConfig(name="SGD", lr=0.5)
    assert rebuilt.scheduler_config == SchedulerConfig()
    assert rebuilt.model.in_features == 2


def test_plain_configs_are_checked_like_recipes() -> None:
    with pytest.raises(ConfigError, match="optimizer.lrr"):
        _Linear(label_info=["a"], optimizer={"lrr": 0.1})
