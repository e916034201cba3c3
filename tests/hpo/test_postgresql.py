"""Processes on a real PostgreSQL server share one study (as machines pointed at one database URL would).

The server runs from a temporary folder on a free local port (as the ``postgres`` user when the tests
run as root); the test skips only where PostgreSQL is not installed or does not start.
"""

import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
import sqlalchemy
from optuna.trial import TrialState


def _binary(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    root = Path(tempfile.mkdtemp(prefix="otx-postgres-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root)
            pytest.skip("running as root and there is no postgres user to run the server as")
        os.chown(root, account.pw_uid, account.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        port = probe.getsockname()[1]
    data = root / "data"
    server = [*as_user, pg_ctl, "-D", str(data), "-w", "-t", "60"]
    steps = [
        [*as_user, initdb, "-D", str(data), "-A", "trust", "-U", "otx", "--no-sync"],
        [*server, "-l", str(root / "server.log"), "-o", f"-p {port} -k {root} -c listen_addresses=localhost", "start"],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            shutil.rmtree(root, ignore_errors=True)
            pytest.skip(f"PostgreSQL did not start: {(done.stderr or done.stdout).strip().splitlines()[-1:]}")
    try:
        yield f"postgresql://otx@localhost:{port}/postgres"
    finally:
        subprocess.run([*server, "-m", "immediate", "stop"], capture_output=True, check=False)
        shutil.rmtree(root, ignore_errors=True)


def test_two_commands_share_one_study_and_report_the_same_best(
    postgres_url: str, shapes_maker, tmp_path: Path, otx, small_args: list[str]
) -> None:
    data = shapes_maker(tmp_path / "shapes", per_class=4)
    space = "hpo.space={lr: {key: optimizer.lr, low: 0.001, high: 0.01, log: true}}"

    def command(work: str) -> list[str]:
        where = ["--data_root", str(data), "--work_dir", str(tmp_path / work), "--hpo_storage", postgres_url]
        budget = ["--hpo_study", "shared", "--hpo_trials", "4", "--hpo_epochs", "1", "--set", "hpo.pruner=none"]
        return ["hpo", *where, *budget, *small_args, "--set", space]

    optuna.storages.RDBStorage(postgres_url)  # the tables, so that the test can lock one
    engine = sqlalchemy.create_engine(postgres_url)
    lock = engine.connect()
    lock.execute(sqlalchemy.text("LOCK TABLE trials IN ACCESS EXCLUSIVE MODE"))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    with (tmp_path / "b.log").open("w") as log:
        other = subprocess.Popen([sys.executable, "-m", "otx.cli.main", *command("b")], env=env, stdout=log, stderr=log)
        # Both commands start their search together: each waits on the lock until the other does too.
        both_waited: list[bool] = []
        opener = threading.Thread(target=lambda: both_waited.append(_release_when_both_wait(engine, lock, other)))
        opener.start()
        try:
            here = otx(*command("a"))
        finally:
            opener.join()
            other.wait(timeout=600)
    log_b = (tmp_path / "b.log").read_text()
    assert both_waited == [True], log_b[-3000:]
    assert here.code == 0, here.err
    assert other.returncode == 0, log_b[-3000:]
    trials = optuna.load_study(study_name="shared", storage=postgres_url).get_trials()
    assert [t.number for t in trials] == list(range(len(trials)))  # unique, no gaps
    assert 4 <= len(trials) <= 5  # two workers that check the budget at the same moment may take it one past
    assert {t.user_attrs["pid"] for t in trials} == {os.getpid(), other.pid}
    assert all(t.state == TrialState.COMPLETE for t in trials)
    best = max(t.value for t in trials if t.value is not None)
    reports = [json.loads(next((tmp_path / w).glob("*_hpo/metrics.json")).read_text()) for w in ("a", "b")]
    assert reports[0]["best_value"] == reports[1]["best_value"] == best
    assert reports[0]["best_trial"] == reports[1]["best_trial"]
    assert "in postgresql://otx@localhost" in here.out


def _release_when_both_wait(
    engine: sqlalchemy.Engine, lock: sqlalchemy.Connection, other: subprocess.Popen[str]
) -> bool:
    """Release ``lock`` once two sessions wait on it (or the other command ended, or 300 s passed)."""
    deadline = time.monotonic() + 300  # a fresh interpreter imports torch and Lightning first: slow on busy cores
    query = sqlalchemy.text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
    waiting = 0
    try:
        with engine.connect() as look:
            while waiting < 2 and other.poll() is None and time.monotonic() < deadline:
                time.sleep(0.2)
                waiting = look.execute(query).scalar_one()
                look.rollback()  # the view is a snapshot per transaction
    finally:
        lock.commit()
        lock.close()
    return waiting >= 2
