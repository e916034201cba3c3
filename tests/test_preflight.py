"""A bad model name or ``--set`` is refused before any data is read and before torch is imported."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from otx.core.errors import ConfigError
from otx.engine import Engine
from otx.engine.preflight import check_request


@pytest.fixture
def unreadable_data(tmp_path: Path) -> Path:
    """Two class folders of files named .png that are not images: reading any of them would fail."""
    for name in ("cat", "dog"):
        (tmp_path / "data" / name).mkdir(parents=True)
        for i in range(3):
            (tmp_path / "data" / name / f"{i}.png").write_bytes(b"not a png")
    return tmp_path / "data"


def test_an_unknown_model_is_named_with_every_tasks_models() -> None:
    with pytest.raises(ConfigError, match=r"Unknown model 'nope'\. Available: .*DETECTION: .*tiny_det"):
        check_request(None, "nope", {})


def test_a_model_of_another_task_lists_the_given_tasks_models() -> None:
    with pytest.raises(ConfigError, match=r"Unknown model 'tiny_resnet' for task DETECTION\. Available: .*tiny_det"):
        check_request("detection", "tiny_resnet", {})


def test_overrides_are_checked_against_the_recipe_the_request_resolves() -> None:
    with pytest.raises(ConfigError, match=r"Unknown config key 'optimizer\.lrr'\. Did you mean 'optimizer\.lr'"):
        check_request(None, None, {"optimizer.lrr": 0.1})
    with pytest.raises(ConfigError, match=r"batch_size"):
        check_request("MULTI_CLASS_CLS", "tiny_resnet", {"data.batch_size": "many"})
    check_request(None, "tiny_det", {"optimizer.lr": 0.01, "data.batch_size": 4})  # accepted
    check_request(None, None, {"trainer.max_epochs": 3})


def test_a_missing_recipe_file_is_named() -> None:
    with pytest.raises(ConfigError, match=r"Unknown model 'missing\.yaml'"):
        check_request(None, "missing.yaml", {})


def test_engine_refuses_before_its_plan(unreadable_data: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Unknown model 'nope'"):
        Engine(data_root=unreadable_data, model="nope", work_dir=tmp_path / "ws")
    with pytest.raises(ConfigError, match="optimizer.lrr"):
        Engine(data_root=unreadable_data, work_dir=tmp_path / "ws", overrides={"optimizer.lrr": 1})


def test_the_cli_names_the_model_not_the_unreadable_images(
    otx: Callable[..., Any], unreadable_data: Path, tmp_path: Path
) -> None:
    result = otx("train", "--data_root", unreadable_data, "--model", "nope", "--work_dir", tmp_path / "ws")
    assert result.code == 2
    assert result.error_line.startswith("otx: error: Unknown model 'nope'")
    assert not (tmp_path / "ws").exists()
