"""Losses of multi-label classification.

Asymmetric loss (Ridnik et al., "Asymmetric Loss For Multi-Label Classification", ICCV 2021):
binary cross-entropy whose negative terms are focused harder (``gamma_neg``) than the positive
ones and whose easy negatives (probability below ``clip``) are discarded, for the many-negatives
imbalance of multi-label data.
"""

import torch
from torch import Tensor

__all__ = ["asymmetric_loss"]


def asymmetric_loss(
    logits: Tensor, targets: Tensor, gamma_pos: float = 0.0, gamma_neg: float = 4.0, clip: float = 0.05
) -> Tensor:
    """Mean asymmetric loss of ``logits`` against 0/1 ``targets``, both ``(B, C)``."""
    prob = logits.sigmoid()
    prob_neg = (prob - clip).clamp(min=0) if clip > 0 else prob
    pos = targets * torch.log(prob.clamp(min=1e-8)) * (1 - prob) ** gamma_pos
    neg = (1 - targets) * torch.log((1 - prob_neg).clamp(min=1e-8)) * prob_neg**gamma_neg
    return -(pos + neg).sum(dim=1).mean()
