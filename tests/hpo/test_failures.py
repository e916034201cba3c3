"""Failed trials are recorded with their error and counted; a study whose trials all fail is one error line."""

import multiprocessing
import os
import socket
from pathlib import Path

import optuna
from optuna.trial import TrialState

from otx.engine.hpo.study import Budget, count_states, fail_dead_trials, first_error, run_trials, start_trial


def study() -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna.create_study(direction="maximize")


def test_a_failing_trial_is_recorded_with_its_error_and_the_search_goes_on() -> None:
    outcomes = iter([ValueError("bad batch\nsecond line"), 0.5, optuna.TrialPruned("pruned after epoch 1"), 0.75])

    def objective(trial: optuna.Trial) -> float:
        outcome = next(outcomes)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    heard: list[int] = []
    search = study()
    run_trials(search, objective, Budget(trials=4), lambda t: heard.append(t.number))
    trials = search.get_trials()
    assert heard == [0, 1, 2, 3]
    assert [t.state for t in trials] == [TrialState.FAIL, TrialState.COMPLETE, TrialState.PRUNED, TrialState.COMPLETE]
    assert trials[0].user_attrs["error"] == "ValueError: bad batch"
    assert trials[2].user_attrs["note"] == "pruned after epoch 1"
    assert count_states(trials) == {"complete": 2, "pruned": 1, "failed": 1, "running": 0}
    assert first_error(trials) is None


def test_when_every_trial_fails_the_first_error_is_the_message() -> None:
    errors = iter([RuntimeError("out of memory"), KeyError("x")])

    def objective(trial: optuna.Trial) -> float:
        raise next(errors)

    search = study()
    run_trials(search, objective, Budget(trials=2), lambda t: None)
    assert first_error(search.get_trials()) == "all 2 HPO trials failed; trial 0: RuntimeError: out of memory"


def test_the_budget_counts_the_trials_already_in_the_study() -> None:
    search = study()
    run_trials(search, lambda trial: 1.0, Budget(trials=2), lambda t: None)
    run_trials(search, lambda trial: 1.0, Budget(trials=3), lambda t: None)
    assert len(search.trials) == 3
    run_trials(search, lambda trial: 1.0, Budget(deadline=0.0), lambda t: None)
    assert len(search.trials) == 3


def test_the_cli_fails_with_the_first_error_when_all_trials_fail(
    shapes_maker, tmp_path: Path, otx, small_args: list[str]
) -> None:
    data = shapes_maker(tmp_path / "shapes", per_class=4)
    result = otx(
        *("hpo", "--data_root", data, "--work_dir", tmp_path / "ws", "--hpo_trials", "2", *small_args),
        *("--set", "hpo.space={betas: {key: optimizer.params.betas, choices: [not_a_pair]}}"),
    )
    assert result.code == 2
    line = result.error_line
    assert line.startswith("otx: error: all 2 HPO trials failed; trial 0: ")
    assert "ConfigError: Invalid optimizer.params for AdamW" in line
    assert "2 failed" in result.out


def test_a_trial_whose_process_died_right_after_starting_it_is_failed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hpo.db'}"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    optuna.create_study(study_name="s", storage=url, direction="maximize")

    def start_and_die() -> None:  # nothing after the trial's first write: as if killed there
        start_trial(optuna.load_study(study_name="s", storage=url), worker=3)
        os._exit(0)

    child = multiprocessing.get_context("fork").Process(target=start_and_die)
    child.start()
    child.join()
    search = optuna.load_study(study_name="s", storage=url)
    (running,) = search.get_trials()
    assert running.state == TrialState.RUNNING
    assert running.user_attrs == {"host": socket.gethostname(), "pid": child.pid, "worker": 3}
    assert fail_dead_trials(search) == [0]
    (failed,) = search.get_trials()
    assert failed.state == TrialState.FAIL
    assert failed.user_attrs["error"] == f"its process ({child.pid}) ended while it ran"
