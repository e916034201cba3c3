"""``lightning.Trainer`` arguments for a resolved accelerator, device count, strategy and precision."""

from typing import Any

from lightning.pytorch.plugins.precision import MixedPrecision
from lightning.pytorch.strategies import DDPStrategy, SingleDeviceStrategy, Strategy

from otx.core.config.recipe import TrainerConfig
from otx.engine.devices.selection import DDP
from otx.engine.devices.xpu import XPU, XPUAccelerator, register_xpu, xccl_available

__all__ = ["trainer_device_arguments"]

_MIXED = {"16-mixed": "16-mixed", "16": "16-mixed", "bf16-mixed": "bf16-mixed", "bf16": "bf16-mixed"}
"""Lightning's mixed-precision names and their aliases."""


def trainer_device_arguments(settings: TrainerConfig) -> dict[str, Any]:
    """``accelerator``, ``devices``, ``num_nodes``, ``strategy`` and ``precision`` (or a precision plugin).

    CPU and CUDA go to Lightning as names. An Intel XPU gets objects, because Lightning would place a
    single device on the CPU, give DDP the ``gloo`` backend and run autocast for CUDA: a single-device
    or DDP strategy on ``xpu`` devices (``xccl`` where torch has it) and autocast on ``xpu``.
    """
    common = {"num_nodes": settings.num_nodes}
    if settings.accelerator != XPU:
        return {
            **common,
            "accelerator": settings.accelerator,
            "devices": settings.devices,
            "strategy": settings.strategy,
            "precision": settings.precision,
        }
    register_xpu()
    indices = XPUAccelerator.parse_devices(settings.devices)
    devices = XPUAccelerator.get_parallel_devices(indices)
    arguments: dict[str, Any] = {
        **common,
        "accelerator": XPUAccelerator(),
        "devices": indices,
        "strategy": _xpu_strategy(settings.strategy, devices, settings.num_nodes),
    }
    mixed = _MIXED.get(settings.precision)
    if mixed is None:
        arguments["precision"] = settings.precision
    else:
        arguments["plugins"] = [MixedPrecision(mixed, device=XPU)]  # type: ignore[arg-type]
    return arguments


def _xpu_strategy(name: str, devices: list[Any], num_nodes: int) -> Strategy | str:
    if name == "auto" and len(devices) == 1 and num_nodes == 1:
        return SingleDeviceStrategy(device=devices[0])
    if name in ("auto", DDP):
        return DDPStrategy(process_group_backend="xccl" if xccl_available() else "gloo")
    return name
