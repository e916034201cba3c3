"""A detector trained by the Engine is rebuilt from its checkpoint alone with ``load_from_checkpoint``."""

from pathlib import Path
from typing import Any

import pytest
import torch
import yaml

from otx.detection.models.tiny_det import TinyDetector
from otx.engine import Engine
from otx.engine.build import build_datamodule
from otx.engine.checkpoint import read_checkpoint

pytestmark = pytest.mark.e2e

SMALL = {
    "data.input_size": [48, 64],
    "data.batch_size": 4,
    "data.num_workers": 0,
    "model.init_args.widths": [8, 16, 32, 32],
    "model.init_args.neck_width": 16,
}


def test_model_rebuilt_from_checkpoint_predicts_as_the_engine(tmp_path: Path, make: Any) -> None:
    data = make.coco(tmp_path / "coco", {"train": 8, "val": 4})
    work_dir = tmp_path / "ws"
    Engine(data_root=data, model="tiny_det", work_dir=work_dir, overrides=SMALL).train(max_epochs=1)
    best = work_dir / ".latest" / "train" / "checkpoints" / "best.ckpt"
    expected = Engine(work_dir=work_dir).predict(checkpoint=best)

    hparams = torch.load(best, weights_only=True)["hyper_parameters"]
    yaml.safe_dump(hparams)  # plain data only: anything else does not serialize
    assert sorted(hparams["label_info"]) == sorted(make.names)
    assert hparams["neck_width"] == 16
    assert "pretrained" not in hparams
    model = TinyDetector.load_from_checkpoint(best).eval()
    batches = build_datamodule(read_checkpoint(best).config).predict_dataloader()
    for reference, batch in zip(expected, batches, strict=True):
        with torch.no_grad():
            preds = model.predict_batch(batch)
        assert [info.path for info in preds.imgs_info] == [info.path for info in reference.imgs_info]
        for field in ("boxes", "scores", "labels"):
            ours, theirs = getattr(preds, field), getattr(reference, field)
            assert all(torch.equal(a, b) for a, b in zip(ours, theirs, strict=True)), field
