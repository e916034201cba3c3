"""Exporting an ``OTXModel`` to OpenVINO IR and ONNX, and reading an IR back with its run config.

The IR takes normalized ``float32`` BGR images ``(N, 3, H, W)`` with a dynamic batch, the channel
order OpenCV decodes and Model API passes: its first op reverses the channels for the RGB-trained
network (``rt_info["otx"]["input_channels"]`` says ``BGR``). The ONNX file takes RGB, as the torch
model does. The IR's ``rt_info["model_info"]`` tells OpenVINO's Model API how to get there from a
BGR ``uint8`` image (resize, mean and scale in BGR order, ``reverse_input_channels`` False) and what
the outputs mean, so the IR runs in ``openvino-model-api`` without OTX. ``rt_info["otx"]["config"]``
keeps the run config as JSON.

The channels are reversed inside the graph, not by Model API's ``reverse_input_channels``: OpenVINO
2026.4's CPU plugin drops the channel reversal that preprocessing embeds (``convert_color``) from
some graphs, among them one whose output ends in a ``Gather`` (the hierarchical head order), and the
model then sees BGR as RGB.

Exported with ``explain``, the graph has two more outputs, named as Model API looks for them:
``saliency_map`` ``(N, C, h, w)`` in ``[0, 1]`` and ``feature_vector`` ``(N, D)`` (see
:meth:`OTXModel.explain_module`); Model API returns them as ``result.saliency_map`` and
``result.feature_vector``. Where the prediction is itself the saliency
(:attr:`OTXModel.saliency_in_prediction`: semantic segmentation), only ``feature_vector`` is added:
Model API's ``SegmentationModel`` refuses any third output and makes ``result.saliency_map`` from
the class probabilities.
"""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import openvino as ov
import torch
from torch import Tensor, nn

from otx.core.config.recipe import RunConfig
from otx.core.config.structure import structure, unstructure
from otx.core.errors import CheckpointError
from otx.core.export.runtime import openvino_core

__all__ = [
    "XAI_OUTPUTS",
    "export_onnx",
    "ir_config",
    "ir_input",
    "model_api_info",
    "read_ir",
    "save_ir",
    "to_openvino",
]

INPUT_NAME = "image"
FEATURE_VECTOR = "feature_vector"
XAI_OUTPUTS = ("saliency_map", FEATURE_VECTOR)
_CHANNELS_KEY = ["otx", "input_channels"]


def model_api_info(config: RunConfig, task_info: Mapping[str, str]) -> dict[str, str]:
    """``model_info`` entries: labels, preprocessing and the task's own keys (model type, thresholds)."""
    labels = config.label_names or ()
    return {
        "labels": " ".join(name.replace(" ", "_") for name in labels),
        "mean_values": " ".join(f"{255 * m:g}" for m in reversed(config.data.mean)),  # BGR order
        "scale_values": " ".join(f"{255 * s:g}" for s in reversed(config.data.std)),
        "reverse_input_channels": "False",  # the IR reverses them itself
        "resize_type": "standard",
        "pad_value": "0",
        "orig_height": str(config.data.input_size[0]),
        "orig_width": str(config.data.input_size[1]),
        **task_info,
    }


def _example(config: RunConfig) -> Tensor:
    height, width = config.data.input_size
    return torch.zeros(1, 3, height, width)


class _WithSaliency(nn.Module):
    """The deployment graph's outputs followed by the saliency maps and the feature vector."""

    def __init__(self, graph: nn.Module, explain: nn.Module) -> None:
        super().__init__()
        self.network, self.explain = graph, explain  # not ``graph``: traced modules have a ``graph`` attribute

    def forward(self, images: Tensor) -> tuple[Tensor, ...]:
        """All outputs, in :func:`_graph`'s order."""
        outputs = self.network(images)
        return (*(outputs if isinstance(outputs, tuple) else (outputs,)), *self.explain(images))


class _FromBGR(nn.Module):
    """``network`` on BGR images: the channels reversed to the RGB it was trained on."""

    def __init__(self, network: nn.Module) -> None:
        super().__init__()
        self.network = network

    def forward(self, images: Tensor) -> Any:
        """The network's outputs."""
        return self.network(images.flip(1))


def _graph(model: Any, explain: bool) -> tuple[nn.Module, list[str]]:
    """The eval-mode graph to export and its output names (with the saliency outputs if ``explain``)."""
    graph, names = model.export_module().eval(), list(model.export_output_names())
    if not explain:
        return graph, names
    if model.saliency_in_prediction:  # the explain module's maps are the prediction: (prediction, feature vector)
        return model.explain_module().eval(), [*names, FEATURE_VECTOR]
    return _WithSaliency(graph, model.explain_module()).eval(), [*names, *XAI_OUTPUTS]


def to_openvino(model: Any, config: RunConfig, explain: bool = False) -> ov.Model:
    """Convert ``model`` (an eval-mode ``OTXModel``) to an OpenVINO model carrying its metadata."""
    graph, names = _graph(model, explain)
    height, width = config.data.input_size
    with torch.no_grad():
        ov_model = ov.convert_model(_FromBGR(graph), example_input=_example(config), input=[-1, 3, height, width])
    ov_model.inputs[0].get_tensor().set_names({INPUT_NAME})
    for index, name in enumerate(names):
        ov_model.outputs[index].get_tensor().set_names({name})
    for key, value in model_api_info(config, model.export_metadata()).items():
        ov_model.set_rt_info(value, ["model_info", key])
    ov_model.set_rt_info(json.dumps(unstructure(config)), ["otx", "config"])
    ov_model.set_rt_info("BGR", _CHANNELS_KEY)
    return ov_model


def ir_input(ov_model: ov.Model, images: Tensor) -> np.ndarray:
    """What ``ov_model`` takes for a normalized RGB batch: BGR, or RGB for an IR exported before it took BGR."""
    takes_bgr = ov_model.has_rt_info(_CHANNELS_KEY) and ov_model.get_rt_info(_CHANNELS_KEY).astype(str) == "BGR"
    array = images.detach().cpu().numpy()
    return np.ascontiguousarray(array[:, ::-1] if takes_bgr else array, dtype=np.float32)


def save_ir(ov_model: ov.Model, path: Path, fp16: bool) -> Path:
    """Write ``path`` (.xml + .bin), with FP16 weights if asked; ``ov_model`` itself is left as it is."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ov.save_model(ov_model, str(path), compress_to_fp16=fp16)
    return path


def export_onnx(model: Any, config: RunConfig, path: Path, explain: bool = False) -> Path:
    """Export ``model`` to ONNX with a dynamic batch axis."""
    graph, names = _graph(model, explain)
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(
            graph,
            (_example(config),),
            str(path),
            dynamo=False,
            input_names=[INPUT_NAME],
            output_names=names,
            dynamic_axes={INPUT_NAME: {0: "batch"}, **{name: {0: "batch"} for name in names}},
        )
    return path


def read_ir(xml: Path) -> ov.Model:
    """Read an IR, with errors that name a missing ``.bin`` or a corrupt file."""
    if not xml.is_file():
        raise CheckpointError(f"Model not found: {xml}")
    weights = xml.with_suffix(".bin")
    if not weights.is_file():
        raise CheckpointError(f"{xml} needs its weights file {weights}, which is missing; copy it next to the .xml")
    try:
        return openvino_core().read_model(str(xml), str(weights))
    except RuntimeError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
        raise CheckpointError(f"Cannot read OpenVINO model {xml}: {first_line}") from None


def ir_config(ov_model: ov.Model, xml: Path) -> RunConfig:
    """The run config an IR carries."""
    if not ov_model.has_rt_info(["otx", "config"]):
        raise CheckpointError(f"{xml} was not exported by OTX (no otx/config in its rt_info)")
    data = json.loads(ov_model.get_rt_info(["otx", "config"]).astype(str))
    return structure(data, RunConfig, "ir")
