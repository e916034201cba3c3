"""``--patience``, ``--max_time``, ``--logger`` and ``trainer.check_val_every_n_epoch``: CLI, Engine and trainer."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from attrs import evolve
from lightning.pytorch.callbacks import EarlyStopping, Timer
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

from otx.core.config.structure import load_yaml
from otx.engine import loggers
from otx.engine.build import build_trainer
from otx.engine.engine import Engine
from otx.engine.loggers import stopping_callbacks

Otx = Callable[..., Any]


@pytest.fixture(scope="module")
def config(shapes_root: Path, small: dict[str, object], tmp_path_factory: pytest.TempPathFactory) -> Any:
    return Engine(data_root=shapes_root, work_dir=tmp_path_factory.mktemp("work"), overrides=small).config


def test_the_trainer_validates_every_epoch_unless_told_and_logs_as_asked(config: Any, tmp_path: Path) -> None:
    trainer = build_trainer(config, tmp_path, [])
    assert trainer.check_val_every_n_epoch == 1
    assert [type(logger) for logger in trainer.loggers] == [CSVLogger]
    settings = evolve(config.trainer, check_val_every_n_epoch=3, logger="tensorboard")
    trainer = build_trainer(evolve(config, trainer=settings), tmp_path, [])
    assert trainer.check_val_every_n_epoch == 3
    assert [type(logger) for logger in trainer.loggers] == [CSVLogger, TensorBoardLogger]


def test_patience_and_max_time_become_early_stopping_and_an_epoch_timer(config: Any) -> None:
    assert stopping_callbacks(config.trainer, "val/accuracy") == []
    settings = evolve(config.trainer, patience=3, max_time="1:01:02:03")
    stopping, timer = stopping_callbacks(settings, "val/accuracy")
    assert isinstance(stopping, EarlyStopping)
    assert (stopping.monitor, stopping.patience, stopping.mode) == ("val/accuracy", 3, "max")
    assert isinstance(timer, Timer)
    assert timer.time_remaining() == pytest.approx(86400 + 3723, abs=1)


def test_tensorboard_missing_names_the_install_command(
    config: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loggers, "find_spec", lambda name: None)
    settings = evolve(config.trainer, logger="tensorboard")
    with pytest.raises(Exception, match=r'needs the tensorboard package: pip install "otx-core\[tensorboard\]"'):
        build_trainer(evolve(config, trainer=settings), tmp_path, [])


@pytest.mark.parametrize(
    ("flags", "key"),
    [
        (("--patience", "0"), "'trainer.patience' must be >= 1"),
        (("--max_time", "soon"), "'trainer.max_time' must be a duration [DD:]HH:MM:SS"),
        (("--max_time", "00:00:00"), "'trainer.max_time' must be a duration"),
        (("--logger", "wandb"), "'trainer.logger' must be one of csv, tensorboard"),
    ],
)
def test_bad_flags_are_one_line(
    otx: Otx, shapes_root: Path, tmp_path: Path, small_args: list[str], flags: tuple[str, ...], key: str
) -> None:
    result = otx("train", "--data_root", shapes_root, "--work_dir", tmp_path, *flags, *small_args)
    assert result.code == 2
    assert key in result.error_line


@pytest.mark.e2e
def test_cli_patience_stops_a_run_that_does_not_improve_and_tensorboard_logs_it(
    otx: Otx, shapes_root: Path, tmp_path: Path, small_args: list[str]
) -> None:
    flags = ("--max_epochs", "20", "--patience", "1", "--logger", "tensorboard", "--set", "optimizer.lr=1e-12")
    result = otx("train", "--data_root", shapes_root, "--work_dir", tmp_path, *flags, *small_args)
    assert result.code == 0, result.err
    run = (tmp_path / ".latest" / "train").resolve()
    # a learning rate of 1e-12 leaves the metric as it was: the first validation is never beaten
    assert json.loads((run / "metrics.json").read_text())["epochs"] == 2
    assert load_yaml(run / "config.yaml")["trainer"]["patience"] == 1
    assert list((run / "tensorboard" / "logs").glob("events.out.tfevents.*"))
    assert (run / "report.html").is_file()


@pytest.mark.e2e
def test_engine_max_time_ends_training_when_the_time_is_spent(
    shapes_root: Path, small: dict[str, object], tmp_path: Path
) -> None:
    engine = Engine(data_root=shapes_root, work_dir=tmp_path, overrides=small)
    engine.train(max_epochs=1000, max_time="00:00:01")
    run = engine.work_dir.latest("train")
    assert run is not None
    assert 1 <= json.loads((run / "metrics.json").read_text())["epochs"] < 1000
    assert (run / "checkpoints" / "best.ckpt").is_file()
