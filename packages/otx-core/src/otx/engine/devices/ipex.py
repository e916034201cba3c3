"""intel-extension-for-pytorch (IPEX) on the CPU: ``ipex.optimize`` of the model and optimizer for training.

IPEX is an optional extra that exists for torch 2.8 only (and is no longer developed); it lives in its
own environment (``nox -s ipex``, see ``docs/devices.md``). It is used when it imports and its version
matches torch's; otherwise training runs on plain torch and the run says why.
"""

import importlib
import importlib.util
from types import ModuleType
from typing import Any

import lightning
import torch
from lightning.pytorch.callbacks import Callback

__all__ = ["IPEXOptimize", "find_ipex", "ipex_callbacks", "optimize_options"]


def find_ipex() -> tuple[ModuleType | None, str]:
    """The ``intel_extension_for_pytorch`` module if it is usable with this torch, and why (or why not)."""
    try:
        spec = importlib.util.find_spec("intel_extension_for_pytorch")
    except ValueError:
        spec = None
    if spec is None:
        return None, "not installed"
    try:
        module = importlib.import_module("intel_extension_for_pytorch")
    except Exception as exc:  # an IPEX built for another torch fails at import in many ways
        return None, f"installed, but it does not import with torch {torch.__version__}: {str(exc).splitlines()[0]}"
    version = str(getattr(module, "__version__", "unknown"))
    if _minor(version) != _minor(torch.__version__):
        return None, f"installed ({version}), but built for another torch than {torch.__version__}"
    return module, f"{version} (ipex.optimize for training)"


def _minor(version: str) -> tuple[str, ...]:
    return tuple(version.split("+", maxsplit=1)[0].split(".")[:2])


def optimize_options(ipex: ModuleType, dtype: torch.dtype) -> dict[str, Any]:
    """``ipex.optimize`` keywords for ``dtype`` on this CPU.

    bf16 weight prepacking needs AVX-512 (BW, VL, DQ) or AVX-NE-CONVERT; without them (e.g. an AVX2-only
    CPU) the weights stay unpacked and IPEX still runs its bf16 kernels and optimizer.
    """
    if dtype == torch.bfloat16 and not ipex._C.onednn_has_bf16_support():
        return {"weights_prepack": False}
    return {}


class IPEXOptimize(Callback):
    """Applies ``ipex.optimize`` to the model and its optimizer once Lightning has set both up.

    ``dtype`` is ``torch.bfloat16`` under ``bf16-mixed`` precision (IPEX keeps fp32 master weights),
    ``torch.float32`` otherwise.
    """

    def __init__(self, ipex: ModuleType, dtype: torch.dtype) -> None:
        self.ipex = ipex
        self.dtype = dtype

    def on_fit_start(self, trainer: lightning.Trainer, pl_module: lightning.LightningModule) -> None:
        """Optimize in place; the optimizer IPEX returns replaces Lightning's."""
        training = pl_module.training
        pl_module.train()
        optimizers = trainer.strategy.optimizers
        if not optimizers:
            return
        options = optimize_options(self.ipex, self.dtype)
        _, optimizer = self.ipex.optimize(pl_module, optimizer=optimizers[0], dtype=self.dtype, inplace=True, **options)
        trainer.strategy.optimizers = [optimizer, *optimizers[1:]]
        pl_module.train(training)


def ipex_callbacks(accelerator: str, precision: str, enabled: bool) -> tuple[list[Any], str | None]:
    """The IPEX callback for a run, and the line that says whether IPEX is used (``None`` off the CPU)."""
    if accelerator != "cpu":
        return [], None
    if not enabled:
        return [], "ipex:   off (trainer.ipex=false)"
    module, why = find_ipex()
    if module is None:
        return [], None if why == "not installed" else f"ipex:   not used: {why}"
    dtype = torch.bfloat16 if precision in ("bf16-mixed", "bf16", "bf16-true") else torch.float32
    return [IPEXOptimize(module, dtype)], f"ipex:   {why}, {str(dtype).removeprefix('torch.')}"
