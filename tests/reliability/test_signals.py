"""SIGINT and SIGTERM during training: the run stops, keeps its last finished epoch, says how to resume,
and exits 130 / 143; resuming continues from the next epoch."""

import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from otx.engine import Engine

Otx = Callable[..., Any]


@pytest.fixture(autouse=True)
def default_signal_handlers() -> Any:
    """Python's own SIGINT and SIGTERM handlers, as an ``otx`` process starts with them.

    Earlier tests in the same pytest process (the distributed ones) can leave SIGINT ignored, and a
    run started with SIGINT ignored (``otx train ... &`` in a shell) rightly keeps ignoring it.
    """
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    yield
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def _signal_after_first_epoch(work_dir: Path, signum: int, runs: Any) -> threading.Thread:
    """A thread that sends ``signum`` to this process once the run has a ``last.ckpt``."""

    def send() -> None:
        while not list(work_dir.glob("*_train")):
            time.sleep(0.01)
        (run,) = work_dir.glob("*_train")
        runs.wait_for_epoch(run / "checkpoints" / "last.ckpt", 0, alive=lambda: True)
        os.kill(os.getpid(), signum)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_training_resumably(tmp_path: Path, otx: Otx, runs: Any, signum: int, code: int) -> None:
    work_dir = tmp_path / "ws"
    sender = _signal_after_first_epoch(work_dir, signum, runs)
    stopped = otx(*runs.train_args(work_dir, 100))
    sender.join()
    assert stopped.code == code, stopped.err
    (run,) = work_dir.glob("*_train")
    last = run / "checkpoints" / "last.ckpt"
    epoch = runs.finished_epoch(last)
    assert epoch is not None and epoch < 99
    lines = [line for line in stopped.err.splitlines() if line.strip()]
    assert lines == [
        f"otx: interrupted by {signal.Signals(signum).name}: {run} keeps its last finished epoch ({epoch + 1}) "
        f"in {last}; resume with: otx train --resume --work_dir {work_dir}"
    ]
    assert (work_dir / ".latest" / "train").resolve() == run.resolve()
    assert (run / "FAILED").read_text().startswith("Interrupted: interrupted by")
    choice = Engine(work_dir=work_dir).plan("test").choices[0]  # what `otx test` prints it uses
    assert choice.startswith(f"checkpoint: {run.resolve()}/checkpoints/best.ckpt (the latest training run's best")
    assert choice.endswith(f"; that run stopped: Interrupted: interrupted by {signal.Signals(signum).name})")

    resumed = otx("train", "--resume", "--work_dir", work_dir, "--max_epochs", str(epoch + 2))
    assert resumed.code == 0, resumed.err
    assert runs.finished_epoch(last) == epoch + 1
    assert sorted(runs.validation_rows(run / "logs_2" / "metrics.csv"))[0] == epoch + 1  # no epoch trained again
    assert not (run / "FAILED").exists()


def test_a_signal_between_the_checkpoint_and_the_pointer_still_leaves_the_run_pointed_at(
    tmp_path: Path, otx: Otx, runs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The signal lands as the first ``last.ckpt`` is on disk and ``.latest/train`` is about to move."""
    from otx.engine.signals import Interrupted
    from otx.engine.workdir import WorkDir

    point_latest = WorkDir.point_latest
    calls: list[str] = []

    def interrupted_once(self: WorkDir, command: str, run: Path) -> None:
        calls.append(command)
        if len(calls) == 1:
            raise Interrupted(signal.SIGTERM)
        point_latest(self, command, run)

    monkeypatch.setattr(WorkDir, "point_latest", interrupted_once)
    work_dir = tmp_path / "ws"
    stopped = otx(*runs.train_args(work_dir, 3))
    assert stopped.code == 143, stopped.err
    (run,) = work_dir.glob("*_train")
    assert (run / "checkpoints" / "last.ckpt").is_file()
    assert (work_dir / ".latest" / "train").resolve() == run.resolve()
    assert "resume with: otx train --resume" in stopped.err
