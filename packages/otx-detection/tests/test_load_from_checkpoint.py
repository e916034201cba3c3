"""A detector trained by the Engine is rebuilt from its checkpoint alone with ``load_from_checkpoint``."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from otx.detection.models.tiny_det import TinyDetector
from otx.engine import Engine

pytestmark = pytest.mark.e2e

SMALL = {
    "data.input_size": [48, 64],
    "data.batch_size": 4,
    "data.num_workers": 0,
    "model.init_args.widths": [8, 16, 32, 32],
    "model.init_args.neck_width": 16,
}


def test_model_rebuilt_from_checkpoint_predicts_as_the_engine(
    tmp_path: Path, make: Any, rebuild_from_checkpoint: Callable[..., Any]
) -> None:
    data = make.coco(tmp_path / "coco", {"train": 8, "val": 4})
    work_dir = tmp_path / "ws"
    Engine(data_root=data, model="tiny_det", work_dir=work_dir, overrides=SMALL).train(max_epochs=1)
    rebuilt = rebuild_from_checkpoint(TinyDetector, work_dir)
    assert sorted(rebuilt.hparams["label_info"]) == sorted(make.names)
    assert rebuilt.hparams["neck_width"] == 16
    assert "pretrained" not in rebuilt.hparams
    for preds, reference in rebuilt.pairs:
        for field in ("boxes", "scores", "labels"):
            ours, theirs = getattr(preds, field), getattr(reference, field)
            assert all(torch.equal(a, b) for a, b in zip(ours, theirs, strict=True)), field
