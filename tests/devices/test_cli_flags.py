"""The device flags of ``otx train``: printed with the plan, recorded in the run's config, refused when wrong."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
import yaml


@pytest.fixture
def cpu_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.xpu, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


def test_device_flags_are_printed_and_recorded(
    otx: Callable[..., Any], cpu_only: None, tmp_path: Path, shapes_root: Path, small_args: list[str]
) -> None:
    args = ["--data_root", shapes_root, "--work_dir", tmp_path, "--max_epochs", "1", *small_args]
    args += ["--accelerator", "cpu", "--devices", "1", "--precision", "bf16-mixed", "--batch_size", "auto"]
    result = otx("train", *args)
    assert result.code == 0, result.err
    assert "device: cpu (given), 1 device(s), strategy auto, precision bf16-mixed" in result.out
    assert "batch:  4 (the recipe's: a larger batch is searched on a GPU, not on the cpu)" in result.out
    saved = yaml.safe_load((tmp_path / ".latest" / "train" / "config.yaml").read_text(encoding="utf-8"))
    assert {key: saved["trainer"][key] for key in ("accelerator", "devices", "num_nodes", "strategy", "precision")} == {
        "accelerator": "cpu",
        "devices": 1,
        "num_nodes": 1,
        "strategy": "auto",
        "precision": "bf16-mixed",
    }
    assert saved["data"]["batch_size"] == 4 and saved["data"]["auto_batch_size"] is False


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--accelerator", "tpu"], "trainer.accelerator"),
        (["--accelerator", "cuda"], "trainer.accelerator=cuda asks for a CUDA GPU"),
        (["--devices", "0,1"], "on the CPU give a count"),
        (["--batch_size", "big"], "'data.batch_size' (--batch_size) must be a number or auto"),
    ],
)
def test_wrong_device_flags_are_one_line_errors(
    otx: Callable[..., Any], cpu_only: None, tmp_path: Path, shapes_root: Path, flags: list[str], message: str
) -> None:
    result = otx("train", "--data_root", shapes_root, "--work_dir", tmp_path, *flags)
    assert result.code == 2
    assert message in result.error_line


def test_the_engine_takes_the_same_settings(
    cpu_only: None, tmp_path: Path, shapes_root: Path, small: dict[str, object]
) -> None:
    from otx.engine import Engine

    engine = Engine(data_root=shapes_root, work_dir=tmp_path, overrides=small)
    engine.train(max_epochs=1, accelerator="cpu", devices=1, precision="bf16-mixed")
    assert engine.last_plan is not None
    trainer = engine.last_plan.config.trainer
    assert (trainer.accelerator, trainer.devices, trainer.strategy, trainer.precision) == (
        "cpu",
        1,
        "auto",
        "bf16-mixed",
    )
