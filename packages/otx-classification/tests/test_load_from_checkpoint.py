"""A classifier trained by the Engine is rebuilt from its checkpoint alone with ``load_from_checkpoint``."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from otx.classification.models.tiny_resnet import TinyResNetClassifier
from otx.engine import Engine

pytestmark = pytest.mark.e2e

SMALL = {
    "data.input_size": [32, 32],
    "data.batch_size": 4,
    "data.num_workers": 0,
    "model.init_args.widths": [8, 16, 16, 32],
}


def test_model_rebuilt_from_checkpoint_predicts_as_the_engine(
    tmp_path: Path, class_folders_writer: Callable[..., Path], rebuild_from_checkpoint: Callable[..., Any]
) -> None:
    data = class_folders_writer(tmp_path / "data", {"blue": 8, "red": 8, "green": 8})
    work_dir = tmp_path / "ws"
    Engine(data_root=data, model="tiny_resnet", work_dir=work_dir, overrides=SMALL).train(max_epochs=1)
    rebuilt = rebuild_from_checkpoint(TinyResNetClassifier, work_dir)
    assert sorted(rebuilt.hparams["label_info"]) == ["blue", "green", "red"]
    assert rebuilt.hparams["widths"] == [8, 16, 16, 32]
    assert "pretrained" not in rebuilt.hparams
    for preds, reference in rebuilt.pairs:
        assert torch.equal(preds.scores, reference.scores)
        assert torch.equal(preds.labels, reference.labels)
