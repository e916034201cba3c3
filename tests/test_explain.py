"""Saliency maps: Recipro-CAM itself, ``otx explain`` on a trained classifier, and maps in the exported IR.

The IR's maps are compared with the torch ones on the same input (tolerance 1e-4), and Model API's
(``result.saliency_map``) with OTX's on images already at the input size, so that both resize nothing.
"""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw
from torch import nn

from otx.core.explain.recipro_cam import recipro_cam
from otx.engine import Engine

SIZE = 64
OVERRIDES = {"data.input_size": [SIZE, SIZE], "data.batch_size": 4, "data.num_workers": 0}
IR_TOLERANCE = 1e-4
MODEL_API_TOLERANCE = 1e-3


def test_recipro_cam_scores_the_position_whose_features_alone_give_the_class() -> None:
    head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2, 2, bias=False))
    with torch.no_grad():
        head[2].weight.copy_(torch.eye(2))  # channel k votes for class k
    features = torch.zeros(1, 2, 3, 3)
    features[0, 0, 0, 0] = 5.0  # class 0 lives top left
    features[0, 1, 2, 1] = 5.0  # class 1 bottom middle
    maps = recipro_cam(features, head)
    assert maps.shape == (1, 2, 3, 3)
    assert divmod(int(maps[0, 0].argmax()), 3) == (0, 0)
    assert divmod(int(maps[0, 1].argmax()), 3) == (2, 1)
    assert float(maps.min()) == 0.0 and float(maps.max()) == 1.0


def _write_shapes(root: Path, per_class: int = 8) -> Path:
    """``root/<circle|square>/*.png``, 64x64: a red disc or a blue square on a dark noisy background."""
    rng = np.random.default_rng(0)
    for kind in ("circle", "square"):
        (root / kind).mkdir(parents=True)
        for i in range(per_class):
            image = Image.fromarray(rng.integers(0, 80, (SIZE, SIZE, 3), dtype=np.uint8))
            x, y = (int(v) for v in rng.integers(12, SIZE - 24, 2))
            box = [x, y, x + 14, y + 14]
            draw = ImageDraw.Draw(image)
            if kind == "circle":
                draw.ellipse(box, fill=(230, 40, 40))
            else:
                draw.rectangle(box, fill=(40, 40, 230))
            image.save(root / kind / f"{kind}_{i}.png")
    return root


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("explain")
    data = _write_shapes(base / "shapes")
    Engine(data_root=data, work_dir=base / "ws", overrides=OVERRIDES).train(max_epochs=1)
    return {"data": data, "work_dir": base / "ws"}


def test_otx_explain_writes_overlays_and_arrays(trained: dict[str, Path], otx: Callable[..., Any]) -> None:
    result = otx("explain", "--work_dir", trained["work_dir"])
    assert result.code == 0, result.err
    assert "saliency maps" in result.out
    folder = trained["work_dir"] / ".latest" / "explain" / "saliency"
    arrays = sorted(folder.glob("*.npz"))
    assert arrays, "no .npz written"
    saved = np.load(arrays[0])
    assert list(saved["labels"]) == ["circle", "square"]
    assert saved["saliency"].shape[0] == 2 and saved["saliency"].min() >= 0 and saved["saliency"].max() <= 1
    overlays = sorted(folder.glob("*.png"))
    assert len(overlays) == 2 * len(arrays)
    assert Image.open(overlays[0]).size == (SIZE, SIZE)  # drawn on the original image


def test_exported_saliency_matches_torch_and_model_api_reads_it(trained: dict[str, Path]) -> None:
    from model_api.models import Model

    from otx.core.export.deployed import OpenVINOModule
    from otx.core.export.ir import ir_input
    from otx.engine.build import build_model

    engine = Engine(work_dir=trained["work_dir"])
    xml = engine.export(formats=("openvino",), explain=True)["OpenVINO IR FP32"]
    plan = engine.plan("explain")
    model = build_model(plan.config, plan.checkpoint).eval()
    images = torch.randn(3, 3, SIZE, SIZE)
    with torch.no_grad():
        ours, vector = model.explain_module()(images)
    ir = OpenVINOModule(xml)
    outputs = ir.compiled(ir_input(ir.ov_model, images))  # the IR takes BGR
    ir_maps = torch.from_numpy(outputs["saliency_map"])
    assert ir_maps.shape == ours.shape
    assert (ir_maps - ours).abs().max() < IR_TOLERANCE
    assert (torch.from_numpy(outputs["feature_vector"]) - vector).abs().max() < IR_TOLERANCE
    assert isinstance(ir(images), torch.Tensor)  # OTX's own IR runner still sees the logits alone

    wrapper = Model.create_model(str(xml), preload=True)
    path = next((trained["data"] / "circle").iterdir())
    rgb = np.asarray(Image.open(path).convert("RGB"))
    result = wrapper(rgb[..., ::-1].copy())
    normalized = (
        torch.from_numpy(rgb).permute(2, 0, 1).float() / 255 - torch.tensor(plan.config.data.mean)[:, None, None]
    )
    normalized = normalized / torch.tensor(plan.config.data.std)[:, None, None]
    with torch.no_grad():
        expected = model.explain(_Batch(normalized[None]))
    assert np.abs(np.asarray(result.saliency_map) - expected.numpy()).max() < MODEL_API_TOLERANCE
    assert np.asarray(result.feature_vector).shape == tuple(vector[:1].shape)


class _Batch:
    """The part of a batch that ``OTXModel.explain`` reads."""

    def __init__(self, images: torch.Tensor) -> None:
        self.images = images


def test_explain_takes_a_checkpoint_not_an_ir(trained: dict[str, Path], otx: Callable[..., Any]) -> None:
    xml = Engine(work_dir=trained["work_dir"]).export(formats=("openvino",))["OpenVINO IR FP32"]
    result = otx("explain", "--checkpoint", xml, "--work_dir", trained["work_dir"])
    assert result.code == 2
    assert "takes a .ckpt training checkpoint" in result.error_line
