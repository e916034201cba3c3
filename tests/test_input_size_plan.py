"""Auto-configuration picks the input size from the data; ``--set data.input_size`` wins; ``--config`` replays it."""

from pathlib import Path

import pytest
from PIL import Image

from otx.engine import Engine
from otx.engine.plan import Command

pytestmark = pytest.mark.e2e

OVERRIDES = {"data.batch_size": 4, "data.num_workers": 0}


@pytest.fixture(scope="module")
def tiny_images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Class folders of 8x8 images."""
    root = tmp_path_factory.mktemp("tiny") / "digits"
    for label, value in (("dark", 30), ("light", 220)):
        (root / label).mkdir(parents=True)
        for i in range(6):
            Image.new("L", (8, 8), value + i).save(root / label / f"{i}.png")
    return root


def test_small_images_train_at_a_small_size_and_the_choice_is_printed(tiny_images: Path, tmp_path: Path) -> None:
    plan = Engine(data_root=tiny_images, work_dir=tmp_path, overrides=OVERRIDES).plan(Command.TRAIN)
    assert plan.config.data.input_size == (64, 64)  # the default classifier's smallest size
    line = next(c for c in plan.choices if c.startswith("input:"))
    assert "from the data: images 8x8" in line
    assert "recipe 128x128" in line


def test_a_given_input_size_wins(tiny_images: Path, tmp_path: Path) -> None:
    overrides = {**OVERRIDES, "data.input_size": [96, 96]}
    plan = Engine(data_root=tiny_images, work_dir=tmp_path, overrides=overrides).plan(Command.TRAIN)
    assert plan.config.data.input_size == (96, 96)
    assert any(c.startswith("input:  96x96") and c.endswith("(given)") for c in plan.choices)


def test_the_chosen_size_is_recorded_and_replayed(tiny_images: Path, tmp_path: Path) -> None:
    engine = Engine(data_root=tiny_images, work_dir=tmp_path / "ws", overrides=OVERRIDES)
    engine.train(max_epochs=1)
    run = tmp_path / "ws" / ".latest" / "train"
    assert "input_size:\n  - 64\n  - 64" in (run / "config.yaml").read_text()
    replayed = Engine.from_config(run, work_dir=tmp_path / "ws").plan(Command.TRAIN)
    assert replayed.config.data.input_size == (64, 64)
    assert not any(c.startswith("input:") and "from the data" in c for c in replayed.choices)
