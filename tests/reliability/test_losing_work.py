"""A run never loses finished work: last.ckpt is the last finished epoch, a failed command never hides
the previous good run, a full disk is one line and leaves no temporary file, a run is used by one process."""

import fcntl
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightning
import pytest
import torch

from otx.core.errors import DataError
from otx.engine import Engine
from otx.engine.checkpoint import AtomicCheckpointIO

Otx = Callable[..., Any]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, shapes_root: Path, small: dict[str, object]) -> Path:
    """The work dir of one finished 3-epoch run; tests copy it before changing it."""
    work_dir = tmp_path_factory.mktemp("trained") / "ws"
    narrow = {**small, "model.init_args.widths": [8, 8, 16, 16]}
    Engine(data_root=shapes_root, work_dir=work_dir, overrides=narrow).train(max_epochs=3)
    return work_dir


def _copy(work_dir: Path, to: Path) -> Path:
    shutil.copytree(work_dir, to, symlinks=True)
    return to


def test_last_checkpoint_is_the_last_finished_epoch(trained: Path, runs: Any) -> None:
    checkpoints = trained / ".latest" / "train" / "checkpoints"
    assert runs.finished_epoch(checkpoints / "last.ckpt") == 2
    assert runs.finished_epoch(checkpoints / "best.ckpt") in (0, 1, 2)


class _BadBatch(lightning.Callback):
    def on_train_batch_start(self, *args: object) -> None:
        raise DataError("unreadable image broken.png")


def test_a_failed_train_keeps_the_previous_run_in_use(
    trained: Path, tmp_path: Path, otx: Otx, runs: Any, small: dict[str, object]
) -> None:
    work_dir = _copy(trained, tmp_path / "ws")
    good = (work_dir / ".latest" / "train").resolve()
    engine = Engine(data_root=runs.data_root, work_dir=work_dir, overrides=small)
    with pytest.raises(DataError):
        engine.train(max_epochs=1, callbacks=[_BadBatch()])
    (failed,) = {path for path in work_dir.glob("*_train*") if path != good}
    assert (failed / "FAILED").read_text() == "DataError: unreadable image broken.png\n"
    assert (work_dir / ".latest" / "train").resolve() == good

    tested = otx("test", "--work_dir", work_dir)
    assert tested.code == 0, tested.err
    assert f"checkpoint: {good / 'checkpoints' / 'best.ckpt'}" in " ".join(tested.out.split())
    plan = Engine(work_dir=work_dir).plan("train", resume=True)
    assert plan.resume_run == good


def test_a_checkpoint_write_that_fails_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "last.ckpt"
    AtomicCheckpointIO().save_checkpoint({"epoch": 1}, target)
    with pytest.raises(RuntimeError, match="half written"):
        AtomicCheckpointIO().save_checkpoint({"epoch": 2, "bad": _Unpicklable()}, target)
    assert torch.load(target, weights_only=True) == {"epoch": 1}
    assert sorted(path.name for path in tmp_path.iterdir()) == ["last.ckpt"]


class _Unpicklable:
    def __reduce__(self) -> str:
        raise RuntimeError("half written")


@pytest.fixture
def small_disk(tmp_path: Path) -> Any:
    """A 20 MB tmpfs: room for one checkpoint of the default model (15 MB), not for two."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(mount)], check=False, capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip() or done.returncode}")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_a_full_disk_is_one_line_and_leaves_no_temporary_file(small_disk: Path, otx: Otx, runs: Any) -> None:
    work_dir = small_disk / "ws"
    result = otx(*runs.train_args(work_dir, 2, narrow=False))
    assert result.code == 2
    (run,) = work_dir.glob("*_train")
    last = run / "checkpoints" / "last.ckpt"
    assert result.error_line == f"otx: error: No space left on device writing {last}"
    assert not [path for path in small_disk.rglob("*") if path.name.endswith(".tmp")]
    assert runs.finished_epoch(run / "checkpoints" / "best.ckpt") == 0  # what was written stays intact
    assert shutil.disk_usage(small_disk).free > 4 * 2**20
    assert (run / "FAILED").is_file()
    assert not (work_dir / ".latest" / "train").exists()


def test_a_run_in_use_cannot_be_resumed_twice(trained: Path, tmp_path: Path, otx: Otx, runs: Any) -> None:
    work_dir = _copy(trained, tmp_path / "ws")
    run = (work_dir / ".latest" / "train").resolve()
    with (run / ".lock").open("w") as holder:  # what a running `otx train` of this run holds
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        holder.write(f"{os.getpid()}\n")
        holder.flush()
        result = otx("train", "--resume", "--work_dir", work_dir, "--max_epochs", "4")
    assert result.code == 2
    assert (
        result.error_line
        == f"otx: error: {run} is in use by another otx process (pid {os.getpid()}); wait for it to end"
    )
    assert runs.finished_epoch(run / "checkpoints" / "last.ckpt") == 2  # untouched
