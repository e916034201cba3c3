"""The run plan: what one command works on, resolved once and never edited.

A :class:`PlanRequest` holds what the user asked for (flags, Engine arguments); resolving it (see
:mod:`otx.engine.resolve`) gives a :class:`RunPlan`: checkpoint, task, model, data and trainer
settings, with the reason for each choice. Commands execute a plan; an override makes a new plan.
The plan's ``config`` is what a run folder's ``config.yaml`` records and what ``--config`` replays.
"""

from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

from attrs import field, frozen

from otx.core.config.recipe import RunConfig
from otx.core.data.sources import PredictSource
from otx.core.types.task import OTXTaskType
from otx.engine.checkpoint import ResolvedCheckpoint

__all__ = ["Command", "PlanRequest", "RunPlan"]


class Command(StrEnum):
    """The commands that run a plan; each writes a run folder named after it."""

    TRAIN = "train"
    TEST = "test"
    PREDICT = "predict"
    EXPORT = "export"
    OPTIMIZE = "optimize"
    BENCHMARK = "benchmark"
    HPO = "hpo"
    EXPLAIN = "explain"


@frozen(kw_only=True)
class PlanRequest:
    """What the user asked for; ``None`` means "not given", so a saved config or checkpoint decides."""

    data_root: Path | None = None
    task: OTXTaskType | None = None
    model: str | None = None
    config: RunConfig | None = None
    """A saved run config to replay (``--config``)."""
    seed: int | None = None
    overrides: Mapping[str, Any] = field(factory=dict)
    """Dotted recipe keys to set, e.g. ``{"optimizer.lr": 0.01}``."""
    checkpoint: Path | None = None
    resume: bool = False
    source: PredictSource | None = None
    """Images and videos to predict on instead of a dataset subset (``predict --source``)."""


@frozen(kw_only=True)
class RunPlan:
    """One command's resolved plan: the run config it executes and where its weights come from."""

    command: Command
    config: RunConfig
    checkpoint: ResolvedCheckpoint | None = None
    """Weights (``.ckpt``) or exported model (``.xml``) the command starts from; ``None`` trains from the recipe."""
    resume_run: Path | None = None
    """The training run folder a resumed ``train`` continues."""
    start_from: ResolvedCheckpoint | None = None
    """Trained weights a new training run starts from (class-incremental: heads matched by label name)."""
    source: PredictSource | None = None
    """What ``predict`` runs on instead of the test subset."""
    choices: tuple[str, ...] = ()
    """Each choice with its reason, in resolution order, as printed before the command runs."""
