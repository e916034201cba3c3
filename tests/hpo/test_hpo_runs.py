"""Whole searches on a tiny dataset: ``otx train --hpo``, and a study killed with ``kill -9`` that resumes."""

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import optuna
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


def test_a_killed_study_resumes_from_its_stored_trials(
    shapes_maker, tmp_path: Path, otx, small_args: list[str]
) -> None:
    data = shapes_maker(tmp_path / "shapes", per_class=4)
    work = tmp_path / "ws"
    args = ["hpo", "--data_root", str(data), "--work_dir", str(work), "--hpo_trials", "4", "--hpo_epochs", "2"]
    args += [*small_args, "--set", LR_ONLY, "--set", "hpo.pruner=none"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    with (tmp_path / "killed.log").open("w") as log:
        first = subprocess.Popen([sys.executable, "-m", "otx.cli.main", *args], env=env, stdout=log, stderr=log)
        try:
            before = _kill_mid_trial(first, work / "hpo.db")
        finally:
            first.kill()
            first.wait()
    assert first.returncode == -signal.SIGKILL, (tmp_path / "killed.log").read_text()[-3000:]
    killed = before[-1][0]
    resumed = otx(*args)
    assert resumed.code == 0, resumed.err
    after = optuna.load_study(study_name="tiny_resnet-shapes", storage=f"sqlite:///{work / 'hpo.db'}").get_trials()
    assert [t.number for t in after] == [0, 1, 2, 3]  # the budget counts the stored trials
    assert [t.state.name for t in after[:killed]] == [state for _, state in before[:-1]] == ["COMPLETE"] * killed
    assert after[killed].state == TrialState.FAIL
    assert after[killed].user_attrs["error"] == f"its process ({first.pid}) ended while it ran"
    assert {t.user_attrs["pid"] for t in after[: killed + 1]} == {first.pid}
    assert [t.state for t in after[killed + 1 :]] == [TrialState.COMPLETE] * (3 - killed)
    assert f"trial {killed} was left running by a process that died" in resumed.out
    assert "1 failed" in resumed.out


def _kill_mid_trial(process: subprocess.Popen[bytes], database: Path) -> list[tuple[int, str]]:
    """SIGKILL ``process`` while trial 1 or 2 runs, after a complete one; the trials (number, state) it left.

    Each look holds an exclusive lock on the study's SQLite file, so the trial seen running cannot
    finish before the kill lands.
    """
    deadline = time.monotonic() + 300  # a fresh interpreter imports torch and Lightning first: slow on busy cores
    while time.monotonic() < deadline and process.poll() is None:
        if database.is_file():
            with contextlib.closing(sqlite3.connect(database, timeout=60, isolation_level=None)) as db:
                db.execute("BEGIN EXCLUSIVE")
                try:
                    trials = db.execute("SELECT number, state FROM trials ORDER BY number").fetchall()
                except sqlite3.OperationalError:  # no tables yet
                    trials = []
                if trials and trials[-1][1] == "RUNNING" and trials[0][1] == "COMPLETE" and trials[-1][0] <= 2:
                    process.send_signal(signal.SIGKILL)
                    process.wait()
                db.execute("COMMIT")
            if process.returncode is not None:
                return trials
        time.sleep(0.1)
    raise AssertionError("the search ended, or started no second trial in 300 s, before it could be killed")


def test_two_workers_share_the_study(shapes_maker, tmp_path: Path, otx, small_args: list[str]) -> None:
    data = shapes_maker(tmp_path / "shapes", per_class=4)
    work = tmp_path / "ws"
    result = otx(
        *("hpo", "--data_root", data, "--work_dir", work, "--workers", "2", "--hpo_trials", "4", "--hpo_epochs", "1"),
        *(*small_args, "--set", LR_ONLY, "--set", "hpo.pruner=none"),
    )
    assert result.code == 0, result.err
    trials = optuna.load_study(study_name="tiny_resnet-shapes", storage=f"sqlite:///{work / 'hpo.db'}").get_trials()
    assert [t.number for t in trials] == list(range(len(trials)))  # unique, no gaps
    assert 4 <= len(trials) <= 5  # two workers that check the budget at the same moment may take it one past
    assert all(t.state == TrialState.COMPLETE for t in trials)
    owners = {(t.user_attrs["worker"], t.user_attrs["pid"]) for t in trials}
    assert len(owners) == 2 and {worker for worker, _ in owners} == {0, 1}  # one process per worker, both ran
    assert (0, os.getpid()) in owners  # worker 0 is the command's own process, worker 1 a spawned one
    assert "with 2 worker(s)" in result.out
    assert json.loads(next(work.glob("*_hpo/metrics.json")).read_text())["complete"] == len(trials)
