"""``kill -9`` at a random point of a 4-epoch run, then ``otx train --resume``: every epoch is trained
once, and the weights and metrics are those of the same run uninterrupted (same seed), bit for bit."""

import json
import multiprocessing
import os
import random
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from otx.cli.main import main

Otx = Callable[..., Any]
EPOCHS = 4


def _final_metrics(run: Path) -> dict[str, float]:
    metrics = json.loads((run / "metrics.json").read_text())
    return {name: value for name, value in metrics.items() if name != "train_seconds"}


def test_a_run_killed_at_a_random_point_resumes_to_the_same_result(tmp_path: Path, otx: Otx, runs: Any) -> None:
    chooser = random.Random()
    epoch, delay = chooser.randrange(EPOCHS - 2), chooser.uniform(0.0, 0.05)  # at least 2 epochs still to run
    point = f"kill -9 {delay:.2f} s after last.ckpt held epoch {epoch}"
    work_dir = tmp_path / "killed"
    child = multiprocessing.get_context("fork").Process(target=main, args=(runs.train_args(work_dir, EPOCHS),))
    child.start()  # a forked `otx train`: no second start-up of torch and Lightning
    while not list(work_dir.glob("*_train")) and child.is_alive():
        time.sleep(0.01)
    (run,) = work_dir.glob("*_train")
    last = run / "checkpoints" / "last.ckpt"
    runs.wait_for_epoch(last, epoch, alive=child.is_alive)
    time.sleep(delay)
    os.kill(child.pid or 0, signal.SIGKILL)
    child.join()
    assert child.exitcode == -signal.SIGKILL, f"{point}: the run ended before it was killed"
    kept = runs.finished_epoch(last)
    assert kept is not None and kept < EPOCHS - 1, point

    resumed = otx("train", "--resume", "--work_dir", work_dir)
    assert resumed.code == 0, resumed.err
    whole = otx(*runs.train_args(tmp_path / "whole", EPOCHS))
    assert whole.code == 0, whole.err
    reference = (tmp_path / "whole" / ".latest" / "train").resolve()

    before = runs.validation_rows(run / "logs" / "metrics.csv")
    after = runs.validation_rows(run / "logs_2" / "metrics.csv")
    assert min(after) == kept + 1, f"{point}: resumed at epoch {min(after)}, the last finished one was {kept}"
    assert set(range(kept + 1)) <= set(before) <= set(range(kept + 2)), point  # kept+1: killed after its validation
    logged = {**{e: row for e, row in before.items() if e <= kept}, **after}
    assert logged == runs.validation_rows(reference / "logs" / "metrics.csv"), point
    assert _final_metrics(run) == _final_metrics(reference), point
    weights = torch.load(last, weights_only=True)["state_dict"]
    expected = torch.load(reference / "checkpoints" / "last.ckpt", weights_only=True)["state_dict"]
    assert weights.keys() == expected.keys()
    different = [name for name in weights if not torch.equal(weights[name], expected[name])]
    assert not different, (
        f"{point}: after {EPOCHS} epochs these weights differ from the uninterrupted run's: {different}"
    )
