"""The ``otx`` command line. Heavy modules are imported inside the commands, so ``otx --help`` is fast."""

import sys
from pathlib import Path
from typing import Annotated, Any

from cyclopts import App, Parameter
from rich.console import Console

__all__ = ["app", "main"]


def _versions() -> str:
    """The version of every installed OTX distribution, e.g. ``otx-core 0.1.0, otx-detection 0.1.0``."""
    from importlib import metadata

    found = sorted(
        {(d.metadata["Name"], d.version) for d in metadata.distributions() if d.metadata["Name"].startswith("otx-")}
    )
    return ", ".join(f"{name} {version}" for name, version in found)


app = App(
    name="otx",
    version=_versions,
    help="Train, test and predict computer-vision models from a folder of labelled images.",
    help_format="plaintext",
    default_parameter=Parameter(name_transform=lambda name: name, negative=()),
    error_formatter=lambda error: f"otx: error: {error}".replace("\n", ""),
    error_console=Console(stderr=True, soft_wrap=True, highlight=False),
)

DataRoot = Annotated[Path | None, Parameter(help="Dataset folder; format, task and model are chosen from it.")]
WorkDirArg = Annotated[Path, Parameter(help="Folder for run folders.")]
Checkpoint = Annotated[Path | None, Parameter(help="Checkpoint to use; default: the latest training run's best.")]
Overrides = Annotated[
    list[str] | None,
    Parameter(name="--set", help="Recipe override KEY=VALUE, e.g. --set optimizer.lr=0.01 (repeatable)."),
]
Accelerator = Annotated[
    str | None, Parameter(help="auto (Intel XPU, then CUDA, then CPU), cpu, cuda or xpu (default: the recipe's, auto).")
]
Devices = Annotated[
    str | None,
    Parameter(help="Devices per node: a count (CPU: processes), -1 (all) or GPU indices 0,1; >1 trains with DDP."),
]
NumNodes = Annotated[int | None, Parameter(help="Machines in a multi-node run (see docs/devices.md).")]
Strategy = Annotated[str | None, Parameter(help="Lightning strategy, e.g. ddp (default: auto, DDP for >1 process).")]
Precision = Annotated[str | None, Parameter(help="32-true, bf16-mixed, 16-mixed (GPU), ... (default: the recipe's).")]
HPOTrials = Annotated[
    int | None, Parameter(help="HPO: trials in the study in all, earlier runs' included (default: hpo.trials, 20).")
]
HPOTime = Annotated[float | None, Parameter(help="HPO: seconds of search; given alone, the only budget.")]
HPOEpochs = Annotated[int | None, Parameter(help="HPO: epochs per trial (default: the recipe's max_epochs).")]
HPOStorage = Annotated[
    str | None, Parameter(help="HPO: Optuna storage URL, e.g. postgresql://user:pw@host/db (default: SQLite).")
]
HPOStudy = Annotated[str | None, Parameter(help="HPO: study name (default: the model and dataset folder names).")]
HPOWorkers = Annotated[int, Parameter(help="HPO: trial processes sharing the study (and the CPU threads).")]


def _engine(
    data_root: Path | None = None,
    work_dir: Path = Path("otx-workspace"),
    **arguments: Any,
) -> Any:
    """The Engine for a command's flags; every flag becomes part of the request its plan is resolved from.

    The model and ``--set`` are checked first, before torch and Lightning are imported (a second or more).
    """
    if arguments.get("config") is None:
        from otx.engine.preflight import check_request

        check_request(arguments.get("task"), arguments.get("model"), arguments.get("overrides") or {})
    from otx.engine.engine import Engine

    return Engine(data_root=data_root, work_dir=work_dir, **arguments)


@app.command
def train(
    *,
    data_root: DataRoot = None,
    task: str | None = None,
    model: str | None = None,
    config: Annotated[Path | None, Parameter(help="A saved config.yaml (or run folder) to replay.")] = None,
    max_epochs: int | None = None,
    batch_size: Annotated[
        str | None, Parameter(help="Batch size, or auto: the largest that fits the GPU, the LR scaled with it.")
    ] = None,
    seed: int | None = None,
    work_dir: WorkDirArg = Path("otx-workspace"),
    accelerator: Accelerator = None,
    devices: Devices = None,
    num_nodes: NumNodes = None,
    strategy: Strategy = None,
    precision: Precision = None,
    num_threads: Annotated[
        int | None, Parameter(help="torch threads of the training process (default: torch's, one per core).")
    ] = None,
    compile_network: Annotated[
        bool, Parameter(name="--compile", help="Train the network through torch.compile (needs a C++ compiler on CPU).")
    ] = False,
    channels_last: Annotated[bool, Parameter(help="Train the network in channels-last memory format.")] = False,
    resume: Annotated[bool, Parameter(help="Continue the latest training run from its last checkpoint.")] = False,
    checkpoint: Annotated[
        Path | None,
        Parameter(help="Start from this trained model (class-incremental: its classes kept by name, new ones added)."),
    ] = None,
    patience: Annotated[
        int | None, Parameter(help="Stop after N validations without a better monitored metric (early stopping).")
    ] = None,
    max_time: Annotated[
        str | None,
        Parameter(help="Time budget [DD:]HH:MM:SS, e.g. 00:10:00, checked after each epoch; checkpoints are kept."),
    ] = None,
    logger: Annotated[
        str | None, Parameter(help='csv (default) or tensorboard (needs pip install "otx-core[tensorboard]").')
    ] = None,
    set: Overrides = None,
    hpo: Annotated[bool, Parameter(help="Search hyper-parameters (see otx hpo), then train with the best.")] = False,
    hpo_trials: HPOTrials = None,
    hpo_time: HPOTime = None,
    hpo_epochs: HPOEpochs = None,
    hpo_storage: HPOStorage = None,
    hpo_study: HPOStudy = None,
    hpo_workers: HPOWorkers = 1,
) -> None:
    """Train a model; prints the chosen task and model, progress, and the best validation metrics.

    Parameters
    ----------
    task
        Task to train (e.g. MULTI_CLASS_CLS); default: derived from the dataset format.
    model
        Model name from "otx find" or a recipe .yaml; default: the task's default model.
    max_epochs
        Number of epochs (overrides the recipe).
    seed
        Seed for the split, initialisation and data order (default: the recipe's, or the replayed config's).
    """
    from otx.core.config.overrides import parse_overrides

    overrides = parse_overrides(set or [])
    overrides.update(_batch_size(batch_size))
    overrides.update(_device_overrides(accelerator, devices, num_nodes, strategy, precision))
    if num_threads is not None:
        overrides["trainer.num_threads"] = num_threads
    if compile_network:
        overrides["trainer.compile"] = True
    if channels_last:
        overrides["trainer.channels_last"] = True
    engine = _engine(data_root, work_dir, task=task, model=model, config=config, seed=seed, overrides=overrides)
    search = _hpo_settings(hpo_trials, hpo_time, hpo_epochs, hpo_storage, hpo_study, hpo_workers)
    if hpo and resume:
        raise _usage_error("--hpo starts a new search and run; it does not combine with --resume")
    if hpo:
        if max_epochs is not None:
            overrides["trainer.max_epochs"] = max_epochs
            engine = _engine(data_root, work_dir, task=task, model=model, config=config, seed=seed, overrides=overrides)
        result = engine.hpo(**search)
        engine = _engine(None, work_dir, config=result.best_config)
    elif search != _hpo_settings():
        raise _usage_error("--hpo_* flags apply with --hpo")
    engine.train(
        max_epochs=max_epochs,
        resume=resume,
        checkpoint=checkpoint,
        patience=patience,
        max_time=max_time,
        logger=logger,
    )


@app.command
def hpo(
    *,
    data_root: DataRoot = None,
    task: str | None = None,
    model: str | None = None,
    config: Annotated[Path | None, Parameter(help="A saved config.yaml (or run folder) to search from.")] = None,
    max_epochs: Annotated[int | None, Parameter(help="Epochs of the searched plan (and of its best config).")] = None,
    seed: int | None = None,
    work_dir: WorkDirArg = Path("otx-workspace"),
    set: Overrides = None,
    hpo_trials: HPOTrials = None,
    hpo_time: HPOTime = None,
    hpo_epochs: HPOEpochs = None,
    hpo_storage: HPOStorage = None,
    hpo_study: HPOStudy = None,
    workers: HPOWorkers = 1,
) -> None:
    """Search the recipe's hyper-parameters (hpo.space) with Optuna; each trial is a training run.

    Prints a table of trials and writes trials.csv, plots and best_config.yaml (replay it with
    "otx train --config") to a run folder. The study is stored (SQLite hpo.db in the work dir, or
    --hpo_storage), so the same command resumes it, and processes sharing the storage share it.

    Parameters
    ----------
    task
        Task to search (e.g. MULTI_CLASS_CLS); default: derived from the dataset format.
    model
        Model name from "otx find" or a recipe .yaml; default: the task's default model.
    seed
        Seed of every trial's split, initialisation and data order (default: the recipe's).
    """
    from otx.core.config.overrides import parse_overrides

    overrides = parse_overrides(set or [])
    if max_epochs is not None:
        overrides["trainer.max_epochs"] = max_epochs
    engine = _engine(data_root, work_dir, task=task, model=model, config=config, seed=seed, overrides=overrides)
    engine.hpo(**_hpo_settings(hpo_trials, hpo_time, hpo_epochs, hpo_storage, hpo_study, workers))


def _batch_size(value: str | None) -> dict[str, Any]:
    """Overrides for ``--batch_size N`` or ``--batch_size auto``."""
    if value is None:
        return {}
    if value == "auto":
        return {"data.auto_batch_size": True}
    try:
        count = int(value)
    except ValueError:
        raise _usage_error(f"'data.batch_size' (--batch_size) must be a number or auto, got {value!r}") from None
    return {"data.batch_size": count, "data.auto_batch_size": False}


def _device_overrides(
    accelerator: str | None, devices: str | None, num_nodes: int | None, strategy: str | None, precision: str | None
) -> dict[str, Any]:
    """``trainer.*`` overrides for the device flags that were given."""
    count: int | str | None = devices
    if devices is not None and devices.lstrip("-").isdigit():
        count = int(devices)
    given = {
        "trainer.accelerator": accelerator,
        "trainer.devices": count,
        "trainer.num_nodes": num_nodes,
        "trainer.strategy": strategy,
        "trainer.precision": precision,
    }
    return {key: value for key, value in given.items() if value is not None}


def _hpo_settings(
    trials: int | None = None,
    time: float | None = None,
    epochs: int | None = None,
    storage: str | None = None,
    study: str | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    """``Engine.hpo`` arguments from the ``--hpo_*`` flags."""
    return {
        "trials": trials,
        "time": time,
        "epochs_per_trial": epochs,
        "storage": storage,
        "study_name": study,
        "workers": workers,
    }


def _usage_error(message: str) -> Exception:
    from otx.core.errors import ConfigError

    return ConfigError(message)


@app.command
def test(
    *, checkpoint: Checkpoint = None, data_root: DataRoot = None, work_dir: WorkDirArg = Path("otx-workspace")
) -> None:
    """Evaluate a checkpoint on the test subset (the validation subset where there is none).

    Task, model and classes come from the checkpoint; --data_root only says where the data is.
    """
    _engine(data_root, work_dir).test(checkpoint=checkpoint)


@app.command
def predict(
    *,
    source: Annotated[
        str | None,
        Parameter(help="An image, a video, a folder of them or a glob ('photos/*.jpg'); default: the test subset."),
    ] = None,
    checkpoint: Annotated[
        Path | None,
        Parameter(help="Checkpoint (.ckpt) or exported IR (.xml); default: the latest training run's best."),
    ] = None,
    data_root: DataRoot = None,
    save_images: Annotated[bool, Parameter(help="Also write each image with its prediction drawn on it.")] = False,
    work_dir: WorkDirArg = Path("otx-workspace"),
) -> None:
    """Predict on new images and videos (--source) or the test subset; write predictions.csv and .json to a run folder.

    With --save_images each image (each video frame) is also written with its prediction drawn on it.
    """
    if source is not None and data_root is not None:
        raise _usage_error("predict runs on --source or on the test subset of --data_root; pass one of them")
    _engine(data_root, work_dir).predict(checkpoint=checkpoint, save_images=save_images, source=source)


@app.command
def explain(
    *, checkpoint: Checkpoint = None, data_root: DataRoot = None, work_dir: WorkDirArg = Path("otx-workspace")
) -> None:
    """Saliency maps on the test subset: per image a colour overlay (PNG) per class and the maps as .npz."""
    _engine(data_root, work_dir).explain(checkpoint=checkpoint)


@app.command
def export(
    *,
    checkpoint: Checkpoint = None,
    format: Annotated[list[str] | None, Parameter(help="openvino (IR FP32 + FP16) and/or onnx; default: both.")] = None,
    explain: Annotated[
        bool,
        Parameter(
            help="Add the saliency outputs Model API reads: saliency_map (or soft_prediction) and feature_vector."
        ),
    ] = False,
    work_dir: WorkDirArg = Path("otx-workspace"),
) -> None:
    """Export a checkpoint to OpenVINO IR (FP32, FP16) and ONNX in a new run folder."""
    from otx.engine.deploy import EXPORT_FORMATS

    _engine(None, work_dir).export(checkpoint=checkpoint, formats=tuple(format or EXPORT_FORMATS), explain=explain)


@app.command
def optimize(
    *,
    checkpoint: Annotated[Path | None, Parameter(help="IR .xml or .ckpt; default: the latest export.")] = None,
    subset_size: Annotated[int, Parameter(help="Most training images used for calibration.")] = 300,
    data_root: DataRoot = None,
    work_dir: WorkDirArg = Path("otx-workspace"),
) -> None:
    """Quantize an exported IR to INT8 with NNCF; prints the accuracy before and after."""
    _engine(data_root, work_dir).optimize(checkpoint=checkpoint, subset_size=subset_size)


@app.command
def benchmark(
    *,
    checkpoint: Checkpoint = None,
    batch_size: Annotated[list[int] | None, Parameter(help="Batch sizes to time; default: 1 and 8.")] = None,
    iterations: int = 30,
    work_dir: WorkDirArg = Path("otx-workspace"),
) -> None:
    """Latency and throughput of the torch model and the latest IRs (FP32, INT8), params and FLOPs."""
    from otx.engine.deploy import BENCHMARK_BATCH_SIZES

    sizes = tuple(batch_size or BENCHMARK_BATCH_SIZES)
    _engine(None, work_dir).benchmark(checkpoint=checkpoint, batch_sizes=sizes, iterations=iterations)


@app.command
def find(*, task: str | None = None) -> None:
    """List the installed tasks and their models (the default marked with *)."""
    from otx.cli.find import print_models

    print_models(task)


@app.command
def weights(*, model: str | None = None, task: str | None = None) -> None:
    """List the pretrained weight files the recipes start from, whether this machine has them, and where to copy them.

    OTX looks in $OTX_WEIGHTS_DIR first, then torch hub's cache (and the Hugging Face cache for timm weights).
    """
    from otx.cli.weights import print_weights

    print_weights(model, task)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``otx`` script: user errors become one line on stderr and exit code 2.

    SIGINT and SIGTERM end a command with one line (for ``train``: how to resume) and exit 130 / 143.
    """
    from otx.core.errors import OTXError
    from otx.engine.signals import Interrupted, interruptible

    try:
        with interruptible():
            app(argv if argv is not None else sys.argv[1:], exit_on_error=True)
    except OTXError as exc:
        print(f"otx: error: {exc}", file=sys.stderr)
        sys.exit(2)
    except Interrupted as exc:
        print(f"otx: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
