"""Training code that must hold under bf16 autocast on the CPU (``--precision bf16-mixed``)."""

import torch

from otx.detection.models.assigner import TaskAlignedAssigner


def test_tiny_det_assigner_takes_bf16_scores() -> None:
    """Under autocast the head's scores are bf16; the assigned targets follow them, not the fp32 IoUs."""
    points = torch.tensor([[8.0, 8.0], [24.0, 24.0], [40.0, 40.0]])
    scores = torch.full((3, 2), 0.5, dtype=torch.bfloat16)
    boxes = torch.tensor([[0.0, 0.0, 16.0, 16.0], [16.0, 16.0, 32.0, 32.0], [60.0, 60.0, 64.0, 64.0]])
    gt_boxes, gt_labels = torch.tensor([[0.0, 0.0, 30.0, 30.0]]), torch.tensor([1])
    assignment = TaskAlignedAssigner()(points, scores, boxes, gt_boxes, gt_labels)
    assert assignment.scores.dtype == torch.bfloat16
    assert assignment.scores[:, 1].sum() > 0 and assignment.scores[:, 0].sum() == 0
