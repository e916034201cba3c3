"""Detection saliency: TinyDet's class probability maps from ``otx explain`` and from an IR exported with them.

Model API's SSD wrapper returns the IR's ``saliency_map`` as ``result.saliency_map``; it is compared with
OTX's maps on images already at the input size (so that neither side resizes), tolerance 1e-3.
"""

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from otx.engine import Engine

pytestmark = pytest.mark.e2e

TINY = {
    "data.input_size": [48, 64],
    "data.batch_size": 4,
    "data.num_workers": 0,
    "model.init_args.widths": [8, 16, 32, 32],
    "model.init_args.neck_width": 16,
}


class _Batch:
    """The part of a batch that ``OTXModel.explain`` reads."""

    def __init__(self, images: torch.Tensor) -> None:
        self.images = images


def test_detector_saliency_in_otx_explain_and_model_api(tmp_path: Path, make: Any) -> None:
    from model_api.models import Model

    from otx.engine.build import build_model

    coco = make.coco(tmp_path / "coco", {"train": 4, "val": 2})
    work_dir = tmp_path / "ws"
    Engine(data_root=coco, work_dir=work_dir, overrides=TINY).train(max_epochs=1)
    folder = Engine(work_dir=work_dir).explain()
    arrays = sorted(folder.glob("*.npz"))
    assert len(arrays) == 2
    saved = np.load(arrays[0])
    assert saved["saliency"].shape == (len(saved["labels"]), 6, 8)  # the stride-8 level of a 48x64 input
    assert len(list(folder.glob("*.png"))) == 2 * len(saved["labels"])

    engine = Engine(work_dir=work_dir)
    xml = engine.export(formats=("openvino",), explain=True)["OpenVINO IR FP32"]
    plan = engine.plan("explain")
    model = build_model(plan.config, plan.checkpoint).eval()
    path = next((coco / "images" / "val").iterdir())
    rgb = np.asarray(Image.open(path).convert("RGB"))
    normalized = torch.from_numpy(rgb).permute(2, 0, 1).float() / 255
    normalized = (normalized - torch.tensor(plan.config.data.mean)[:, None, None]) / torch.tensor(plan.config.data.std)[
        :, None, None
    ]
    with torch.no_grad():
        ours = model.explain(_Batch(normalized[None]))
    result = Model.create_model(str(xml), preload=True)(rgb[..., ::-1].copy())
    assert np.asarray(result.saliency_map).shape == tuple(ours.shape)
    assert np.abs(np.asarray(result.saliency_map) - ours.numpy()).max() < 1e-3
    assert np.asarray(result.feature_vector).shape == (1, 3 * 16)
