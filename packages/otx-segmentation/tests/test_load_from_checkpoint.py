"""A segmentation model trained by the Engine is rebuilt from its checkpoint alone with ``load_from_checkpoint``."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from otx.engine import Engine
from otx.segmentation.models.tiny_seg import TinySegModel

pytestmark = pytest.mark.e2e

SMALL = {
    "data.input_size": [32, 32],
    "data.batch_size": 4,
    "data.num_workers": 0,
    "model.init_args.widths": [8, 16, 16, 32],
    "model.init_args.decoder_width": 8,
}


def test_model_rebuilt_from_checkpoint_predicts_as_the_engine(
    tmp_path: Path, common_root: Path, rebuild_from_checkpoint: Callable[..., Any]
) -> None:
    work_dir = tmp_path / "ws"
    Engine(data_root=common_root, model="tiny_seg", work_dir=work_dir, overrides=SMALL).train(max_epochs=1)
    rebuilt = rebuild_from_checkpoint(TinySegModel, work_dir)
    assert sorted(rebuilt.hparams["label_info"]) == ["background", "object"]
    assert rebuilt.hparams["decoder_width"] == 8
    assert "pretrained" not in rebuilt.hparams
    for preds, reference in rebuilt.pairs:
        assert torch.equal(preds.scores, reference.scores)
        assert torch.equal(preds.labels, reference.labels)
