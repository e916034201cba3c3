"""A Lightning accelerator for Intel GPUs through PyTorch's own ``torch.xpu`` backend (no extra package).

Lightning ships accelerators for CPU, CUDA, MPS and XLA; :class:`XPUAccelerator` adds ``"xpu"`` to its
registry (:func:`register_xpu`), so ``lightning.Trainer(accelerator="xpu")`` works once OTX is imported::

    register_xpu()
    trainer = lightning.Trainer(accelerator="xpu", devices=1)
"""

from typing import Any

import torch
from lightning.fabric.utilities.types import _DEVICE
from lightning.pytorch.accelerators import Accelerator, AcceleratorRegistry

from otx.core.errors import ConfigError

__all__ = ["XPU", "XPUAccelerator", "register_xpu", "xccl_available"]

XPU = "xpu"


class XPUAccelerator(Accelerator):
    """Intel GPUs (``torch.device("xpu", i)``): device parsing, placement and memory statistics."""

    def setup_device(self, device: torch.device) -> None:
        """Make ``device`` the current XPU of this process."""
        if device.type != XPU:
            raise ConfigError(f"The XPU accelerator got device {device}; it runs on xpu devices only")
        torch.xpu.set_device(device)

    def teardown(self) -> None:
        """Give cached blocks back to the driver."""
        if self.is_available():
            torch.xpu.empty_cache()

    @staticmethod
    def parse_devices(devices: int | str | list[int]) -> list[int]:
        """Device indices from a count (``-1``: all), ``"auto"`` (all), indices ``"0,2"`` or a list."""
        available = XPUAccelerator.auto_device_count()
        if isinstance(devices, list):
            indices = devices
        elif isinstance(devices, str) and devices.strip() not in ("auto", "-1") and "," in devices:
            indices = [int(part) for part in devices.split(",") if part.strip()]
        else:
            count = available if devices in ("auto", -1, "-1") else int(devices)
            indices = list(range(count))
        missing = [index for index in indices if not 0 <= index < available]
        if not indices or missing:
            raise ConfigError(f"XPU devices {devices!r} asked for; torch.xpu sees {available}")
        return indices

    @staticmethod
    def get_parallel_devices(devices: list[int]) -> list[torch.device]:
        """One ``torch.device`` per index."""
        return [torch.device(XPU, index) for index in devices]

    @staticmethod
    def auto_device_count() -> int:
        """All XPUs torch sees."""
        return torch.xpu.device_count() if XPUAccelerator.is_available() else 0

    @staticmethod
    def is_available() -> bool:
        """Whether torch was built with XPU support and sees a device."""
        return hasattr(torch, XPU) and torch.xpu.is_available()

    @staticmethod
    def name() -> str:
        """The registry name."""
        return XPU

    def get_device_stats(self, device: _DEVICE) -> dict[str, Any]:
        """``torch.xpu.memory_stats`` of ``device`` (allocated, reserved and peak bytes, and more)."""
        return dict(torch.xpu.memory_stats(device))

    @classmethod
    def register_accelerators(cls, accelerator_registry: Any) -> None:
        """Add ``"xpu"`` to ``accelerator_registry``."""
        accelerator_registry.register(cls.name(), cls, description=cls.__name__, override=True)


def register_xpu() -> None:
    """Make ``accelerator="xpu"`` known to Lightning (idempotent)."""
    if XPU not in AcceleratorRegistry:
        XPUAccelerator.register_accelerators(AcceleratorRegistry)


def xccl_available() -> bool:
    """Whether torch.distributed has the ``xccl`` backend (multi-XPU DDP)."""
    is_available = getattr(torch.distributed, "is_backend_available", None)
    return bool(torch.distributed.is_available() and is_available is not None and is_available("xccl"))
