"""The run plan: resolved once per command, printed as it runs, and no flag silently ignored."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from attrs.exceptions import FrozenInstanceError

from otx.core.config.structure import load_yaml
from otx.core.errors import ConfigError
from otx.core.types.task import OTXTaskType
from otx.engine import Engine
from otx.engine.plan import Command

Otx = Callable[..., Any]

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory: pytest.TempPathFactory, shapes_root: Path, small: dict) -> Path:
    """A work dir holding one 1-epoch training run on the shapes dataset."""
    root = tmp_path_factory.mktemp("plan") / "ws"
    Engine(data_root=shapes_root, work_dir=root, overrides=small).train(max_epochs=1)
    return root


def test_the_plan_is_frozen_and_typed(shapes_root: Path, small: dict, tmp_path: Path) -> None:
    plan = Engine(data_root=shapes_root, work_dir=tmp_path, overrides=small).plan(Command.TRAIN, max_epochs=2)
    assert plan.config.task is OTXTaskType.MULTI_CLASS_CLS
    assert plan.config.trainer.max_epochs == 2
    assert plan.config.label_names == ("circle", "square")
    with pytest.raises(FrozenInstanceError):
        plan.config.trainer.max_epochs = 3  # type: ignore[misc]
    assert not tmp_path.joinpath("ws").exists()


def test_what_is_printed_is_what_runs(
    shapes_root: Path, small: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = Engine(data_root=shapes_root, work_dir=tmp_path, overrides=small)
    assert engine.config.trainer.max_epochs == 10  # the recipe's
    metrics = engine.train(max_epochs=1)
    out = capsys.readouterr().out
    assert "1 epochs" in out
    assert "10 epochs" not in out
    assert engine.last_plan is not None
    assert engine.last_plan.config.trainer.max_epochs == 1
    assert len([line for line in out.splitlines() if line.startswith("epoch ")]) == 1  # one line per epoch in a log
    assert "\r" not in out
    assert 0.0 <= metrics["val/accuracy"] <= 1.0


def test_replay_applies_seed_and_refuses_another_task_or_model(work_dir: Path, shapes_root: Path) -> None:
    run = work_dir / ".latest" / "train"
    plan = Engine.from_config(run, work_dir=work_dir, seed=5).plan(Command.TRAIN)
    assert plan.config.seed == 5
    assert plan.config.data.input_size == (32, 32)
    with pytest.raises(ConfigError, match="--task DETECTION does not apply"):
        Engine(config=run, task="DETECTION", work_dir=work_dir).plan(Command.TRAIN)
    with pytest.raises(ConfigError, match="--model timm_mobilenetv3_small does not apply"):
        Engine(config=run, model="timm_mobilenetv3_small", work_dir=work_dir).plan(Command.TRAIN)


def test_commands_from_a_checkpoint_take_only_the_data(work_dir: Path, shapes_root: Path) -> None:
    engine = Engine(data_root=shapes_root, work_dir=work_dir)
    plan = engine.plan(Command.TEST)
    assert plan.checkpoint is not None
    assert plan.checkpoint.path.name == "best.ckpt"
    assert plan.config.data.input_size == (32, 32)  # from the checkpoint, not the recipe's default
    assert any("from the checkpoint" in line for line in plan.choices)
    for kwargs, key in (
        ({"seed": 3}, "'seed'"),
        ({"overrides": {"optimizer.lr": 0.5}}, "'optimizer.lr'"),
        ({"overrides": {"data.input_size": [64, 64]}}, "'data.input_size"),
    ):
        with pytest.raises(ConfigError, match=key):
            Engine(data_root=shapes_root, work_dir=work_dir, **kwargs).plan(Command.TEST)
    batch = Engine(data_root=shapes_root, work_dir=work_dir, overrides={"data.batch_size": 2}).plan(Command.TEST)
    assert batch.config.data.batch_size == 2  # how the evaluation runs may change


def test_resume_refuses_flags_that_would_change_the_run(work_dir: Path, shapes_root: Path) -> None:
    with pytest.raises(ConfigError, match="'optimizer.lr'"):
        Engine(work_dir=work_dir, overrides={"optimizer.lr": 0.5}).plan(Command.TRAIN, resume=True)
    plan = Engine(work_dir=work_dir).plan(Command.TRAIN, resume=True, max_epochs=3)
    assert plan.resume_run == (work_dir / ".latest" / "train").resolve()
    assert plan.config.trainer.max_epochs == 3


def test_cli_refusals_are_one_line(otx: Otx, work_dir: Path, shapes_root: Path) -> None:
    run = work_dir / ".latest" / "train"
    result = otx("train", "--config", run / "config.yaml", "--task", "DETECTION", "--work_dir", work_dir)
    assert result.code == 2
    assert "does not apply" in result.error_line
    result = otx("train", "--resume", "--set", "optimizer.lr=0.5", "--work_dir", work_dir)
    assert result.code == 2
    assert "optimizer.lr" in result.error_line


def test_replay_records_the_same_config(work_dir: Path) -> None:
    run = (work_dir / ".latest" / "train").resolve()
    replay = Engine.from_config(run, work_dir=work_dir).plan(Command.TRAIN)
    recorded = load_yaml(run / "config.yaml")
    assert recorded["label_names"] == list(replay.config.label_names or ())
    assert recorded["seed"] == replay.config.seed


def test_version_names_every_installed_package(otx: Otx) -> None:
    result = otx("--version")
    for package in ("otx-core 0.1.0", "otx-classification 0.1.0", "otx-detection 0.1.0", "otx-segmentation 0.1.0"):
        assert package in " ".join(result.out.split())


def test_a_bad_key_in_a_replayed_config_names_the_file_and_the_key(work_dir: Path, tmp_path: Path) -> None:
    saved = load_yaml(work_dir / ".latest" / "train" / "config.yaml")
    saved["optimizer"]["lrr"] = 0.1
    bad = tmp_path / "config.yaml"
    bad.write_text(yaml.safe_dump(saved))
    with pytest.raises(ConfigError, match=r"config\.yaml: Unknown config key 'optimizer\.lrr'"):
        Engine.from_config(tmp_path, work_dir=tmp_path / "ws")
