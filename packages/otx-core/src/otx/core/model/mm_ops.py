"""mmcv's compiled operators for ``mmcv-lite``, which ships mmcv's Python code without them.

MMDetection and MMSegmentation import ``mmcv.ops`` at import time, and ``mmcv-lite``'s ``mmcv.ops``
fails there because its compiled extension is missing. :func:`install` puts a module in its place,
before any mm import, whose operators come from ``torchvision.ops``:

- ``nms``, ``batched_nms`` (hard NMS; ``soft_nms`` is refused), ``roi_align`` and ``RoIAlign``
  (average pooling).

Every other name of ``mmcv.ops`` resolves to a class that raises :class:`NotImplementedError`
naming the operator when a model builds or calls it, so mm modules import and only the models
that need an unprovided operator fail, at build time. Where the full ``mmcv`` with its compiled
extension is installed, :func:`install` leaves it alone.

Example:
    >>> from otx.core.model import mm_ops
    >>> mm_ops.install()
    >>> from mmcv.ops import batched_nms  # torchvision's NMS behind mmcv's signature
"""

import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
from typing import Any

import torch
from torch import Tensor, nn
from torchvision import ops

__all__ = ["PROVIDED", "RoIAlign", "batched_nms", "install", "nms", "roi_align"]


def nms(
    boxes: Tensor,
    scores: Tensor,
    iou_threshold: float,
    offset: int = 0,
    score_threshold: float = 0.0,
    max_num: int = -1,
) -> tuple[Tensor, Tensor]:
    """Hard NMS as mmcv's ``nms``: ``(dets (K, 5) boxes and score, kept indices)``, by decreasing score."""
    if offset != 0:
        raise NotImplementedError("mmcv.ops.nms with offset=1 (legacy box widths) is not provided")
    candidates = torch.nonzero(scores > score_threshold).flatten() if score_threshold > 0 else None
    chosen_boxes, chosen_scores = (boxes, scores) if candidates is None else (boxes[candidates], scores[candidates])
    keep = ops.nms(chosen_boxes.float(), chosen_scores.float(), float(iou_threshold))
    if max_num > 0:
        keep = keep[:max_num]
    if candidates is not None:
        keep = candidates[keep]
    return torch.cat([boxes[keep], scores[keep, None]], dim=-1), keep


def batched_nms(
    boxes: Tensor, scores: Tensor, idxs: Tensor, nms_cfg: dict[str, Any] | None, class_agnostic: bool = False
) -> tuple[Tensor, Tensor]:
    """NMS per class as mmcv's ``batched_nms``: ``(dets (K, 5), kept indices)`` by decreasing score.

    ``nms_cfg``: ``type`` (only ``nms``), ``iou_threshold``, optional ``max_num`` and
    ``class_agnostic``; ``None`` keeps every box, sorted by score.
    """
    if nms_cfg is None:
        order = scores.argsort(descending=True)
        return torch.cat([boxes[order], scores[order, None]], dim=-1), order
    cfg = dict(nms_cfg)
    kind = cfg.pop("type", "nms")
    if kind != "nms":
        raise NotImplementedError(f"mmcv.ops.batched_nms with type '{kind}' is not provided (only 'nms')")
    agnostic = cfg.pop("class_agnostic", class_agnostic)
    groups = torch.zeros_like(idxs) if agnostic else idxs
    keep = ops.batched_nms(boxes.float(), scores.float(), groups, float(cfg["iou_threshold"]))
    max_num = int(cfg.get("max_num", -1))
    if max_num > 0:
        keep = keep[:max_num]
    return torch.cat([boxes[keep], scores[keep, None]], dim=-1), keep


def roi_align(
    input: Tensor,
    rois: Tensor,
    output_size: int | tuple[int, ...],
    spatial_scale: float = 1.0,
    sampling_ratio: int = 0,
    pool_mode: str = "avg",
    aligned: bool = True,
) -> Tensor:
    """RoI Align as mmcv's ``roi_align``; ``rois`` ``(K, 5)``: batch index then XYXY."""
    if pool_mode != "avg":
        raise NotImplementedError(f"mmcv.ops.roi_align with pool_mode '{pool_mode}' is not provided (only 'avg')")
    size = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
    pooled: Tensor = ops.roi_align(input, rois.to(input.dtype), list(size), spatial_scale, sampling_ratio, aligned)
    return pooled


class RoIAlign(nn.Module):
    """mmcv's ``RoIAlign`` module over :func:`roi_align` (``use_torchvision`` is accepted and ignored)."""

    def __init__(
        self,
        output_size: int | tuple[int, int],
        spatial_scale: float = 1.0,
        sampling_ratio: int = 0,
        pool_mode: str = "avg",
        aligned: bool = True,
        use_torchvision: bool = False,
    ) -> None:
        super().__init__()
        self.output_size = (output_size, output_size) if isinstance(output_size, int) else tuple(output_size)
        self.spatial_scale = float(spatial_scale)
        self.sampling_ratio = int(sampling_ratio)
        self.pool_mode = pool_mode
        self.aligned = aligned

    def forward(self, input: Tensor, rois: Tensor) -> Tensor:
        """Pool ``rois`` ``(K, 5)`` from ``input`` ``(B, C, H, W)`` to ``(K, C, *output_size)``."""
        return roi_align(
            input, rois, self.output_size, self.spatial_scale, self.sampling_ratio, self.pool_mode, self.aligned
        )


PROVIDED: dict[str, Any] = {"nms": nms, "batched_nms": batched_nms, "roi_align": roi_align, "RoIAlign": RoIAlign}
"""The operators of ``mmcv.ops`` that this module implements."""


def _unprovided(name: str) -> type[nn.Module]:
    def refuse(self: nn.Module, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            f"mmcv.ops.{name} needs mmcv's compiled extension, which mmcv-lite lacks; "
            f"OTX provides only {', '.join(sorted(PROVIDED))} (otx.core.model.mm_ops)"
        )

    return type(name, (nn.Module,), {"__init__": refuse, "__module__": "mmcv.ops"})


class _OpsModule(types.ModuleType):
    """``mmcv.ops`` or one of its submodules: provided operators, refusing stand-ins for the rest."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        value = PROVIDED[name] if name in PROVIDED else _unprovided(name)
        setattr(self, name, value)
        return value


class _OpsFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers imports of ``mmcv.ops`` and ``mmcv.ops.*`` with :class:`_OpsModule`."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != "mmcv.ops" and not fullname.startswith("mmcv.ops."):
            return None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = _OpsModule(spec.name)
        module.__path__ = []
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        return None


def install() -> None:
    """Answer ``mmcv.ops`` imports with this module's operators, unless mmcv's compiled extension is installed.

    Raises:
        RuntimeError: ``mmcv.ops`` was imported before, so MM modules may hold the failing original.
    """
    if any(isinstance(finder, _OpsFinder) for finder in sys.meta_path):
        return
    if importlib.util.find_spec("mmcv") is None or _has_compiled_ops():
        return
    if "mmcv.ops" in sys.modules:
        raise RuntimeError("mmcv.ops was imported before otx.core.model.mm_ops.install(); call it first")
    sys.meta_path.insert(0, _OpsFinder())


def _has_compiled_ops() -> bool:
    try:
        return importlib.util.find_spec("mmcv._ext") is not None
    except ImportError:
        return False
