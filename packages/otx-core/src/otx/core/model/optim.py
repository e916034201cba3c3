"""Optimizers and per-step learning-rate schedules from recipe configs."""

import math
from collections.abc import Iterable

import torch
from torch import nn

from otx.core.config.recipe import OptimizerConfig, SchedulerConfig
from otx.core.errors import ConfigError

__all__ = ["build_optimizer", "build_scheduler"]


def build_optimizer(params: Iterable[nn.Parameter], config: OptimizerConfig) -> torch.optim.Optimizer:
    """The ``torch.optim`` class named in ``config``."""
    cls = getattr(torch.optim, config.name, None)
    if not (isinstance(cls, type) and issubclass(cls, torch.optim.Optimizer)):
        raise ConfigError(f"Unknown optimizer.name '{config.name}'; use a torch.optim class such as AdamW or SGD")
    try:
        optimizer: torch.optim.Optimizer = cls(params, lr=config.lr, **config.params)  # type: ignore[call-arg]
        return optimizer
    except TypeError as exc:
        raise ConfigError(f"Invalid optimizer.params for {config.name}: {exc}") from None


def build_scheduler(
    optimizer: torch.optim.Optimizer, config: SchedulerConfig, total_steps: int, steps_per_epoch: int
) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up for ``warmup_epochs``, then cosine decay to ``min_lr_ratio`` or a constant rate."""
    warmup = max(0, round(config.warmup_epochs * steps_per_epoch))
    decay_steps = max(1, total_steps - warmup)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        if config.name == "constant":
            return 1.0
        progress = min(1.0, (step - warmup) / decay_steps)
        return config.min_lr_ratio + (1 - config.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
