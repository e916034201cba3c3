"""Model API, given a BGR photo as OpenCV decodes it, feeds each task's IR what OTX feeds the torch model.

Each task's default model, with random weights that make its outputs depend on the colour, is
exported; a half-red, half-blue image goes through Model API's preprocessing and
the IR as BGR, and through OTX's normalization and the torch graph as RGB. The outputs must agree
far more closely than they would with the channels swapped. (Instance segmentation's only model,
Mask R-CNN, does not export to OpenVINO.)
"""

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from attrs import evolve

from otx.core.config.recipe_loader import recipe_config
from otx.core.export.ir import save_ir, to_openvino
from otx.core.plugin import find_task
from otx.core.types.label import LabelGroup, LabelHierarchy
from otx.core.types.task import OTXTaskType
from otx.engine.build import build_model

SIZE = (64, 64)
HIERARCHY = LabelHierarchy(
    groups=(LabelGroup(name="colour", labels=("red", "blue")), LabelGroup(name="shade", labels=("light", "dark"))),
    parents=(("light", "blue"), ("dark", "blue")),
)
CASES = {
    "multi-class": (OTXTaskType.MULTI_CLASS_CLS, ("red", "blue", "green"), None),
    "multi-label": (OTXTaskType.MULTI_LABEL_CLS, ("red", "blue", "green"), None),
    "hierarchical": (OTXTaskType.H_LABEL_CLS, ("red", "blue", "light", "dark"), HIERARCHY),
    "detection": (OTXTaskType.DETECTION, ("red", "blue"), None),
    "semantic segmentation": (OTXTaskType.SEMANTIC_SEGMENTATION, ("red", "blue"), None),
}


def _colour_photo() -> np.ndarray:
    """RGB ``uint8``: red top half, blue bottom half, a little noise."""
    rgb = np.zeros((*SIZE, 3), np.uint8)
    rgb[: SIZE[0] // 2, :, 0] = 220
    rgb[SIZE[0] // 2 :, :, 2] = 220
    noise = np.random.default_rng(0).integers(0, 30, rgb.shape)
    return (rgb + noise).clip(0, 255).astype(np.uint8)


def _compared(task: OTXTaskType, outputs: list[np.ndarray]) -> np.ndarray:
    """The values compared: all outputs, or a detector's 50 best scores (NMS orders near ties freely)."""
    if task == OTXTaskType.DETECTION:
        return np.sort(outputs[0][0, :, 4])[::-1][:50]
    return np.concatenate([np.asarray(o, np.float32).ravel() for o in outputs])


def _torch_outputs(model: Any, rgb: np.ndarray, mean: tuple[float, ...], std: tuple[float, ...]) -> list[np.ndarray]:
    normalized = (rgb / 255.0 - np.array(mean)) / np.array(std)
    images = torch.from_numpy(normalized.transpose(2, 0, 1)[None].astype(np.float32))
    with torch.no_grad():
        outputs = model.export_module()(images)
    return [o.numpy() for o in (outputs if isinstance(outputs, tuple) else (outputs,))]


@pytest.mark.parametrize("case", list(CASES))
def test_model_api_with_a_bgr_photo_matches_otx_on_the_rgb_photo(case: str, tmp_path: Path) -> None:
    from model_api.models import Model

    task, names, hierarchy = CASES[case]
    config = recipe_config(find_task(task), None, {"task": task.value}, {"data.input_size": list(SIZE)})
    config = evolve(config, label_names=names, label_hierarchy=hierarchy, model=evolve(config.model, pretrained=None))
    torch.manual_seed(0)
    model = build_model(config).eval()
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.dim() > 1:  # variance-preserving: colour-dependent outputs that do not saturate
                parameter.normal_(0, 1 / parameter[0].numel() ** 0.5)
    xml = save_ir(to_openvino(model, config), tmp_path / "model.xml", fp16=False)
    rgb = _colour_photo()
    wrapper = Model.create_model(str(xml), preload=True)
    inputs, _ = wrapper.preprocess(np.ascontiguousarray(rgb[..., ::-1]))
    ours = _compared(task, list(wrapper.infer_sync(inputs).values()))
    mean, std = config.data.mean, config.data.std
    expected = _compared(task, _torch_outputs(model, rgb, mean, std))
    swapped = _compared(task, _torch_outputs(model, np.ascontiguousarray(rgb[..., ::-1]), mean, std))
    swap_distance = float(np.abs(swapped - expected).max())
    assert swap_distance > 1e-3, f"{case}: the model barely depends on the colour ({swap_distance:.2g})"
    assert float(np.abs(ours - expected).max()) < swap_distance / 50
