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
from otx.core.config.validators import at_least, duration, each, finite_above, fraction, one_of
from otx.core.types.label import LabelHierarchy
from otx.core.types.task import OTXTaskType

__all__ = [
    "ACCELERATORS",
    "DEFAULT_MAX_PIXELS",
    "LOGGERS",
    "PRECISIONS",
    "PROFILERS",
    "DataConfig",
    "InputSizeRange",
    "ModelConfig",
    "OptimizerConfig",
    "RunConfig",
    "SchedulerConfig",
    "TrainerConfig",
    "TransformSpec",
]

PRECISIONS = ("32-true", "32", "16-mixed", "bf16-mixed", "16-true", "bf16-true", "64-true", "64", "16", "bf16")
"""``trainer.precision`` values Lightning accepts."""

ACCELERATORS = ("auto", "cpu", "cuda", "xpu")
"""``trainer.accelerator`` values: ``auto`` picks an Intel XPU, then a CUDA GPU, then the CPU."""

DEFAULT_MAX_PIXELS = 100_000_000
"""The default of ``data.max_image_pixels``: 100 MP (10000 x 10000, 300 MB decoded)."""

TransformSpec = dict[str, Any]
"""One transform: ``{"type": "RandomResizedCrop", **kwargs}``; ``size`` defaults to the input size."""


@frozen(kw_only=True)
class InputSizeRange:
    """The input sizes a model takes: sides of at least ``min`` pixels, each a multiple of ``multiple``.

    Auto-configuration picks a size from the data within this range, never above the recipe's
    ``data.input_size`` (the size the recipe was tuned at).
    """

    min: int = field(default=32, validator=at_least(1))
    """The shortest side, in pixels, the model accepts."""
    multiple: int = field(default=32, validator=at_least(1))
    """Each side must be a multiple of this (the network's total stride)."""
    min_object: int = field(default=0, validator=at_least(0))
    """Detection: the fewest pixels the shorter side of a small object should keep after resizing."""


@frozen(kw_only=True)
class ModelConfig:
    """Which model class to build and with which constructor arguments."""

    name: str
    """The recipe's model name (``otx find`` lists them)."""
    class_path: str
    """Dotted path of the model class (``package.module.Class``); its module must be importable."""
    init_args: dict[str, Any] = field(factory=dict)
    """Keyword arguments of the model class's constructor."""
    pretrained: str | None = None
    """Path or URL of a state dict to start from; ``None`` trains from random init."""
    input_sizes: InputSizeRange = field(factory=InputSizeRange)
    """The input sizes the model supports, for the choice of ``data.input_size`` from the data."""


@frozen(kw_only=True)
class OptimizerConfig:
    """A ``torch.optim`` optimizer by class name and its keyword arguments."""

    name: str = "AdamW"
    """A class of ``torch.optim`` by name (``AdamW``, ``SGD``, ...)."""
    lr: float = field(default=1e-3, validator=finite_above(0))
    """The peak learning rate (after warm-up)."""
    params: dict[str, Any] = field(factory=dict)
    """Further keyword arguments of the optimizer (``weight_decay``, ``momentum``, ...)."""


@frozen(kw_only=True)
class SchedulerConfig:
    """Learning-rate schedule, stepped per iteration: linear warm-up then cosine decay or constant."""

    name: Literal["cosine", "constant"] = "cosine"
    """``cosine``: decay to ``min_lr_ratio`` of the peak by the last step; ``constant``: keep the peak."""
    warmup_epochs: float = field(default=0.0, validator=finite_above(0, inclusive=True))
    """Epochs (fractions allowed) of linear warm-up from zero to ``optimizer.lr``."""
    min_lr_ratio: float = field(default=0.01, validator=fraction(low_open=False, high_open=False))
    """The cosine schedule's last learning rate, as a fraction of ``optimizer.lr``."""


@frozen(kw_only=True)
class DataConfig:
    """Input size, batching, normalization, subset split and the transform pipelines."""

    input_size: tuple[int, int] = field(default=(224, 224), validator=each(at_least(1)))
    """``[height, width]`` the images are resized to; auto-configuration may pick a smaller one from the data."""
    batch_size: int = field(default=32, validator=at_least(1))
    """Images per training step (per process in distributed training)."""
    auto_batch_size: bool = False
    """On a GPU (CUDA or XPU), train with the largest batch that fits (from ``batch_size`` up), the learning
    rate scaled linearly with it; the run's config records the batch found. The CPU keeps ``batch_size``."""
    num_workers: int | Literal["auto"] = field(default="auto", validator=at_least(0, allow=("auto",)))
    """Data-loader processes; ``auto``: one core fewer than the machine has, at most 4, none on one or two cores."""
    mean: tuple[float, float, float] = (0.485, 0.456, 0.406)
    """Per-channel mean (RGB, images scaled to 0..1) subtracted before the network; exported with the model."""
    std: tuple[float, float, float] = field(default=(0.229, 0.224, 0.225), validator=each(finite_above(0)))
    """Per-channel standard deviation the images are divided by, after ``mean``."""
    val_fraction: float = field(default=0.2, validator=fraction())
    """Share of the training images held out for validation where the dataset has no validation subset (seeded)."""
    check_images: bool = True
    """Before training, read every training image's header and decode every validation and test image."""
    skip_unreadable_images: bool = False
    """Leave out images that fail the checks (with a warning naming them) instead of stopping with an error."""
    max_image_pixels: int = field(default=DEFAULT_MAX_PIXELS, validator=at_least(1))
    """Images with more pixels are refused (or skipped with ``skip_unreadable_images``) before decoding."""
    cache: str = field(default="auto", validator=one_of(("auto", "none", "ram")))
    """``ram``: decode the training and validation images into memory once, before training (``image_cache``);
    ``auto``: the same for subsets of up to ``AUTO_CACHE_MAX_IMAGES`` images that fit, quietly nothing otherwise."""
    cache_max_gib: float = field(default=8.0, validator=finite_above(0))
    """The most memory ``cache=ram`` takes (and never over half the available memory); above, no cache."""
    train_transforms: list[TransformSpec] = field(factory=list)
    """The training augmentation pipeline, torchvision v2 transforms by class name (see ``TransformSpec``)."""
    val_transforms: list[TransformSpec] = field(factory=list)
    """The pipeline for validation, test and prediction images."""


LOGGERS = ("csv", "tensorboard")
"""``trainer.logger`` values."""

PROFILERS = ("none", "simple")
"""``trainer.profiler`` values."""


@frozen(kw_only=True)
class TrainerConfig:
    """Settings passed to ``lightning.Trainer``."""

    max_epochs: int = field(default=10, validator=at_least(1))
    """Epochs to train; ``--resume --max_epochs N`` extends a finished run to ``N``."""
    precision: str = field(default="32-true", validator=one_of(PRECISIONS))
    """Lightning's numeric precision: ``32-true``, ``bf16-mixed``, ``16-mixed`` (GPU), ..."""
    accelerator: str = field(default="auto", validator=one_of(ACCELERATORS))
    """``auto`` (an Intel XPU, then a CUDA GPU, then the CPU), ``cpu``, ``cuda`` or ``xpu``."""
    devices: int | str = "auto"
    """Devices per node: a count (on the CPU: processes), ``"auto"`` (one), or GPU indices such as ``"0,2"``."""
    num_nodes: int = field(default=1, validator=at_least(1))
    """Machines in a multi-node run (docs: devices)."""
    strategy: str = "auto"
    """Lightning's strategy; ``auto``: DDP when more than one device or node trains, none otherwise."""
    num_threads: int | None = field(default=None, validator=at_least(1, allow=(None,)))
    """torch's intra-op threads in the training process (``torch.set_num_threads``) while a command runs;
    ``None``: torch's own default, one per core. Dataloader processes use one thread each."""
    ipex: bool = True
    """On the CPU, train through ``ipex.optimize`` when intel-extension-for-pytorch is installed and matches torch."""
    channels_last: bool = False
    """Train the network in channels-last memory format (``torch.channels_last``); checkpoints load as before."""
    compile: bool = False
    """Train the network through ``torch.compile`` (inductor; on the CPU it needs a C++ compiler)."""
    gradient_clip_val: float | None = field(default=None, validator=finite_above(0, allow_none=True))
    """Clip the gradients' norm to this value; ``None``: no clipping."""
    deterministic: bool = False
    """Ask torch for deterministic algorithms (slower; the same seed then gives the same weights)."""
    log_every_n_steps: int = field(default=10, validator=at_least(1))
    """How often training losses are written to ``logs/metrics.csv``, in steps."""
    check_val_every_n_epoch: int = field(default=1, validator=at_least(1))
    """Validate (and choose ``best.ckpt``) every this many epochs."""
    logger: str = field(default="csv", validator=one_of(LOGGERS))
    """``csv`` (``logs/metrics.csv``, always written) or ``tensorboard`` (TensorBoard event files as well)."""
    profiler: str = field(default="none", validator=one_of(PROFILERS))
    """``simple``: Lightning's simple profiler times each step's parts (data wait, training step, backward,
    optimizer, callbacks, validation) and writes the table to ``fit-profile.txt`` in the run folder."""
    patience: int | None = field(default=None, validator=at_least(1, allow=(None,)))
    """Early stopping: stop after this many validations without a better monitored metric; ``None``: never."""
    max_time: str | None = field(default=None, validator=duration())
    """Time budget ``[DD:]HH:MM:SS``, checked after each epoch: training stops once it is spent (checkpoints kept)."""


@frozen(kw_only=True)
class RunConfig:
    """Everything needed to repeat a run exactly."""

    task: OTXTaskType
    """The task the model solves."""
    model: ModelConfig
    """The network: recipe name, class and arguments."""
    data_root: str | None = None
    """The dataset folder (``--data_root``)."""
    data_format: str | None = None
    """The dataset format read (the formats page lists them); ``None``: detected from the folder."""
    seed: int = field(default=0, validator=at_least(0))
    """Seed of the validation split, the initial weights and the data order."""
    label_names: tuple[str, ...] | None = None
    """The classes, in the order of the model's outputs; ``None``: read from the data."""
    label_hierarchy: LabelHierarchy | None = None
    """Label groups and parents, for hierarchical classification."""
    optimizer: OptimizerConfig = field(factory=OptimizerConfig)
    """The optimizer."""
    scheduler: SchedulerConfig = field(factory=SchedulerConfig)
    """The learning-rate schedule."""
    data: DataConfig = field(factory=DataConfig)
    """Input size, batching, loading and augmentation."""
    trainer: TrainerConfig = field(factory=TrainerConfig)
    """Epochs, precision, devices and the rest of Lightning's settings."""
    hpo: HPOConfig = field(factory=HPOConfig)
    """Hyper-parameter search (``otx hpo``, ``otx train --hpo``)."""
