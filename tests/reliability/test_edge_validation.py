"""Bad settings are refused when the plan is built: one error line naming the key, exit code 2, no traceback."""

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from otx.core.config.recipe import DataConfig, OptimizerConfig, TrainerConfig
from otx.core.errors import ConfigError

BAD_SETTINGS = [
    (["--set", "optimizer.lr=-1"], "optimizer.lr"),
    (["--set", "optimizer.lr=.nan"], "optimizer.lr"),
    (["--set", "data.batch_size=0"], "data.batch_size"),
    (["--batch_size", "0"], "data.batch_size"),
    (["--set", "data.num_workers=-1"], "data.num_workers"),
    (["--set", "data.input_size=[0,0]"], "data.input_size"),
    (["--set", "data.input_size=[64,64"], "data.input_size"),
    (["--set", "data.val_fraction=1.5"], "data.val_fraction"),
    (["--set", "trainer.precision=bogus"], "trainer.precision"),
    (["--max_epochs", "-3"], "trainer.max_epochs"),
    (["--max_epochs", "0"], "trainer.max_epochs"),
]


@pytest.mark.parametrize(("flags", "key"), BAD_SETTINGS, ids=[" ".join(f) for f, _ in BAD_SETTINGS])
def test_bad_setting_is_one_line_naming_the_key(
    otx: Callable[..., object], shapes_root: Path, tmp_path: Path, flags: list[str], key: str
) -> None:
    result = otx("train", "--data_root", shapes_root, "--work_dir", tmp_path / "ws", *flags)
    assert result.code == 2  # type: ignore[attr-defined]
    assert key in result.error_line  # type: ignore[attr-defined]
    assert not (tmp_path / "ws").exists()  # refused before any run folder is made


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (OptimizerConfig, {"lr": 0.0}),
        (DataConfig, {"batch_size": -1}),
        (DataConfig, {"input_size": (32, 0)}),
        (DataConfig, {"std": (0.2, 0.0, 0.2)}),
        (TrainerConfig, {"precision": "8"}),
        (TrainerConfig, {"log_every_n_steps": 0}),
    ],
)
def test_python_api_configs_are_checked_too(cls: type, kwargs: dict[str, object]) -> None:
    """Every path (CLI, Python API, replayed config, recipe) builds these classes, so all are checked."""
    with pytest.raises(ConfigError, match=next(iter(kwargs))):
        cls(**kwargs)


def test_accepted_precisions_pass() -> None:
    for precision in ("32-true", "32", "16-mixed", "bf16-mixed", "16-true", "bf16-true", "64-true"):
        assert TrainerConfig(precision=precision).precision == precision


def test_work_dir_that_is_a_file(otx: Callable[..., object], shapes_root: Path, tmp_path: Path) -> None:
    file = tmp_path / "ws"
    file.write_text("not a folder")
    result = otx("train", "--data_root", shapes_root, "--work_dir", file)
    assert result.code == 2  # type: ignore[attr-defined]
    assert str(file) in result.error_line  # type: ignore[attr-defined]


def test_work_dir_read_only(
    otx: Callable[..., object], shapes_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    if os.geteuid() == 0:  # root writes anywhere: make the folder read-only as a non-root user sees it
        access = os.access
        monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != locked and access(path, mode))
    try:
        result = otx("train", "--data_root", shapes_root, "--work_dir", locked / "ws")
    finally:
        locked.chmod(0o700)
    assert result.code == 2  # type: ignore[attr-defined]
    assert str(locked) in result.error_line  # type: ignore[attr-defined]


def test_benchmark_iterations_zero(otx: Callable[..., object], tmp_path: Path) -> None:
    result = otx("benchmark", "--iterations", "0", "--work_dir", tmp_path)
    assert result.code == 2  # type: ignore[attr-defined]
    assert "iterations" in result.error_line  # type: ignore[attr-defined]


def test_a_diverging_run_stops_with_the_cause(
    otx: Callable[..., object], shapes_root: Path, small_args: list[str], tmp_path: Path
) -> None:
    """lr=1e9 sent the loss to 6e19 without a word; now the first exploded step ends the run."""
    result = otx(
        "train",
        "--data_root",
        shapes_root,
        *small_args,
        "--max_epochs",
        "2",
        "--set",
        "optimizer.lr=1e9",
        "--set",
        "scheduler.warmup_epochs=0",
        "--work_dir",
        tmp_path / "ws",
    )
    assert result.code == 2  # type: ignore[attr-defined]
    line = result.error_line  # type: ignore[attr-defined]
    assert "training diverged at epoch 0" in line and "optimizer.lr" in line
