"""Training-speed options of the network itself: channels-last memory format and ``torch.compile``.

Both act on the model's network (``OTXModel.model``) in place, for the ``fit`` stage only, so that
checkpoints keep their keys and export traces the plain module. ``torch.compile`` compiles
each new graph on its first step (validation in eval mode is another graph), which a short run pays
for; ``docs/benchmarks.md`` has the measured effect of each.
"""

from typing import Any

import lightning
import torch
from lightning.pytorch.callbacks import Callback
from torch import nn

from otx.core.model.base import OTXModel

__all__ = ["NetworkSpeed", "network_speed_callbacks"]


class NetworkSpeed(Callback):
    """Puts the network in channels-last memory format and/or compiles it while a model trains."""

    def __init__(self, channels_last: bool, compile_network: bool) -> None:
        self.channels_last = channels_last
        self.compile_network = compile_network

    def setup(self, trainer: lightning.Trainer, pl_module: lightning.LightningModule, stage: str) -> None:
        """Convert and/or compile the network before training starts."""
        if stage != "fit":
            return
        network = _network(pl_module)
        if self.channels_last:
            network.to(memory_format=torch.channels_last)
        if self.compile_network:
            network.compile()

    def teardown(self, trainer: lightning.Trainer, pl_module: lightning.LightningModule, stage: str) -> None:
        """Give the network back as it was, for the validation, report and export that follow."""
        if stage != "fit":
            return
        network = _network(pl_module)
        if self.channels_last:
            network.to(memory_format=torch.contiguous_format)
        if self.compile_network:
            network._compiled_call_impl = None  # what nn.Module.compile set; the plain module runs again


def _network(pl_module: lightning.LightningModule) -> nn.Module:
    if not isinstance(pl_module, OTXModel):
        msg = f"trainer.channels_last and trainer.compile need an OTXModel, not {type(pl_module).__name__}"
        raise TypeError(msg)
    return pl_module.model


def network_speed_callbacks(channels_last: bool, compile_network: bool) -> tuple[list[Any], str | None]:
    """The callback for the trainer settings, and the line the run prints about them (none when both are off)."""
    if not channels_last and not compile_network:
        return [], None
    chosen = [name for name, on in (("channels-last", channels_last), ("torch.compile", compile_network)) if on]
    return [NetworkSpeed(channels_last, compile_network)], f"network: {' and '.join(chosen)} while training"
