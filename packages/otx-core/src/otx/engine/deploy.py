"""The deploy half of the Engine: export files, INT8 quantization and latency measurements."""

from pathlib import Path
from typing import Any

import torch

from otx.core.config.recipe import RunConfig
from otx.core.export.benchmark import Latency, count_flops, measure_latency
from otx.core.export.deployed import OpenVINOModule
from otx.core.export.ir import export_onnx, save_ir, to_openvino

__all__ = ["BENCHMARK_BATCH_SIZES", "EXPORT_FORMATS", "benchmark_rows", "export_files", "model_size"]

EXPORT_FORMATS = ("openvino", "onnx")
BENCHMARK_BATCH_SIZES = (1, 8)
IR_FP32, IR_FP16, ONNX_FILE, IR_INT8 = "model.xml", "model_fp16.xml", "model.onnx", "model_int8.xml"


def export_files(
    model: Any, config: RunConfig, run: Path, formats: tuple[str, ...], explain: bool = False
) -> dict[str, Path]:
    """Write the IR (FP32 and FP16) and/or ONNX of an eval-mode model into ``run`` (with saliency outputs if asked)."""
    written: dict[str, Path] = {}
    if "openvino" in formats:
        ov_model = to_openvino(model, config, explain)
        written["OpenVINO IR FP32"] = save_ir(ov_model, run / IR_FP32, fp16=False)
        written["OpenVINO IR FP16"] = save_ir(ov_model, run / IR_FP16, fp16=True)
    if "onnx" in formats:
        written["ONNX"] = export_onnx(model, config, run / ONNX_FILE, explain)
    return written


def benchmark_rows(
    model: Any | None,
    irs: dict[str, Path],
    input_size: tuple[int, int],
    batch_sizes: tuple[int, ...],
    iterations: int,
) -> list[dict[str, Any]]:
    """Latency of the torch model (eager; none without ``model``) and of each IR at each batch size, a row per pair.

    Each row names the threads (and for an IR OpenVINO's performance hint and streams) it ran with.
    """
    runners: dict[str, Any] = {"torch eager": model.export_module()} if model is not None else {}
    runners.update({name: OpenVINOModule(xml) for name, xml in irs.items()})
    torch_threads = f"torch: {torch.get_num_threads()} thread(s)"
    settings = {
        name: run.runtime_settings() if isinstance(run, OpenVINOModule) else torch_threads
        for name, run in runners.items()
    }
    rows = []
    for batch_size in batch_sizes:
        images = torch.randn(batch_size, 3, *input_size)
        for name, run in runners.items():
            latency: Latency = measure_latency(run, images, iterations=iterations)
            rows.append(
                {
                    "model": name,
                    "batch": batch_size,
                    "median_ms": latency.median_ms,
                    "p90_ms": latency.p90_ms,
                    "images_per_s": latency.throughput,
                    "runtime": settings[name],
                }
            )
    return rows


def model_size(model: Any, input_size: tuple[int, int]) -> dict[str, float]:
    """Parameter count and GFLOPs of one image."""
    module = model.export_module()
    params = sum(p.numel() for p in module.parameters())
    flops = count_flops(module, torch.zeros(1, 3, *input_size))
    return {"parameters": float(params), "gflops": flops / 1e9}
