"""Where an OpenVINO IR's batch-1 time goes, layer by layer, for FP32 and INT8 side by side.

Compiles each IR with OpenVINO's performance counters on (``PERF_COUNT``, one stream, ``--threads``
inference threads), runs ``--runs`` inferences on one input (the run's input size, random values or
``--image``), and sums each executed layer's real time. Layers are grouped by the precision they ran in
(OpenVINO's ``exec_type``: ``..._I8``/``..._U8`` ran quantized) and by operation type, so the share of the
INT8 IR's time that stays in floating point shows what caps its speed-up.

Usage (from the repository root)::

    python tools/profile_ir.py RUN_DIR            # the run's model.xml and model_int8.xml
    python tools/profile_ir.py a.xml b.xml --runs 100 --threads 2 --top 15
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench_common import fmt, print_markdown_table

QUANTIZED_MARKERS = ("I8", "U8", "i8", "u8")


def ir_files(paths: Sequence[Path]) -> list[Path]:
    """The IRs named, a run folder standing for its ``model.xml`` and ``model_int8.xml``."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += [path / name for name in ("model.xml", "model_int8.xml") if (path / name).is_file()]
        elif path.suffix == ".xml" and path.is_file():
            found.append(path)
        else:
            raise SystemExit(f"{path}: not an IR (.xml) nor a run folder holding model.xml")
    if not found:
        raise SystemExit("no IR found in " + ", ".join(map(str, paths)))
    return found


def _input(model: Any, image: Path | None) -> np.ndarray:
    shape = [int(d) for d in model.inputs[0].get_partial_shape().get_min_shape()]
    shape[0] = 1
    if image is None:
        return np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    from PIL import Image

    with Image.open(image) as opened:
        pixels = np.asarray(opened.convert("RGB").resize((shape[3], shape[2])), dtype=np.float32)
    return pixels.transpose(2, 0, 1)[None, ::-1].copy()  # BGR: OTX's IRs flip channels in their first op


def profile(xml: Path, runs: int, threads: int, image: Path | None) -> dict[str, Any]:
    """Median latency and per-layer real time summed over ``runs`` inferences."""
    import openvino as ov

    core = ov.Core()
    model = core.read_model(xml)
    config = {"PERF_COUNT": "YES", "NUM_STREAMS": "1", "INFERENCE_NUM_THREADS": str(threads)}
    compiled = core.compile_model(model, "CPU", config)
    request = compiled.create_infer_request()
    data = _input(model, image)
    for _ in range(5):
        request.infer({0: data})
    layers: dict[tuple[str, str, str], float] = defaultdict(float)
    latencies = []
    for _ in range(runs):
        start = time.perf_counter()
        request.infer({0: data})
        latencies.append(time.perf_counter() - start)
        for info in request.profiling_info:
            if info.status == info.Status.EXECUTED:
                layers[(info.node_name, info.node_type, info.exec_type)] += info.real_time.total_seconds()
    return {"xml": xml, "latency_ms": 1000 * float(np.median(latencies)), "layers": layers, "runs": runs}


def is_quantized(exec_type: str) -> bool:
    """Whether OpenVINO ran a layer on integer data (its kernel name ends in the precision)."""
    return any(exec_type.endswith(marker) for marker in QUANTIZED_MARKERS)


def print_summary(result: dict[str, Any], top: int) -> None:
    """The IR's time by precision and by operation type, then its slowest layers."""
    layers = result["layers"]
    total = sum(layers.values()) or 1.0
    runs = result["runs"]
    by_type: dict[tuple[str, bool], float] = defaultdict(float)
    for (_, node_type, exec_type), seconds in layers.items():
        by_type[(node_type, is_quantized(exec_type))] += seconds
    quantized = sum(s for (_, q), s in by_type.items() if q)
    print(
        f"\n{result['xml']}: median latency {result['latency_ms']:.2f} ms; layer time {1000 * total / runs:.2f} ms "
        f"per inference, {100 * quantized / total:.0f} % of it in integer kernels"
    )
    rows = [
        [node_type, "int8" if q else "float", fmt(1000 * s / runs, ".3f"), fmt(100 * s / total, ".1f")]
        for (node_type, q), s in sorted(by_type.items(), key=lambda item: -item[1])
    ]
    print_markdown_table("By operation type", ["op", "precision", "ms/inference", "% of layer time"], rows, "")
    slowest = sorted(layers.items(), key=lambda item: -item[1])[:top]
    rows = [[name, node_type, exec_type, fmt(1000 * s / runs, ".3f")] for (name, node_type, exec_type), s in slowest]
    print_markdown_table(f"Slowest {top} layers", ["layer", "op", "kernel", "ms/inference"], rows, "")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", type=Path, nargs="+", help="IR .xml files or run folders")
    parser.add_argument("--runs", type=int, default=50, help="timed inferences per IR (default 50)")
    parser.add_argument("--threads", type=int, default=2, help="OpenVINO inference threads (default 2)")
    parser.add_argument("--image", type=Path, help="an image to run on (default: random values)")
    parser.add_argument("--top", type=int, default=10, help="slowest layers listed per IR (default 10)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Profile each IR and print its summary."""
    args = parse_args(argv)
    for xml in ir_files(args.paths):
        print_summary(profile(xml, args.runs, args.threads, args.image), args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
