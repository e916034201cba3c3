"""MMDetection detectors in OTX, built from MMDetection's own configs and registry (extra ``otx-detection[mmdet]``).

:meth:`MMDetDetector.create_model` reads a config shipped inside the ``mmdet`` package (such as
``rtmdet/rtmdet_tiny_8xb32-300e_coco.py``), sets our number of classes, drops its pretrained
checkpoint and builds it with ``mmdet.registry.MODELS``. :meth:`~MMDetDetector.customize_inputs`
turns our batch into images and ``DetDataSample`` records, and
:meth:`~MMDetDetector.customize_outputs` turns mmdet's losses and predicted instances back into
our entities. Our images arrive normalized, so mmdet's own data preprocessor is not called; boxes
stay in the pixels of the input image (scale factor 1).

mmdet imports ``mmcv.ops``; :mod:`otx.core.model.mm_ops` provides its operators first.

Example:
    >>> model = MMDetDetector(label_info=["cat", "dog"], config="rtmdet/rtmdet_tiny_8xb32-300e_coco.py")
"""

from typing import Any, Unpack

import torch
from torch import Tensor, nn

from otx.core.data.entity import OTXBatchLossEntity
from otx.core.errors import ConfigError
from otx.core.model.base import OTXModelArgs
from otx.core.model.incremental import ClassAxis, layer_axes
from otx.core.model.mm_packages import import_mm, shipped_config
from otx.detection.entities import DetBatchDataEntity, DetBatchPredEntity
from otx.detection.models.base import OTXDetectionModel

__all__ = ["MMDetDetector", "import_mmdet", "mm_losses", "mmdet_config"]


def import_mmdet() -> Any:
    """The ``mmdet`` module, its models and transforms registered (after the ``mmcv.ops`` seam is installed)."""
    return import_mm("mmdet", "otx-detection[mmdet]")


def mmdet_config(name: str) -> Any:
    """The ``mmengine`` config ``name`` from the configs shipped in the ``mmdet`` package."""
    return shipped_config(import_mmdet(), name)


def mm_losses(losses: dict[str, Any]) -> OTXBatchLossEntity:
    """Our loss entity from an mm loss dict: the entries named ``loss*``, lists (one per level) summed."""
    named: dict[str, Tensor] = {}
    for key, value in losses.items():
        if "loss" in key:
            named[key] = torch.stack(list(value)).sum() if isinstance(value, list | tuple) else value
    return OTXBatchLossEntity(named)


def det_samples(batch: DetBatchDataEntity, training: bool) -> list[Any]:
    """One ``DetDataSample`` per image: its shape (no rescaling) and, in training, its boxes and labels."""
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData

    shape = (int(batch.images.shape[-2]), int(batch.images.shape[-1]))
    samples = []
    for index in range(len(batch.imgs_info)):
        sample = DetDataSample(
            metainfo={
                "img_shape": shape,
                "ori_shape": shape,
                "pad_shape": shape,
                "batch_input_shape": shape,
                "scale_factor": (1.0, 1.0),
            }
        )
        if training:
            sample.gt_instances = InstanceData(bboxes=batch.boxes[index], labels=batch.labels[index])
        samples.append(sample)
    return samples


class MMDetDetector(OTXDetectionModel):
    """A box detector of MMDetection built from one of its configs.

    Args:
        config: path of the config inside mmdet's ``configs`` folder.
    """

    postprocessing = "score filtering, box decoding and NMS"
    """What mmdet's ``predict`` does per image in Python (named by :meth:`export_module`'s refusal)."""
    deploy_hint = " Train tiny_det to deploy with OpenVINO."

    def __init__(self, *, config: str, score_threshold: float = 0.3, **base: Unpack[OTXModelArgs]) -> None:
        self.config = config
        super().__init__(score_threshold=score_threshold, **base)

    def create_model(self) -> nn.Module:
        """The config's model for our classes, randomly initialized."""
        cfg = mmdet_config(self.config)
        from mmdet.registry import MODELS

        head = cfg.model.get("bbox_head") or cfg.model.get("roi_head", {}).get("bbox_head")
        if head is None:
            raise ConfigError(f"mmdet config '{self.config}' has no bbox_head to set the number of classes on")
        head.num_classes = self.label_info.num_classes
        if cfg.model.get("backbone", {}).get("init_cfg") is not None:
            cfg.model.backbone.init_cfg = None
        model: nn.Module = MODELS.build(cfg.model)
        model.init_weights()  # type: ignore[operator]
        return model

    def class_axis_params(self) -> dict[str, ClassAxis]:
        """RTMDet-style heads: one class convolution per level (``bbox_head.rtm_cls.<level>``); none otherwise."""
        levels = getattr(getattr(self.model, "bbox_head", None), "rtm_cls", None)
        if not isinstance(levels, nn.ModuleList):
            return {}
        return layer_axes(self.model, [f"bbox_head.rtm_cls.{i}" for i in range(len(levels))])

    def customize_inputs(self, batch: DetBatchDataEntity) -> dict[str, Any]:
        """Normalized images, one ``DetDataSample`` each, and mmdet's mode (``loss`` or ``predict``)."""
        return {
            "inputs": batch.images,
            "data_samples": det_samples(batch, self.training),
            "mode": "loss" if self.training else "predict",
        }

    def customize_outputs(self, outputs: Any, batch: DetBatchDataEntity) -> OTXBatchLossEntity | DetBatchPredEntity:
        """Summed losses in training; each sample's ``pred_instances`` otherwise."""
        if self.training:
            return mm_losses(outputs)
        instances = [sample.pred_instances for sample in outputs]
        return DetBatchPredEntity(
            imgs_info=batch.imgs_info,
            boxes=[i.bboxes for i in instances],
            scores=[i.scores for i in instances],
            labels=[i.labels for i in instances],
        )

    def export_module(self) -> nn.Module:
        """Not supported: see the error."""
        raise ConfigError(
            f"{type(self).__name__} ({self.config}) cannot be exported to OpenVINO: mmdet's post-processing "
            f"({self.postprocessing} per image over InstanceData records) runs in Python and does not trace."
            f"{self.deploy_hint}"
        )
