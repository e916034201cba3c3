"""Adaptive batch size: the recipe's batch on the CPU, Lightning's tuner (stubbed here) on a GPU."""

import pytest
from attrs import evolve

from otx.core.config.recipe import DataConfig, ModelConfig, OptimizerConfig, RunConfig, TrainerConfig
from otx.core.types.task import OTXTaskType
from otx.engine.devices import batch_size
from otx.engine.devices.batch_size import choose_batch_size


def config(accelerator: str, devices: int = 1) -> RunConfig:
    return RunConfig(
        task=OTXTaskType.MULTI_CLASS_CLS,
        model=ModelConfig(name="tiny", class_path="x.Tiny"),
        optimizer=OptimizerConfig(lr=0.01),
        data=DataConfig(batch_size=16, auto_batch_size=True),
        trainer=TrainerConfig(accelerator=accelerator, devices=devices),
    )


@pytest.fixture
def tuner_finds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The tuner's answer (first item) and the calls it got (appended)."""
    answer = [64]

    def largest(config: RunConfig, model: object, datamodule: object) -> int:
        answer.append(config.data.batch_size)
        return answer[0]

    monkeypatch.setattr(batch_size, "largest_batch", largest)
    return answer


def test_on_the_cpu_the_recipe_batch_stands(tuner_finds: list[int]) -> None:
    chosen, line = choose_batch_size(config("cpu"), model=None, datamodule=None)  # type: ignore[arg-type]
    assert chosen.data.batch_size == 16 and chosen.optimizer.lr == 0.01
    assert not chosen.data.auto_batch_size  # the saved config records what ran
    assert line.startswith("batch:  16 (the recipe's") and "not on the cpu" in line
    assert tuner_finds == [64]  # the tuner was not asked


@pytest.mark.parametrize("accelerator", ["cuda", "xpu"])
def test_on_a_gpu_the_largest_batch_trains_with_a_linearly_scaled_lr(tuner_finds: list[int], accelerator: str) -> None:
    chosen, line = choose_batch_size(config(accelerator), model=None, datamodule=None)  # type: ignore[arg-type]
    assert tuner_finds == [64, 16]  # searched from the recipe's batch
    assert chosen.data.batch_size == 64 and chosen.optimizer.lr == pytest.approx(0.04)
    assert not chosen.data.auto_batch_size
    assert line == (
        f"batch:  64 (auto: the largest that fits the {accelerator}, from the recipe's 16); lr 0.04 (x4, linear rule)"
    )


def test_a_recipe_batch_that_is_already_the_largest_stays(tuner_finds: list[int]) -> None:
    tuner_finds[0] = 16
    chosen, line = choose_batch_size(config("cuda"), model=None, datamodule=None)  # type: ignore[arg-type]
    assert chosen == evolve(config("cuda"), data=evolve(config("cuda").data, auto_batch_size=False))
    assert "the recipe's batch is the largest" in line


def test_a_distributed_run_keeps_the_recipe_batch(tuner_finds: list[int]) -> None:
    chosen, line = choose_batch_size(config("cuda", devices=2), model=None, datamodule=None)  # type: ignore[arg-type]
    assert chosen.data.batch_size == 16 and "not in DDP" in line
    assert tuner_finds == [64]
