"""The pruning callback: it reports the monitored metric per epoch and stops a trial when told to."""

import time
from types import SimpleNamespace
from typing import Any

import optuna
import pytest
import torch
from lightning.pytorch.trainer.states import TrainerFn

from otx.core.errors import ConfigError
from otx.engine.hpo.pruning import TrialPruning


def trainer(epoch: int, value: float | None, fn: TrainerFn = TrainerFn.FITTING, max_epochs: int = 5) -> Any:
    metrics = {} if value is None else {"val/accuracy": torch.tensor(value)}
    return SimpleNamespace(
        sanity_checking=False,
        state=SimpleNamespace(fn=fn),
        callback_metrics=metrics,
        current_epoch=epoch,
        max_epochs=max_epochs,
    )


MODEL = SimpleNamespace(monitor="val/accuracy")


def trial(pruner: optuna.pruners.BasePruner) -> optuna.Trial:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(direction="maximize", pruner=pruner).ask()


def test_each_epoch_reports_the_monitored_metric() -> None:
    running = trial(optuna.pruners.NopPruner())
    callback = TrialPruning(running)
    for epoch, value in enumerate((0.5, 0.625, 0.75)):
        callback.on_validation_end(trainer(epoch, value), MODEL)
    reported = running.study.trials[0].intermediate_values
    assert reported == {1: 0.5, 2: 0.625, 3: 0.75}  # step = epochs trained
    assert callback.monitor == "val/accuracy"


def test_the_pruner_stops_the_trial_with_the_epoch_it_stopped_at() -> None:
    callback = TrialPruning(trial(optuna.pruners.ThresholdPruner(lower=0.6)))
    callback.on_validation_end(trainer(0, 0.7), MODEL)
    with pytest.raises(optuna.TrialPruned, match=r"pruned after epoch 2 \(val/accuracy 0.4000\)"):
        callback.on_validation_end(trainer(1, 0.4), MODEL)


def test_the_validation_after_fit_and_the_sanity_check_are_not_reported() -> None:
    running = trial(optuna.pruners.ThresholdPruner(lower=0.6))
    callback = TrialPruning(running)
    callback.on_validation_end(trainer(3, 0.1, fn=TrainerFn.VALIDATING), MODEL)
    sanity = trainer(0, 0.1)
    sanity.sanity_checking = True
    callback.on_validation_end(sanity, MODEL)
    assert running.study.trials[0].intermediate_values == {}


def test_the_time_budget_stops_a_trial_but_lets_its_last_epoch_finish() -> None:
    callback = TrialPruning(trial(optuna.pruners.NopPruner()), deadline=time.time() - 1)
    callback.on_validation_end(trainer(4, 0.8, max_epochs=5), MODEL)
    with pytest.raises(optuna.TrialPruned, match="time budget"):
        callback.on_validation_end(trainer(1, 0.8, max_epochs=5), MODEL)


def test_a_metric_validation_did_not_log_is_named() -> None:
    callback = TrialPruning(trial(optuna.pruners.NopPruner()))
    with pytest.raises(ConfigError, match="HPO monitors 'val/accuracy', which validation did not log"):
        callback.on_validation_end(trainer(0, None), MODEL)
