"""``trainer.profiler=simple``: Lightning's simple profiler times the training steps and writes its table
into the run folder; a value other than ``none``/``simple`` is refused naming the key."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

from lightning.pytorch.callbacks import Callback


class RecordedActions(Callback):
    """The profiler's recorded action names and counts at the end of the fit."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}

    def on_fit_end(self, trainer: Any, pl_module: Any) -> None:
        self.counts = {name: len(values) for name, values in trainer.profiler.recorded_durations.items()}


def test_the_profiler_times_each_training_step(tmp_path: Path, shapes_root: Path, small: dict[str, object]) -> None:
    from otx.engine import Engine

    recorded = RecordedActions()
    engine = Engine(data_root=shapes_root, work_dir=tmp_path, overrides={**small, "trainer.profiler": "simple"})
    engine.train(max_epochs=2, callbacks=[recorded])
    batches = recorded.counts["run_training_batch"]
    assert batches >= 2
    steps = [name for name in recorded.counts if name.endswith("Strategy.training_step")]
    assert steps and recorded.counts[steps[0]] == batches
    profile = (tmp_path / ".latest" / "train" / "fit-profile.txt").read_text()
    assert "run_training_batch" in profile
    assert "train_dataloader_next" in profile


def test_no_profile_by_default(tmp_path: Path, shapes_root: Path, small: dict[str, object]) -> None:
    from otx.engine import Engine

    Engine(data_root=shapes_root, work_dir=tmp_path, overrides=small).train(max_epochs=1)
    assert not list((tmp_path / ".latest" / "train").glob("*profile*"))


def test_an_unknown_profiler_is_refused(
    otx: Callable[..., Any], tmp_path: Path, shapes_root: Path, small_args: list[str]
) -> None:
    result = otx(
        "train", "--data_root", shapes_root, "--work_dir", tmp_path, "--set", "trainer.profiler=advanced", *small_args
    )
    assert result.code != 0
    assert "trainer.profiler" in result.err
