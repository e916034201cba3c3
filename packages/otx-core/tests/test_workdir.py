"""Run folders and the ``.latest/<command>`` pointer."""

import os
from pathlib import Path

from otx.engine.workdir import WorkDir


def test_new_run_creates_a_folder_and_points_latest_at_it(tmp_path: Path) -> None:
    work_dir = WorkDir(tmp_path / "ws")
    assert work_dir.latest("train") is None
    run = work_dir.new_run("train")
    assert run.is_dir()
    assert run.parent == tmp_path / "ws"
    assert run.name.endswith("_train")
    link = tmp_path / "ws" / ".latest" / "train"
    assert link.is_symlink()
    assert not os.path.isabs(os.readlink(link))  # relative: the work dir can be moved
    assert work_dir.latest("train") == run.resolve()


def test_runs_in_the_same_second_get_distinct_folders(tmp_path: Path) -> None:
    work_dir = WorkDir(tmp_path)
    runs = [work_dir.new_run("train") for _ in range(3)]
    assert len({run.name for run in runs}) == 3
    assert work_dir.latest("train") == runs[-1].resolve()


def test_latest_is_tracked_per_command(tmp_path: Path) -> None:
    work_dir = WorkDir(tmp_path)
    train = work_dir.new_run("train")
    test = work_dir.new_run("test")
    assert work_dir.latest("train") == train.resolve()
    assert work_dir.latest("test") == test.resolve()
    assert work_dir.latest("predict") is None
    assert not list((tmp_path / ".latest").glob(".*.tmp"))


def test_latest_survives_moving_the_work_dir(tmp_path: Path) -> None:
    run = WorkDir(tmp_path / "a").new_run("train")
    (tmp_path / "a").rename(tmp_path / "b")
    assert WorkDir(tmp_path / "b").latest("train") == (tmp_path / "b" / run.name).resolve()


def test_latest_is_none_when_the_run_was_deleted(tmp_path: Path) -> None:
    work_dir = WorkDir(tmp_path)
    run = work_dir.new_run("train")
    run.rmdir()
    assert work_dir.latest("train") is None
