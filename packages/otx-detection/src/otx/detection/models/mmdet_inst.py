"""MMDetection instance-segmentation models in OTX (extra ``otx-detection[mmdet]``), such as RTMDet-Ins-tiny.

:class:`MMDetInstanceSegmenter` is :class:`~otx.detection.models.mmdet_det.MMDetDetector` (config
loading, building, images and ``DetDataSample`` records, losses) with the instance-segmentation
task half: in training each sample's ``gt_instances`` also carries our masks as mmdet's
``BitmapMasks``, and mmdet's predicted ``masks`` (bool, in input pixels) come back with the boxes.

Example:
    >>> model = MMDetInstanceSegmenter(label_info=["cat"], config="rtmdet/rtmdet-ins_tiny_8xb32-300e_coco.py")
"""

from typing import Any

from torch import Tensor

from otx.core.data.entity import OTXBatchLossEntity
from otx.core.errors import ConfigError
from otx.detection.entities import DetBatchDataEntity, InstSegBatchDataEntity, InstSegBatchPredEntity
from otx.detection.models.base import OTXInstanceSegModel
from otx.detection.models.mmdet_det import MMDetDetector

__all__ = ["MMDetInstanceSegmenter", "bitmap_masks"]


def bitmap_masks(masks: Tensor) -> Any:
    """Boolean masks ``(N, H, W)`` as mmdet's ``BitmapMasks``."""
    from mmdet.structures.mask import BitmapMasks

    height, width = masks.shape[-2:]
    return BitmapMasks(masks.detach().cpu().numpy().astype("uint8"), int(height), int(width))


class MMDetInstanceSegmenter(MMDetDetector, OTXInstanceSegModel):
    """An instance-segmentation model of MMDetection built from one of its configs (boxes and one mask each).

    Args:
        config: path of the config inside mmdet's ``configs`` folder; its model must predict masks.
    """

    postprocessing = "score filtering, box decoding, NMS and mask assembly"
    deploy_hint = ""

    def customize_inputs(self, batch: DetBatchDataEntity) -> dict[str, Any]:
        """As for detection; in training the samples' ``gt_instances`` also hold the masks."""
        inputs = super().customize_inputs(batch)
        if not self.training:
            return inputs
        if not isinstance(batch, InstSegBatchDataEntity):
            raise TypeError(f"{type(self).__name__} trains on InstSegBatchDataEntity, not {type(batch).__name__}")
        for sample, masks in zip(inputs["data_samples"], batch.masks, strict=True):
            sample.gt_instances.masks = bitmap_masks(masks)
        return inputs

    def customize_outputs(self, outputs: Any, batch: DetBatchDataEntity) -> OTXBatchLossEntity | InstSegBatchPredEntity:
        """Summed losses in training; each sample's ``pred_instances`` with their masks otherwise."""
        preds = super().customize_outputs(outputs, batch)
        if isinstance(preds, OTXBatchLossEntity):
            return preds
        instances = [sample.pred_instances for sample in outputs]
        if not all("masks" in i for i in instances):
            raise ConfigError(f"mmdet config '{self.config}' predicts no masks: choose an instance-segmentation model")
        return InstSegBatchPredEntity(
            imgs_info=preds.imgs_info,
            boxes=preds.boxes,
            scores=preds.scores,
            labels=preds.labels,
            masks=[i.masks.bool() for i in instances],
        )
