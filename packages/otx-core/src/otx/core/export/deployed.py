"""Running an OpenVINO IR in place of a trained network, so test and predict share one code path."""

from pathlib import Path

import numpy as np
import torch
from torch import Tensor, nn

from otx.core.export.ir import XAI_OUTPUTS, ir_input, read_ir
from otx.core.export.runtime import openvino_core

__all__ = ["OpenVINOModule"]


class OpenVINOModule(nn.Module):
    """Calls a compiled IR on a float image batch and returns its outputs as tensors (not the saliency ones)."""

    def __init__(self, xml: Path, device: str = "CPU") -> None:
        super().__init__()
        self.xml = xml
        self.device = device
        self.ov_model = read_ir(xml)
        self.compiled = openvino_core().compile_model(self.ov_model, device)

    def forward(self, images: Tensor) -> Tensor | tuple[Tensor, ...]:
        """Outputs for normalized RGB ``images``; one tensor for single-output models."""
        result = self.compiled(ir_input(self.ov_model, images))
        outputs = tuple(
            torch.from_numpy(np.asarray(result[out]))
            for out in self.compiled.outputs
            if not out.get_names() & set(XAI_OUTPUTS)
        )
        return outputs[0] if len(outputs) == 1 else outputs

    def runtime_settings(self) -> str:
        """The compiled model's performance hint, streams and inference threads, as OpenVINO chose them."""
        hint = self.compiled.get_property("PERFORMANCE_HINT")
        streams = self.compiled.get_property("NUM_STREAMS")
        threads = self.compiled.get_property("INFERENCE_NUM_THREADS")
        return f"OpenVINO {self.device}: hint {hint}, {streams} stream(s), {threads} thread(s)"
