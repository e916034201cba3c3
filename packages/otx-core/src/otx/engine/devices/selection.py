"""Which accelerator, how many devices and which strategy a run uses: decided once, when its plan is resolved.

``auto`` picks an Intel XPU (``torch.xpu``), then a CUDA GPU, then the CPU. ``devices="auto"`` is one
device; more devices or nodes train with Lightning's DDP. The resolved values are what the run's
config records, next to the reason printed with the rest of auto-configuration.
"""

import torch
from attrs import evolve

from otx.core.config.recipe import TrainerConfig
from otx.core.errors import ConfigError

__all__ = ["DDP", "choose_accelerator", "device_count", "process_count", "resolve_devices", "xpu_available"]

DDP = "ddp"
"""The strategy ``auto`` becomes when more than one process trains."""


def xpu_available() -> bool:
    """Whether this torch build sees an Intel GPU through ``torch.xpu``."""
    return hasattr(torch, "xpu") and torch.xpu.is_available()


def device_count(accelerator: str) -> int:
    """Devices of ``accelerator`` visible to torch; the CPU counts as one device."""
    if accelerator == "xpu":
        return torch.xpu.device_count() if xpu_available() else 0
    if accelerator == "cuda":
        return torch.cuda.device_count() if torch.cuda.is_available() else 0
    return 1


def choose_accelerator(requested: str) -> tuple[str, str]:
    """The accelerator for ``requested`` (``auto``, ``cpu``, ``cuda`` or ``xpu``) and why, in words."""
    if requested == "auto":
        if xpu_available():
            return "xpu", f"auto: {device_count('xpu')} Intel XPU(s)"
        if torch.cuda.is_available():
            return "cuda", f"auto: {device_count('cuda')} CUDA GPU(s), no Intel XPU"
        return "cpu", "auto: no Intel XPU or CUDA GPU"
    if requested != "cpu" and device_count(requested) == 0:
        what = "an Intel XPU (torch.xpu)" if requested == "xpu" else "a CUDA GPU"
        raise ConfigError(f"trainer.accelerator={requested} asks for {what}, and torch sees none on this machine")
    return requested, "given"


def process_count(devices: int | str, accelerator: str) -> int:
    """Training processes per node for ``devices``: ``auto`` is one, ``-1`` all of the accelerator's."""
    if devices == "auto":
        return 1
    if isinstance(devices, str) and "," in devices:
        return len([part for part in devices.split(",") if part.strip()])
    try:
        count = int(devices)
    except ValueError:
        raise ConfigError(f"trainer.devices must be a count, auto or indices like 0,1; got {devices!r}") from None
    if count == -1:
        return device_count(accelerator)
    if count < 1:
        raise ConfigError(f"trainer.devices must be at least 1 (or -1: all), got {devices!r}")
    return count


def resolve_devices(settings: TrainerConfig) -> tuple[TrainerConfig, str]:
    """``settings`` with a concrete accelerator, device count and strategy, and the printed line that says so."""
    accelerator, why = choose_accelerator(settings.accelerator)
    processes = process_count(settings.devices, accelerator)
    indices = isinstance(settings.devices, str) and "," in settings.devices
    if accelerator == "cpu" and indices:
        raise ConfigError(f"trainer.devices={settings.devices} names device indices; on the CPU give a count")
    available = device_count(accelerator)
    if accelerator != "cpu" and processes > available:
        raise ConfigError(f"trainer.devices asks for {processes} {accelerator} devices; torch sees {available}")
    devices: int | str = settings.devices if indices else processes
    strategy = settings.strategy
    if strategy == "auto" and processes * settings.num_nodes > 1:
        strategy = DDP
    resolved = evolve(settings, accelerator=accelerator, devices=devices, strategy=strategy)
    nodes = f" x {settings.num_nodes} nodes" if settings.num_nodes > 1 else ""
    line = (
        f"device: {accelerator} ({why}), {processes} device(s){nodes}, strategy {strategy}, "
        f"precision {settings.precision}"
    )
    return resolved, line
