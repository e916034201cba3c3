"""torchvision detectors in OTX, adapted only through ``create_model`` / ``customize_inputs`` / ``customize_outputs``.

torchvision's detection models take a list of images and (in training) a list of target dicts
with label 0 reserved for background; they return a dict of losses in training and a list of
detection dicts otherwise. Their internal resize is pinned to the size of our batches, and their
normalization is the identity because our images arrive normalized.
"""

from collections.abc import Iterable
from functools import partial
from typing import Any, cast

from torch import Tensor, nn
from torchvision.models.detection import (
    MaskRCNN,
    fasterrcnn_mobilenet_v3_large_fpn,
    ssdlite320_mobilenet_v3_large,
)
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.backbone_utils import mobilenet_backbone, resnet_fpn_backbone
from torchvision.models.detection.transform import GeneralizedRCNNTransform
from torchvision.ops import FrozenBatchNorm2d, MultiScaleRoIAlign

from otx.core.data.entity import OTXBatchLossEntity
from otx.core.errors import ConfigError
from otx.core.model.incremental import ClassAxis, layer_axes
from otx.detection.entities import (
    DetBatchDataEntity,
    DetBatchPredEntity,
    InstSegBatchDataEntity,
    InstSegBatchPredEntity,
)
from otx.detection.models.base import OTXDetectionModel, OTXInstanceSegModel

__all__ = ["FasterRCNNMobileNetV3", "MaskRCNNMobileNetV3", "MaskRCNNResNet50", "SSDLiteMobileNetV3"]

_IDENTITY_NORMALIZATION = {"image_mean": [0.0, 0.0, 0.0], "image_std": [1.0, 1.0, 1.0]}
MASK_THRESHOLD = 0.5


def _pin_resize(module: nn.Module, height: int, width: int) -> None:
    """Make torchvision's internal transform keep images of ``height x width`` as they are."""
    transform = getattr(module, "transform", None)
    if not isinstance(transform, GeneralizedRCNNTransform):
        return
    transform.min_size = (min(height, width),)
    transform.max_size = max(height, width)
    if transform.fixed_size is not None:
        transform.fixed_size = (height, width)


def _refuse_export(model: nn.Module) -> nn.Module:
    raise ConfigError(
        f"{type(model).__name__} cannot be exported: torchvision's detection post-processing (per-image "
        "proposals and NMS in Python) does not convert to OpenVINO. Train tiny_det to deploy with OpenVINO."
    )


def _torchvision_inputs(module: nn.Module, batch: DetBatchDataEntity, training: bool) -> dict[str, Any]:
    _pin_resize(module, int(batch.images.shape[-2]), int(batch.images.shape[-1]))
    inputs: dict[str, Any] = {"images": list(batch.images)}
    if training:
        targets = [{"boxes": b, "labels": labels + 1} for b, labels in zip(batch.boxes, batch.labels, strict=True)]
        if isinstance(batch, InstSegBatchDataEntity):
            for target, masks in zip(targets, batch.masks, strict=True):
                target["masks"] = masks.byte()
        inputs["targets"] = targets
    return inputs


class _TorchvisionDetector(OTXDetectionModel):
    """Shared adaptation of torchvision detectors that return boxes."""

    def export_module(self) -> nn.Module:
        """Not supported (see :func:`_refuse_export`)."""
        return _refuse_export(self)

    def customize_inputs(self, batch: DetBatchDataEntity) -> dict[str, Any]:
        """Images as a list; targets with labels shifted past torchvision's background class."""
        return _torchvision_inputs(self.model, batch, self.training)

    def customize_outputs(self, outputs: Any, batch: DetBatchDataEntity) -> OTXBatchLossEntity | DetBatchPredEntity:
        """The loss dict in training; torchvision's detections (labels shifted back) otherwise."""
        if self.training:
            return OTXBatchLossEntity(dict(outputs))
        return DetBatchPredEntity(
            imgs_info=batch.imgs_info,
            boxes=[o["boxes"] for o in outputs],
            scores=[o["scores"] for o in outputs],
            labels=[o["labels"] - 1 for o in outputs],
        )


def _roi_axes(model: nn.Module) -> dict[str, ClassAxis]:
    """The box predictor of an R-CNN (class scores, 4 box deltas per class; background first) and its mask logits."""
    axes = {
        **layer_axes(model, ["roi_heads.box_predictor.cls_score"], offset=1),
        **layer_axes(model, ["roi_heads.box_predictor.bbox_pred"], offset=4, per_class=4),
    }
    if getattr(model.roi_heads, "mask_predictor", None) is not None:
        axes.update(layer_axes(model, ["roi_heads.mask_predictor.mask_fcn_logits"], offset=1))
    return axes


class SSDLiteMobileNetV3(_TorchvisionDetector):
    """torchvision's SSDLite with a MobileNetV3-Large backbone."""

    def class_axis_params(self) -> dict[str, ClassAxis]:
        """Each level's class convolution: per anchor, background then one row per class."""
        axes = {}
        blocks = self.model.get_submodule("head.classification_head.module_list")
        for level, block in enumerate(cast(Iterable[nn.Sequential], blocks)):
            conv = cast(nn.Conv2d, block[-1])
            groups = conv.out_channels // (self.label_info.num_classes + 1)
            name = f"head.classification_head.module_list.{level}.{len(block) - 1}"
            axes.update(layer_axes(self.model, [name], offset=1, groups=groups))
        return axes

    def create_model(self) -> nn.Module:
        """SSDLite for our classes plus background."""
        model: nn.Module = ssdlite320_mobilenet_v3_large(
            weights=None, weights_backbone=None, num_classes=self.label_info.num_classes + 1, **_IDENTITY_NORMALIZATION
        )
        return model


class FasterRCNNMobileNetV3(_TorchvisionDetector):
    """torchvision's Faster R-CNN with a MobileNetV3-Large FPN backbone."""

    def class_axis_params(self) -> dict[str, ClassAxis]:
        """The box predictor's class rows."""
        return _roi_axes(self.model)

    def create_model(self) -> nn.Module:
        """Faster R-CNN for our classes plus background."""
        model: nn.Module = fasterrcnn_mobilenet_v3_large_fpn(
            weights=None, weights_backbone=None, num_classes=self.label_info.num_classes + 1, **_IDENTITY_NORMALIZATION
        )
        return model


class _TorchvisionMaskRCNN(OTXInstanceSegModel):
    """Shared adaptation of torchvision's Mask R-CNNs."""

    def class_axis_params(self) -> dict[str, ClassAxis]:
        """The box predictor's and the mask predictor's class rows."""
        return _roi_axes(self.model)

    def export_module(self) -> nn.Module:
        """Not supported (see :func:`_refuse_export`)."""
        return _refuse_export(self)

    def customize_inputs(self, batch: DetBatchDataEntity) -> dict[str, Any]:
        """Images as a list; targets with shifted labels and byte masks."""
        return _torchvision_inputs(self.model, batch, self.training)

    def customize_outputs(self, outputs: Any, batch: DetBatchDataEntity) -> OTXBatchLossEntity | InstSegBatchPredEntity:
        """The loss dict in training; torchvision's detections with masks thresholded at 0.5 otherwise."""
        if self.training:
            return OTXBatchLossEntity(dict(outputs))
        masks: list[Tensor] = [o["masks"][:, 0] > MASK_THRESHOLD for o in outputs]
        return InstSegBatchPredEntity(
            imgs_info=batch.imgs_info,
            boxes=[o["boxes"] for o in outputs],
            scores=[o["scores"] for o in outputs],
            labels=[o["labels"] - 1 for o in outputs],
            masks=masks,
        )


class MaskRCNNMobileNetV3(_TorchvisionMaskRCNN):
    """torchvision's Mask R-CNN on a MobileNetV3-Large FPN backbone (two feature levels and a pooled one)."""

    def create_model(self) -> nn.Module:
        """Mask R-CNN for our classes plus background, with RoI pooling over the backbone's levels."""
        backbone = mobilenet_backbone(
            backbone_name="mobilenet_v3_large", weights=None, fpn=True, trainable_layers=6, returned_layers=[4, 5]
        )
        levels = ["0", "1"]
        anchors = AnchorGenerator(sizes=((32, 64, 128, 256, 512),) * 3, aspect_ratios=((0.5, 1.0, 2.0),) * 3)
        pool = partial(MultiScaleRoIAlign, featmap_names=levels, sampling_ratio=2)
        model: nn.Module = MaskRCNN(
            backbone,
            num_classes=self.label_info.num_classes + 1,
            rpn_anchor_generator=anchors,
            box_roi_pool=pool(output_size=7),
            mask_roi_pool=pool(output_size=14),
            **_IDENTITY_NORMALIZATION,
        )
        return model


class MaskRCNNResNet50(_TorchvisionMaskRCNN):
    """torchvision's Mask R-CNN on a ResNet-50 FPN backbone, built as its COCO weights were trained.

    Frozen batch norm and the first two backbone stages frozen (``trainable_layers=3``), as torchvision
    fine-tunes it: the recipe starts from the COCO weights.
    """

    def create_model(self) -> nn.Module:
        """Mask R-CNN R50-FPN for our classes plus background."""
        backbone = resnet_fpn_backbone(
            backbone_name="resnet50", weights=None, norm_layer=FrozenBatchNorm2d, trainable_layers=3
        )
        model: nn.Module = MaskRCNN(backbone, num_classes=self.label_info.num_classes + 1, **_IDENTITY_NORMALIZATION)
        return model
