"""MMSegmentation models in OTX, built from mmseg's own configs and registry (extra ``otx-segmentation[mmseg]``).

:meth:`MMSegSegmenter.create_model` reads a config shipped inside the ``mmseg`` package (such as
``segformer/segformer_mit-b0_8xb2-160k_ade20k-512x512.py``, SegFormer-B0: Xie et al., "SegFormer:
Simple and Efficient Design for Semantic Segmentation with Transformers", 2021), sets our number of
classes, drops its pretrained checkpoint, replaces ``SyncBN`` by ``BN``, averages cross-entropy over
labelled pixels only (``avg_non_ignore``, as PyTorch does) and builds it with
``mmseg.registry.MODELS``. In training, :meth:`~MMSegSegmenter.customize_inputs` gives mmseg our
images and one ``SegDataSample`` per label map, and :meth:`~MMSegSegmenter.customize_outputs` turns
mmseg's decode-head losses into our loss entity. Otherwise mmseg's ``tensor`` mode returns the decode
head's logits, which the task half resizes to the input and turns into probabilities and classes, as
mmseg's own ``predict`` does in Python per image; this way the prediction graph traces for export.
Our images arrive normalized, so mmseg's data preprocessor is not built.

mmseg imports ``mmcv.ops``; :mod:`otx.core.model.mm_ops` provides its operators first.

Example:
    >>> config = "segformer/segformer_mit-b0_8xb2-160k_ade20k-512x512.py"
    >>> model = MMSegSegmenter(label_info=["background", "cell"], config=config)
"""

from typing import Any, Unpack

from torch import Tensor, nn

from otx.core.data.entity import OTXBatchLossEntity
from otx.core.errors import ConfigError
from otx.core.model.base import OTXModelArgs
from otx.core.model.incremental import ClassAxis, layer_axes
from otx.core.model.mm_packages import import_mm, shipped_config
from otx.segmentation.entities import SegBatchDataEntity, SegBatchPredEntity
from otx.segmentation.models.base import OTXSegmentationModel

__all__ = ["MMSegSegmenter", "import_mmseg", "mmseg_config"]


def import_mmseg() -> Any:
    """The ``mmseg`` module, its models registered (after the ``mmcv.ops`` seam is installed)."""
    return import_mm("mmseg", "otx-segmentation[mmseg]")


def mmseg_config(name: str) -> Any:
    """The ``mmengine`` config ``name`` from the configs shipped in the ``mmseg`` package."""
    return shipped_config(import_mmseg(), name)


def _heads(model_cfg: Any) -> list[Any]:
    """The decode head's config and the auxiliary heads' (a dict, a list of dicts or none)."""
    auxiliary = model_cfg.get("auxiliary_head") or []
    return [model_cfg.decode_head, *(auxiliary if isinstance(auxiliary, list) else [auxiliary])]


def _plain_batch_norm(node: Any) -> None:
    """Replace ``SyncBN`` by ``BN`` throughout a config: the Trainer converts for distributed runs itself."""
    if isinstance(node, dict):
        if node.get("type") == "SyncBN":
            node["type"] = "BN"
        for value in node.values():
            _plain_batch_norm(value)
    elif isinstance(node, list | tuple):
        for value in node:
            _plain_batch_norm(value)


class MMSegSegmenter(OTXSegmentationModel):
    """An encoder-decoder segmenter of MMSegmentation built from one of its configs.

    Args:
        config: path of the config inside mmseg's ``configs`` folder.
    """

    def __init__(self, *, config: str, **base: Unpack[OTXModelArgs]) -> None:
        self.config = config
        super().__init__(**base)

    def create_model(self) -> nn.Module:
        """The config's model for our classes, randomly initialized."""
        cfg = mmseg_config(self.config)
        from mmseg.registry import MODELS

        if cfg.model.get("decode_head") is None:
            raise ConfigError(f"mmseg config '{self.config}' has no decode_head to set the number of classes on")
        for head in _heads(cfg.model):
            head.num_classes = self.label_info.num_classes
            for loss in head.loss_decode if isinstance(head.loss_decode, list) else [head.loss_decode]:
                if loss.get("type") == "CrossEntropyLoss":
                    loss.avg_non_ignore = True  # mean over labelled pixels, as PyTorch's and our models' losses
        cfg.model.pretrained = None
        if cfg.model.get("backbone", {}).get("init_cfg") is not None:
            cfg.model.backbone.init_cfg = None
        cfg.model.pop("data_preprocessor", None)
        _plain_batch_norm(cfg.model)
        model: nn.Module = MODELS.build(cfg.model)
        model.init_weights()  # type: ignore[operator]
        return model

    def class_axis_params(self) -> dict[str, ClassAxis]:
        """The class convolution of each head (``decode_head.conv_seg``, ``auxiliary_head[.i].conv_seg``)."""
        names = [
            name
            for name, layer in self.model.named_modules()
            if name.endswith("conv_seg") and isinstance(layer, nn.Conv2d)
        ]
        return layer_axes(self.model, names)

    def customize_inputs(self, batch: SegBatchDataEntity) -> dict[str, Any]:
        """Normalized images; in training with one ``SegDataSample`` per label map (``loss`` mode), else ``tensor``."""
        if not self.training:
            return {"inputs": batch.images, "mode": "tensor"}
        from mmengine.structures import PixelData
        from mmseg.structures import SegDataSample

        shape = (int(batch.images.shape[-2]), int(batch.images.shape[-1]))
        samples = []
        for mask in batch.masks:
            sample = SegDataSample(metainfo={"img_shape": shape, "ori_shape": shape, "pad_shape": shape})
            sample.gt_sem_seg = PixelData(data=mask[None])
            samples.append(sample)
        return {"inputs": batch.images, "data_samples": samples, "mode": "loss"}

    def customize_outputs(self, outputs: Any, batch: SegBatchDataEntity) -> OTXBatchLossEntity | SegBatchPredEntity:
        """Mmseg's losses (the entries named ``*loss*``) in training; the task half on the logits otherwise."""
        if self.training:
            losses: dict[str, Tensor] = {key: value for key, value in outputs.items() if "loss" in key}
            return OTXBatchLossEntity(losses)
        return super().customize_outputs(outputs, batch)
