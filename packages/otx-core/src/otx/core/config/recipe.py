"""Typed run configuration: a model recipe plus the run's own choices.

The recipe part is model, optimizer, scheduler, data and trainer; the run part is task, data
root, format, labels and seed. Every class is frozen: a change makes a new object
(``attrs.evolve``), so what a command was given is what it runs.

A recipe YAML and a run's saved ``config.yaml`` both parse into :class:`RunConfig`; see
:mod:`otx.core.config.structure` for the strict parsing that names unknown keys.
"""

from typing import Any, Literal

from attrs import field, frozen

from otx.core.config.hpo import HPOConfig
from otx.core.types.task import OTXTaskType

__all__ = [
    "DataConfig",
    "ModelConfig",
    "OptimizerConfig",
    "RunConfig",
    "SchedulerConfig",
    "TrainerConfig",
    "TransformSpec",
]

TransformSpec = dict[str, Any]
"""One transform: ``{"type": "RandomResizedCrop", **kwargs}``; ``size`` defaults to the input size."""


@frozen(kw_only=True)
class ModelConfig:
    """Which model class to build and with which constructor arguments."""

    name: str
    class_path: str
    init_args: dict[str, Any] = field(factory=dict)
    pretrained: str | None = None
    """Path or URL of a state dict to start from; ``None`` trains from random init."""


@frozen(kw_only=True)
class OptimizerConfig:
    """A ``torch.optim`` optimizer by class name and its keyword arguments."""

    name: str = "AdamW"
    lr: float = 1e-3
    params: dict[str, Any] = field(factory=dict)


@frozen(kw_only=True)
class SchedulerConfig:
    """Learning-rate schedule, stepped per iteration: linear warm-up then cosine decay or constant."""

    name: Literal["cosine", "constant"] = "cosine"
    warmup_epochs: float = 0.0
    min_lr_ratio: float = 0.01


@frozen(kw_only=True)
class DataConfig:
    """Input size, batching, normalization, subset split and the transform pipelines."""

    input_size: tuple[int, int] = (224, 224)
    batch_size: int = 32
    num_workers: int | Literal["auto"] = "auto"
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    std: tuple[float, float, float] = (0.229, 0.224, 0.225)
    val_fraction: float = 0.2
    check_images: bool = True
    skip_unreadable_images: bool = False
    train_transforms: list[TransformSpec] = field(factory=list)
    val_transforms: list[TransformSpec] = field(factory=list)


@frozen(kw_only=True)
class TrainerConfig:
    """Settings passed to ``lightning.Trainer``."""

    max_epochs: int = 10
    precision: str = "32-true"
    accelerator: str = "auto"
    devices: int | str = "auto"
    gradient_clip_val: float | None = None
    deterministic: bool = False
    log_every_n_steps: int = 10


@frozen(kw_only=True)
class RunConfig:
    """Everything needed to repeat a run exactly."""

    task: OTXTaskType
    model: ModelConfig
    data_root: str | None = None
    data_format: str | None = None
    seed: int = 0
    label_names: tuple[str, ...] | None = None
    optimizer: OptimizerConfig = field(factory=OptimizerConfig)
    scheduler: SchedulerConfig = field(factory=SchedulerConfig)
    data: DataConfig = field(factory=DataConfig)
    trainer: TrainerConfig = field(factory=TrainerConfig)
    hpo: HPOConfig = field(factory=HPOConfig)
