"""Whole searches on a tiny dataset: ``otx train --hpo``, and a study killed with ``kill -9`` that resumes."""

import functools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
import sqlalchemy.exc
import yaml
from optuna.trial import TrialState

LR_ONLY = "hpo.space={lr: {key: optimizer.lr, low: 0.001, high: 0.01, log: true}}"


def test_train_hpo_searches_then_trains_the_best(shapes_maker, tmp_path: Path, otx, small_args: list[str]) -> None:
    data = shapes_maker(tmp_path / "shapes", per_class=4)
    work = tmp_path / "ws"
    result = otx(
        *("train", "--hpo", "--data_root", data, "--work_dir", work, "--max_epochs", "2", *small_args),
        *("--hpo_trials", "2", "--hpo_epochs", "1", "--set", LR_ONLY, "--set", "hpo.pruner=none"),
    )
    assert result.code == 0, result.err
    search, final = (work / ".latest" / "hpo").resolve(), (work / ".latest" / "train").resolve()
    assert final.parent == work and search.parent == work  # trials live under the search, not as train runs
    assert sorted(p.name for p in (search / "trials").iterdir()) == ["0", "1"]
    assert (search / "optimization_history.png").stat().st_size > 0
    rows = (search / "trials.csv").read_text().splitlines()
    assert rows[0].startswith("trial,state,value,epochs") and len(rows) == 3
    best = yaml.safe_load((search / "best_config.yaml").read_text())
    trained = yaml.safe_load((final / "config.yaml").read_text())
    metrics = json.loads((search / "metrics.json").read_text())
    assert trained["optimizer"]["lr"] == best["optimizer"]["lr"] == metrics["best_params"]["lr"]
    assert trained["trainer"]["max_epochs"] == best["trainer"]["max_epochs"] == 2  # the trials trained 1
    assert metrics["complete"] == 2 and metrics["failed"] == 0
    assert "HPO study 'tiny_resnet-shapes': 2 complete, 0 pruned, 0 failed" in result.out


@pytest.mark.timing
def test_a_killed_study_resumes_from_its_stored_trials(shapes_maker, tmp_path: Path, small_args: list[str]) -> None:
    data = shapes_maker(tmp_path / "shapes", per_class=4)
    work = tmp_path / "ws"
    command = [sys.executable, "-m", "otx.cli.main", "hpo", "--data_root", str(data), "--work_dir", str(work)]
    command += ["--hpo_trials", "4", "--hpo_epochs", "3", *small_args, "--set", LR_ONLY, "--set", "hpo.pruner=none"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    storage = f"sqlite:///{work / 'hpo.db'}"
    deadline = time.monotonic() + 180
    trials: list[optuna.trial.FrozenTrial] = []
    while time.monotonic() < deadline and first.poll() is None:
        trials = _trials(storage)
        states = [t.state for t in trials]
        if TrialState.COMPLETE in states and states[-1] == TrialState.RUNNING and not trials[-1].intermediate_values:
            break  # a trial in its first epoch: it still has two to go when the kill lands
        time.sleep(0.2)
    first.send_signal(signal.SIGKILL)
    first.wait()
    before = _trials(storage)
    assert first.returncode == -signal.SIGKILL, "the search ended before it could be killed mid-trial"
    killed = before[-1]
    assert killed.state == TrialState.RUNNING, [t.state for t in before]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    after = _trials(storage)
    assert [t.number for t in after] == [0, 1, 2, 3]  # the budget counts the stored trials
    for old in before[:-1]:
        assert (after[old.number].state, after[old.number].value, after[old.number].params) == (
            old.state,
            old.value,
            old.params,
        )
    assert after[killed.number].state == TrialState.FAIL
    assert after[killed.number].user_attrs["error"] == f"its process ({first.pid}) ended while it ran"
    assert all(t.state == TrialState.COMPLETE for t in after[killed.number + 1 :])
    assert f"trial {killed.number} was left running by a process that died" in done.stdout
    assert "1 failed" in done.stdout


def _trials(url: str) -> list[optuna.trial.FrozenTrial]:
    if not Path(url.removeprefix("sqlite:///")).is_file():
        return []
    try:
        return optuna.load_study(study_name="tiny_resnet-shapes", storage=_storage(url)).get_trials()
    except (KeyError, RuntimeError, sqlalchemy.exc.SQLAlchemyError):  # no study (or no tables) yet
        return []


@functools.cache
def _storage(url: str) -> optuna.storages.RDBStorage:
    return optuna.storages.RDBStorage(url, skip_table_creation=True)
