"""Optimizers by name and the per-step warm-up + cosine schedule."""

import itertools
import math

import pytest
import torch
from torch import nn

from otx.core.config.recipe import OptimizerConfig, SchedulerConfig
from otx.core.errors import ConfigError
from otx.core.model.optim import build_optimizer, build_scheduler


def _params() -> list[nn.Parameter]:
    return list(nn.Linear(2, 2).parameters())


def test_optimizer_by_name_with_params() -> None:
    optimizer = build_optimizer(_params(), OptimizerConfig(name="SGD", lr=0.5, params={"momentum": 0.9}))
    assert isinstance(optimizer, torch.optim.SGD)
    assert optimizer.param_groups[0]["lr"] == 0.5
    assert optimizer.param_groups[0]["momentum"] == 0.9


def test_unknown_optimizer_and_bad_params_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="Adamm"):
        build_optimizer(_params(), OptimizerConfig(name="Adamm"))
    with pytest.raises(ConfigError, match="lr_scheduler"):
        build_optimizer(_params(), OptimizerConfig(name="lr_scheduler"))
    with pytest.raises(ConfigError, match="AdamW"):
        build_optimizer(_params(), OptimizerConfig(name="AdamW", params={"momentum": 0.9}))


def _lrs(config: SchedulerConfig, total: int, per_epoch: int) -> list[float]:
    optimizer = torch.optim.SGD(_params(), lr=1.0)
    scheduler = build_scheduler(optimizer, config, total, per_epoch)
    lrs = []
    for _ in range(total):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


def test_warmup_then_cosine_decay_to_the_minimum() -> None:
    lrs = _lrs(SchedulerConfig(name="cosine", warmup_epochs=1, min_lr_ratio=0.1), total=40, per_epoch=10)
    assert lrs[:10] == pytest.approx([(i + 1) / 10 for i in range(10)])
    assert lrs[10] == pytest.approx(1.0)
    assert all(a >= b for a, b in itertools.pairwise(lrs[10:]))
    assert lrs[-1] == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 29 / 30)))
    assert min(lrs) >= 0.1 - 1e-9


def test_constant_schedule_after_warmup() -> None:
    lrs = _lrs(SchedulerConfig(name="constant", warmup_epochs=0.5), total=10, per_epoch=4)
    assert lrs[:2] == pytest.approx([0.5, 1.0])
    assert lrs[2:] == pytest.approx([1.0] * 8)
