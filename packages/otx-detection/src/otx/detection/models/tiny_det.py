"""TinyDet (written in OTX): a small anchor-free single-stage detector built to train fast on a CPU.

A residual backbone (strides 4-32), an FPN to one width at strides 8/16/32, and per-level heads
that predict class scores and the four distances from each anchor point to the box sides.
Training assigns points to objects with :class:`TaskAlignedAssigner`, learns scores with a
quality focal loss and boxes with a GIoU loss; inference keeps the best points and runs NMS.
"""

import math
from collections.abc import Iterable, Sequence
from typing import Any, Unpack, cast

import torch
import torch.nn.functional as F  # noqa: N812
from torch import Tensor, nn
from torchvision.ops import batched_nms, generalized_box_iou_loss

from otx.core.data.entity import OTXBatchLossEntity
from otx.core.model.incremental import ClassAxis, layer_axes
from otx.core.model.layers import BasicBlock, ConvNormAct
from otx.detection.entities import DetBatchDataEntity, DetBatchPredEntity
from otx.detection.models.assigner import TaskAlignedAssigner
from otx.detection.models.base import DetModelArgs, OTXDetectionModel

__all__ = ["TinyDetNet", "TinyDetSaliency", "TinyDetector"]

STRIDES = (8, 16, 32)
PRIOR_PROBABILITY = 0.01


class _Backbone(nn.Module):
    """Stem to stride 4, then one downsampling residual stage per width; returns strides 8, 16, 32."""

    def __init__(self, widths: Sequence[int], depths: Sequence[int]) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            ConvNormAct(3, widths[0] // 2, stride=2), ConvNormAct(widths[0] // 2, widths[0], stride=2)
        )
        stages = []
        for i, (width, depth) in enumerate(zip(widths, depths, strict=True)):
            first = ConvNormAct(widths[i - 1], width, stride=2) if i else nn.Identity()
            stages.append(nn.Sequential(first, *(BasicBlock(width) for _ in range(depth))))
        self.stages = nn.ModuleList(stages)

    def forward(self, x: Tensor) -> list[Tensor]:
        """Feature maps at strides 8, 16 and 32."""
        x = self.stem(x)
        features = []
        for stage in self.stages:
            x = stage(x)
            features.append(x)
        return features[-3:]


class _FPN(nn.Module):
    """Lateral 1x1 projections to one width, top-down sums, a 3x3 smoothing convolution per level."""

    def __init__(self, in_channels: Sequence[int], width: int) -> None:
        super().__init__()
        self.lateral = nn.ModuleList(ConvNormAct(c, width, kernel_size=1) for c in in_channels)
        self.smooth = nn.ModuleList(ConvNormAct(width, width) for _ in in_channels)

    def forward(self, features: Sequence[Tensor]) -> list[Tensor]:
        """Fused maps, finest first."""
        laterals = [lateral(f) for lateral, f in zip(self.lateral, features, strict=True)]
        for i in range(len(laterals) - 2, -1, -1):
            laterals[i] = laterals[i] + F.interpolate(laterals[i + 1], size=laterals[i].shape[-2:], mode="nearest")
        return [smooth(x) for smooth, x in zip(self.smooth, laterals, strict=True)]


class _Head(nn.Module):
    """Class logits and side distances (in units of the level's stride) for every point of one level."""

    def __init__(self, width: int, num_classes: int, convs: int) -> None:
        super().__init__()
        self.cls_tower = nn.Sequential(*(ConvNormAct(width, width) for _ in range(convs)))
        self.reg_tower = nn.Sequential(*(ConvNormAct(width, width) for _ in range(convs)))
        self.cls = nn.Conv2d(width, num_classes, 1)
        self.reg = nn.Conv2d(width, 4, 1)
        if self.cls.bias is not None:
            nn.init.constant_(self.cls.bias, -math.log((1 - PRIOR_PROBABILITY) / PRIOR_PROBABILITY))

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(B, H*W, C)`` logits and ``(B, H*W, 4)`` positive distances."""
        logits = self.cls(self.cls_tower(x)).flatten(2).transpose(1, 2)
        distances = F.softplus(self.reg(self.reg_tower(x))).flatten(2).transpose(1, 2)
        return logits, distances


class TinyDetNet(nn.Module):
    """Images ``(B, 3, H, W)`` to ``(logits (B, A, C), boxes (B, A, 4) XYXY pixels, points (A, 2))``."""

    def __init__(
        self, num_classes: int, widths: Sequence[int], depths: Sequence[int], neck_width: int, head_convs: int
    ) -> None:
        super().__init__()
        self.backbone = _Backbone(widths, depths)
        self.neck = _FPN(widths[-3:], neck_width)
        self.heads = nn.ModuleList(_Head(neck_width, num_classes, head_convs) for _ in STRIDES)

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Run the network and decode each point's distances into a box."""
        all_logits, all_boxes, all_points = [], [], []
        for head, feature, stride in zip(self.heads, self.neck(self.backbone(images)), STRIDES, strict=True):
            logits, distances = head(feature)
            points = _grid_points(feature.shape[-2], feature.shape[-1], stride, images.device)
            sides = distances * stride
            all_boxes.append(torch.cat([points - sides[..., :2], points + sides[..., 2:]], dim=-1))
            all_logits.append(logits)
            all_points.append(points)
        return torch.cat(all_logits, 1), torch.cat(all_boxes, 1), torch.cat(all_points, 0)


def _grid_points(height: int, width: int, stride: int, device: torch.device) -> Tensor:
    ys, xs = torch.meshgrid(
        torch.arange(height, device=device, dtype=torch.float32),
        torch.arange(width, device=device, dtype=torch.float32),
        indexing="ij",
    )
    return (torch.stack([xs, ys], dim=-1).reshape(-1, 2) + 0.5) * stride


class TinyDetector(OTXDetectionModel):
    """TinyDet as an OTX model (see the module docstring).

    Args:
        widths, depths: channels and residual blocks of the four backbone stages (strides 4-32).
        neck_width: channels of the FPN and heads. head_convs: 3x3 convolutions per head branch.
        top_k, alpha, beta: the task-aligned assigner's settings.
        box_loss_weight: weight of the GIoU loss against the classification loss.
        nms_iou, max_detections, min_score: inference post-processing.
    """

    def __init__(
        self,
        *,
        widths: Sequence[int] = (32, 64, 128, 256),
        depths: Sequence[int] = (1, 1, 1, 1),
        neck_width: int = 64,
        head_convs: int = 2,
        top_k: int = 10,
        alpha: float = 1.0,
        beta: float = 6.0,
        box_loss_weight: float = 2.0,
        nms_iou: float = 0.6,
        max_detections: int = 100,
        min_score: float = 0.05,
        **base: Unpack[DetModelArgs],
    ) -> None:
        self.widths, self.depths, self.neck_width, self.head_convs = widths, depths, neck_width, head_convs
        self.assigner = TaskAlignedAssigner(top_k=top_k, alpha=alpha, beta=beta)
        self.box_loss_weight = box_loss_weight
        self.nms_iou, self.max_detections, self.min_score = nms_iou, max_detections, min_score
        super().__init__(**base)

    def create_model(self) -> nn.Module:
        """The network for this label set."""
        return TinyDetNet(self.label_info.num_classes, self.widths, self.depths, self.neck_width, self.head_convs)

    def class_axis_params(self) -> dict[str, ClassAxis]:
        """The class-logit convolution of every level's head."""
        return layer_axes(self.model, [f"heads.{level}.cls" for level in range(len(STRIDES))])

    def customize_inputs(self, batch: DetBatchDataEntity) -> dict[str, Any]:
        """The network takes the image batch alone."""
        return {"images": batch.images}

    def customize_outputs(self, outputs: Any, batch: DetBatchDataEntity) -> OTXBatchLossEntity | DetBatchPredEntity:
        """Losses against the assigned targets in training; NMS-filtered detections otherwise."""
        logits, boxes, points = outputs
        if self.training:
            return self._losses(logits, boxes, points, batch)
        return self._detections(logits.sigmoid(), boxes, batch)

    def _losses(self, logits: Tensor, boxes: Tensor, points: Tensor, batch: DetBatchDataEntity) -> OTXBatchLossEntity:
        scores = logits.detach().sigmoid()
        assignments = [
            self.assigner(points, s, b.detach(), gt_boxes, gt_labels)
            for s, b, gt_boxes, gt_labels in zip(scores, boxes, batch.boxes, batch.labels, strict=True)
        ]
        target_scores = torch.stack([a.scores for a in assignments])
        positive = torch.stack([a.positive for a in assignments])
        target_boxes = torch.stack([a.boxes for a in assignments])
        normalizer = target_scores.sum().clamp(min=1.0)
        probabilities = logits.sigmoid()
        focal = (probabilities - target_scores).abs().pow(2.0)
        cls_loss = (F.binary_cross_entropy_with_logits(logits, target_scores, reduction="none") * focal).sum()
        # Every positive point's box counts fully: weighting by the (IoU-based) score target would starve
        # small objects, whose early boxes overlap poorly, of the regression that would improve them.
        box_loss = generalized_box_iou_loss(boxes[positive], target_boxes[positive], reduction="sum")
        positives = positive.sum().clamp(min=1)
        return OTXBatchLossEntity({"cls": cls_loss / normalizer, "box": self.box_loss_weight * box_loss / positives})

    def _detections(self, scores: Tensor, boxes: Tensor, batch: DetBatchDataEntity) -> DetBatchPredEntity:
        candidates, labels = top_candidates(scores, boxes, batch.images.shape[-2], batch.images.shape[-1])
        return self._suppressed(candidates, labels, batch)

    def _suppressed(self, candidates: Tensor, labels: Tensor, batch: DetBatchDataEntity) -> DetBatchPredEntity:
        """Per image: candidates ``(K, 5)`` above ``min_score``, class-wise NMS, the best ``max_detections``."""
        kept_boxes, kept_scores, kept_labels = [], [], []
        for image_candidates, image_labels in zip(candidates, labels.long(), strict=True):
            confident = image_candidates[:, 4] > self.min_score
            boxes, scores = image_candidates[confident, :4], image_candidates[confident, 4]
            classes = image_labels[confident]
            keep = batched_nms(boxes, scores, classes, self.nms_iou)[: self.max_detections]
            kept_boxes.append(boxes[keep])
            kept_scores.append(scores[keep])
            kept_labels.append(classes[keep])
        return DetBatchPredEntity(imgs_info=batch.imgs_info, boxes=kept_boxes, scores=kept_scores, labels=kept_labels)

    def export_module(self) -> nn.Module:
        """The network with its candidate selection; NMS is left to the runtime (Model API does it)."""
        return _ExportedTinyDet(self.model)

    def explain_module(self) -> nn.Module:
        """Class probability maps of the heads (see :class:`TinyDetSaliency`)."""
        return TinyDetSaliency(cast(TinyDetNet, self.model))

    def predictions_from_export(self, outputs: Any, batch: DetBatchDataEntity) -> DetBatchPredEntity:
        """NMS on the exported candidates, as for the torch network."""
        candidates, labels = outputs
        return self._suppressed(candidates, labels, batch)

    def export_metadata(self) -> dict[str, str]:
        """Model API's SSD wrapper with its class-wise NMS set as ours."""
        return {
            **super().export_metadata(),
            "nms_execute": "True",
            "agnostic_nms": "False",
            "iou_threshold": str(self.nms_iou),
            "nms_max_predictions": str(self.max_detections),
        }


CANDIDATES = 1000
"""Most (point, class) candidates per image passed to NMS."""


def top_candidates(scores: Tensor, boxes: Tensor, height: int, width: int) -> tuple[Tensor, Tensor]:
    """The best-scoring (point, class) pairs: boxes with scores ``(B, K, 5)`` and labels ``(B, K)``."""
    num_classes = scores.shape[-1]
    flat = scores.flatten(1)
    best, index = flat.topk(min(CANDIDATES, flat.shape[1]), dim=1)
    point = torch.div(index, num_classes, rounding_mode="floor")
    chosen = boxes.gather(1, point[..., None].expand(-1, -1, 4))
    limits = boxes.new_tensor([width, height, width, height])
    chosen = torch.minimum(chosen.clamp(min=0), limits)
    return torch.cat([chosen, best[..., None]], dim=-1), index % num_classes


class _ExportedTinyDet(nn.Module):
    """TinyDet for deployment: images to the top candidates, without NMS."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """``(boxes (B, K, 5), labels (B, K))``."""
        logits, boxes, _ = self.net(images)
        return top_candidates(logits.sigmoid(), boxes, images.shape[-2], images.shape[-1])


class TinyDetSaliency(nn.Module):
    """Images to ``(class probability maps (B, C, h, w), pooled FPN features (B, 3 * width))``.

    Each level's head scores every point for every class; the maps are those sigmoid scores, the
    coarser levels resized to the finest (stride 8) and the three levels' maxima taken.
    """

    def __init__(self, net: TinyDetNet) -> None:
        super().__init__()
        self.net = net

    def forward(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """Saliency maps and the feature vector."""
        features = self.net.neck(self.net.backbone(images))
        size = features[0].shape[-2:]
        maps = [
            F.interpolate(head.cls(head.cls_tower(feature)).sigmoid(), size=size, mode="bilinear", align_corners=False)
            for head, feature in zip(cast(Iterable[_Head], self.net.heads), features, strict=True)
        ]
        return torch.stack(maps).amax(dim=0), torch.cat([f.mean(dim=(2, 3)) for f in features], dim=1)
