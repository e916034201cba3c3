"""Semantic segmentation saliency: class probability maps from ``otx explain``, the IR and Model API.

Model API's ``SegmentationModel`` takes one output besides ``feature_vector`` (a third one is an error) and
makes ``result.saliency_map`` from that output itself: the soft prediction stretched to ``0..255`` over all
classes. So ``export --explain`` adds only ``feature_vector``; the maps are the ``soft_prediction`` output.
Compared on an image already at the input size, so that neither side resizes.
"""

from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from PIL import Image

from otx.core.export.ir import ir_input
from otx.core.export.runtime import openvino_core
from otx.engine import Engine

pytestmark = pytest.mark.e2e

TINY = {
    "data.input_size": [32, 32],
    "data.batch_size": 4,
    "data.num_workers": 0,
    "model.init_args.widths": [8, 16, 16, 16],
    "model.init_args.decoder_width": 8,
}


class _Batch:
    """The part of a batch that ``OTXModel.explain`` reads."""

    def __init__(self, images: torch.Tensor) -> None:
        self.images = images


def test_segmentation_saliency_in_otx_explain_the_ir_and_model_api(tmp_path: Path, common_root: Path) -> None:
    from model_api.models import Model

    from otx.engine.build import build_model

    work_dir = tmp_path / "ws"
    Engine(data_root=common_root, work_dir=work_dir, overrides=TINY).train(max_epochs=1)
    engine = Engine(work_dir=work_dir)
    folder = engine.explain()
    arrays = sorted(folder.glob("*.npz"))
    assert len(arrays) == 8
    saved = np.load(arrays[0])
    assert list(saved["labels"]) == ["background", "object"]
    assert saved["saliency"].shape == (2, 32, 32)
    np.testing.assert_allclose(saved["saliency"].sum(axis=0), 1.0, atol=1e-5)  # probabilities per pixel
    assert len(list(folder.glob("*.png"))) == 2 * 8

    written = engine.export(explain=True)
    xml = written["OpenVINO IR FP32"]
    ir = openvino_core().read_model(xml)
    assert [output.get_any_name() for output in ir.outputs] == ["soft_prediction", "feature_vector"]
    onnx_graph = onnx.load(str(written["ONNX"])).graph
    assert [output.name for output in onnx_graph.output] == ["soft_prediction", "feature_vector"]

    plan = engine.plan("explain")
    model = build_model(plan.config, plan.checkpoint).eval()
    rgb = np.array(Image.open(common_root / "val" / "images" / "000.png").convert("RGB"))
    image = torch.from_numpy(rgb).permute(2, 0, 1).float() / 255
    mean, std = (torch.tensor(values)[:, None, None] for values in (plan.config.data.mean, plan.config.data.std))
    normalized = ((image - mean) / std)[None]
    with torch.no_grad():
        ours = model.explain(_Batch(normalized))[0].numpy()  # (C, H, W)
        _, feature_vector = model.explain_module()(normalized)

    raw = openvino_core().compile_model(ir, "CPU")(ir_input(ir, normalized))  # the IR takes BGR
    assert np.abs(raw["soft_prediction"][0] - ours).max() < 1e-5
    assert np.abs(raw["feature_vector"] - feature_vector.numpy()).max() < 1e-5

    result = Model.create_model(str(xml), preload=True)(rgb[..., ::-1].copy())
    soft = np.asarray(result.soft_prediction).transpose(2, 0, 1)
    assert np.abs(soft - ours).max() < 1e-3  # Model API's own resize and normalization of a uint8 BGR image
    saliency = np.asarray(result.saliency_map).transpose(2, 0, 1)
    assert saliency.dtype == np.uint8
    stretched = 255 * (ours - ours.min()) / (ours.max() - ours.min())
    assert np.abs(saliency - stretched).max() <= 1.0  # uint8 rounding (0.5) and the 1e-3 above, times 255
    assert np.abs(np.asarray(result.feature_vector) - feature_vector.numpy()).max() < 1e-3
