"""Run folders, the ``.latest/<command>`` pointer (moved only by a command that succeeded) and the run lock."""

import errno
import os
from pathlib import Path

import pytest

from otx.core.errors import DataError
from otx.engine.runlock import RunInUseError, hold_run
from otx.engine.workdir import FAILED_MARKER, DiskFullError, WorkDir


def test_a_run_that_succeeds_is_pointed_at(tmp_path: Path) -> None:
    work_dir = WorkDir(tmp_path / "ws")
    assert work_dir.latest("train") is None
    with work_dir.run("train") as run:
        assert run.is_dir()
        assert work_dir.latest("train") is None  # not before it succeeded
    assert run.parent == tmp_path / "ws"
    assert run.name.endswith("_train")
    link = tmp_path / "ws" / ".latest" / "train"
    assert link.is_symlink()
    assert not os.path.isabs(os.readlink(link))  # relative: the work dir can be moved
    assert work_dir.latest("train") == run.resolve()
    assert not (run / FAILED_MARKER).exists()


def test_a_failed_run_is_kept_and_marked_and_the_pointer_stays(tmp_path: Path) -> None:
    work_dir = WorkDir(tmp_path)
    with work_dir.run("train") as good:
        pass
    with pytest.raises(DataError, match="broken image"), work_dir.run("train") as bad:
        raise DataError("broken image a.png\nsecond line")
    assert work_dir.latest("train") == good.resolve()
    assert (bad / FAILED_MARKER).read_text() == "DataError: broken image a.png\n"


def test_a_resumed_run_that_succeeds_loses_its_failed_marker(tmp_path: Path) -> None:
    work_dir = WorkDir(tmp_path)
    with pytest.raises(KeyboardInterrupt), work_dir.run("train") as run:
        raise KeyboardInterrupt
    assert (run / FAILED_MARKER).read_text() == "KeyboardInterrupt: KeyboardInterrupt\n"
    with work_dir.run("train", run) as again:
        assert again == run
    assert not (run / FAILED_MARKER).exists()
    assert work_dir.latest("train") == run.resolve()


def test_a_full_disk_is_one_line_naming_the_file(tmp_path: Path) -> None:
    work_dir = WorkDir(tmp_path)
    with pytest.raises(DiskFullError) as caught, work_dir.run("export") as run:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(run / "model.xml"))
    assert str(caught.value) == f"No space left on device writing {run / 'model.xml'}"
    assert work_dir.latest("export") is None


def test_a_run_is_held_by_one_process(tmp_path: Path) -> None:
    work_dir = WorkDir(tmp_path)
    run = work_dir.new_run("train")
    in_use = rf"{run} is in use by another otx process \(pid {os.getpid()}\)"
    with hold_run(run), pytest.raises(RunInUseError, match=in_use), work_dir.run("train", run):
        pass
    with work_dir.run("train", run):  # released when the holder is done
        pass


def test_runs_in_the_same_second_get_distinct_folders(tmp_path: Path) -> None:
    work_dir = WorkDir(tmp_path)
    runs = [work_dir.new_run("train") for _ in range(3)]
    assert len({run.name for run in runs}) == 3


def test_latest_is_tracked_per_command(tmp_path: Path) -> None:
    work_dir = WorkDir(tmp_path)
    with work_dir.run("train") as train, work_dir.run("test") as test:
        pass
    assert work_dir.latest("train") == train.resolve()
    assert work_dir.latest("test") == test.resolve()
    assert work_dir.latest("predict") is None
    assert not list((tmp_path / ".latest").glob(".*.tmp"))


def test_latest_survives_moving_the_work_dir(tmp_path: Path) -> None:
    with WorkDir(tmp_path / "a").run("train") as run:
        pass
    (tmp_path / "a").rename(tmp_path / "b")
    assert WorkDir(tmp_path / "b").latest("train") == (tmp_path / "b" / run.name).resolve()


def test_latest_is_none_when_the_run_was_deleted(tmp_path: Path) -> None:
    work_dir = WorkDir(tmp_path)
    with work_dir.run("train") as run:
        pass
    for path in run.iterdir():
        path.unlink()
    run.rmdir()
    assert work_dir.latest("train") is None


def test_an_untracked_run_is_never_pointed_at(tmp_path: Path) -> None:
    work_dir = WorkDir(tmp_path)
    with work_dir.run("train", tmp_path / "trials" / "0", track=False) as run:
        assert run.is_dir()
    assert work_dir.latest("train") is None


def test_a_run_that_stopped_says_why(tmp_path: Path) -> None:
    work_dir = WorkDir(tmp_path)
    with work_dir.run("train") as good:
        pass
    assert WorkDir.stopped(good) is None
    with pytest.raises(DataError), work_dir.run("train") as bad:
        raise DataError("broken image a.png")
    assert WorkDir.stopped(bad) == "DataError: broken image a.png"
