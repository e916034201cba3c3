"""Latency and throughput of a callable on a fixed input, and the FLOPs of a torch module."""

import statistics
import time
from collections.abc import Callable
from typing import Any

import torch
from attrs import frozen
from torch import Tensor, nn
from torch.utils.flop_counter import FlopCounterMode

__all__ = ["Latency", "count_flops", "measure_latency"]


@frozen
class Latency:
    """Milliseconds per call (median, 90th percentile) and images per second at the median."""

    batch_size: int
    median_ms: float
    p90_ms: float
    throughput: float


def measure_latency(run: Callable[[Tensor], Any], images: Tensor, warmup: int = 3, iterations: int = 20) -> Latency:
    """Time ``run(images)`` after ``warmup`` calls."""
    with torch.inference_mode():
        for _ in range(warmup):
            run(images)
        times = []
        for _ in range(iterations):
            start = time.perf_counter()
            run(images)
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    median = statistics.median(times)
    p90 = times[min(len(times) - 1, int(0.9 * len(times)))]
    return Latency(len(images), median, p90, len(images) * 1000 / median)


def count_flops(module: nn.Module, images: Tensor) -> int:
    """Floating-point operations of one forward pass (multiply and add counted separately)."""
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        module(images)
    return int(counter.get_total_flops())
