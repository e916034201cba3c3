"""Devices and scale: accelerator choice (CPU, CUDA, Intel XPU), distributed ranks and Trainer arguments."""

from otx.engine.devices.coverage import ValidationCoverage
from otx.engine.devices.ranks import global_rank, is_rank_zero
from otx.engine.devices.selection import choose_accelerator, resolve_devices
from otx.engine.devices.trainer_args import trainer_device_arguments
from otx.engine.devices.xpu import XPUAccelerator, register_xpu

__all__ = [
    "ValidationCoverage",
    "XPUAccelerator",
    "choose_accelerator",
    "global_rank",
    "is_rank_zero",
    "register_xpu",
    "resolve_devices",
    "trainer_device_arguments",
]
