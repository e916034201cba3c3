"""A segmentation model trained by the Engine is rebuilt from its checkpoint alone with ``load_from_checkpoint``."""

from pathlib import Path

import pytest
import torch
import yaml

from otx.engine import Engine
from otx.engine.build import build_datamodule
from otx.engine.checkpoint import read_checkpoint
from otx.segmentation.models.tiny_seg import TinySegModel

pytestmark = pytest.mark.e2e

SMALL = {
    "data.input_size": [32, 32],
    "data.batch_size": 4,
    "data.num_workers": 0,
    "model.init_args.widths": [8, 16, 16, 32],
    "model.init_args.decoder_width": 8,
}


def test_model_rebuilt_from_checkpoint_predicts_as_the_engine(tmp_path: Path, common_root: Path) -> None:
    work_dir = tmp_path / "ws"
    Engine(data_root=common_root, model="tiny_seg", work_dir=work_dir, overrides=SMALL).train(max_epochs=1)
    best = work_dir / ".latest" / "train" / "checkpoints" / "best.ckpt"
    expected = Engine(work_dir=work_dir).predict(checkpoint=best)

    hparams = torch.load(best, weights_only=True)["hyper_parameters"]
    yaml.safe_dump(hparams)  # plain data only: anything else does not serialize
    assert sorted(hparams["label_info"]) == ["background", "object"]
    assert hparams["decoder_width"] == 8
    assert "pretrained" not in hparams
    model = TinySegModel.load_from_checkpoint(best).eval()
    batches = build_datamodule(read_checkpoint(best).config).predict_dataloader()
    for reference, batch in zip(expected, batches, strict=True):
        with torch.no_grad():
            preds = model.predict_step(batch, 0)
        assert [info.path for info in preds.imgs_info] == [info.path for info in reference.imgs_info]
        assert torch.equal(preds.scores, reference.scores)
        assert torch.equal(preds.labels, reference.labels)
