"""Task-aligned label assignment: which anchor points learn which object, and how confidently.

For each object, the points inside its box are ranked by ``score ** alpha * iou ** beta`` (the
predicted score for the object's class and the IoU of the predicted box with it); the best
``top_k`` become positives. A point claimed by several objects goes to the one it overlaps most.
The classification target of a positive is its alignment normalized so that an object's best
point gets that point's IoU: well-localized, confident points are taught to score high.
"""

import torch
from attrs import frozen
from torch import Tensor
from torchvision.ops import box_iou

__all__ = ["Assignment", "TaskAlignedAssigner"]


@frozen
class Assignment:
    """Per anchor point: target box ``(A, 4)``, class-score target ``(A, C)`` and whether it is positive ``(A,)``."""

    boxes: Tensor
    scores: Tensor
    positive: Tensor


@frozen(kw_only=True)
class TaskAlignedAssigner:
    """Assigns anchor points to objects by task alignment (see the module docstring)."""

    top_k: int = 10
    alpha: float = 1.0
    beta: float = 6.0

    @torch.no_grad()
    def __call__(
        self, points: Tensor, pred_scores: Tensor, pred_boxes: Tensor, gt_boxes: Tensor, gt_labels: Tensor
    ) -> Assignment:
        """Assign ``points`` ``(A, 2)`` with predictions ``(A, C)``/``(A, 4)`` to objects ``(G, 4)``/``(G,)``."""
        num_points, num_classes = pred_scores.shape
        target_scores = pred_scores.new_zeros(num_points, num_classes)
        if len(gt_boxes) == 0:
            return Assignment(pred_boxes.new_zeros(num_points, 4), target_scores, points.new_zeros(num_points).bool())
        inside = _points_inside(points, gt_boxes)  # (G, A)
        ious = box_iou(gt_boxes, pred_boxes).clamp(min=0) * inside
        alignment = pred_scores[:, gt_labels].T.pow(self.alpha) * ious.pow(self.beta) * inside
        top = alignment.topk(min(self.top_k, num_points), dim=1).indices
        candidate = torch.zeros_like(inside)
        candidate.scatter_(1, top, True)
        candidate &= inside & (alignment > 0)
        owner_iou = torch.where(candidate, ious, torch.full_like(ious, -1.0))
        owner = owner_iou.argmax(dim=0)  # (A,)
        positive = candidate.any(dim=0)
        owned = candidate & (torch.arange(len(gt_boxes), device=points.device)[:, None] == owner[None, :])
        aligned = alignment * owned
        best_alignment = aligned.amax(dim=1, keepdim=True).clamp(min=1e-9)
        best_iou = (ious * owned).amax(dim=1, keepdim=True)
        quality = (aligned / best_alignment * best_iou).amax(dim=0)  # (A,)
        labels = gt_labels[owner]
        target_scores[positive, labels[positive]] = quality[positive].to(target_scores.dtype)  # bf16 under autocast
        return Assignment(gt_boxes[owner], target_scores, positive)


def _points_inside(points: Tensor, boxes: Tensor) -> Tensor:
    x, y = points[:, 0][None], points[:, 1][None]
    return (x > boxes[:, 0:1]) & (x < boxes[:, 2:3]) & (y > boxes[:, 1:2]) & (y < boxes[:, 3:4])
