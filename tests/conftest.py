"""Fixtures of the cross-package and end-to-end tests: a tiny, learnable dataset and a CLI runner."""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

torch.set_num_threads(1)

CLASSES = ("circle", "square")
SMALL = {"data.input_size": [32, 32], "data.batch_size": 4, "data.num_workers": 0}
"""Engine overrides that keep a run to about a second on one CPU thread."""
SMALL_ARGS = ["--set", "data.input_size=[32,32]", "--set", "data.batch_size=4", "--set", "data.num_workers=0"]
"""The same as ``otx train`` flags."""


def shape_image(kind: str, rng: np.random.Generator, size: int = 32) -> Image.Image:
    """A red disc or a blue square at a random place on a dark noisy background."""
    image = Image.fromarray(rng.integers(0, 80, (size, size, 3), dtype=np.uint8))
    centre = rng.integers(size // 3, 2 * size // 3, 2)
    radius = int(rng.integers(size // 5, size // 3))
    box = [int(centre[0]) - radius, int(centre[1]) - radius, int(centre[0]) + radius, int(centre[1]) + radius]
    draw = ImageDraw.Draw(image)
    if kind == "circle":
        draw.ellipse(box, fill=(230, 40, 40))
    else:
        draw.rectangle(box, fill=(40, 40, 230))
    return image


def make_shapes(root: Path, per_class: int = 12, classes: tuple[str, ...] = CLASSES, seed: int = 0) -> Path:
    """``root/<class>/*.png``: ``per_class`` 32x32 images of each class."""
    rng = np.random.default_rng(seed)
    for kind in classes:
        (root / kind).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            shape_image(kind if kind in CLASSES else CLASSES[i % 2], rng).save(root / kind / f"{kind}_{i:02d}.png")
    return root


@pytest.fixture(scope="session")
def shapes_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A shared, read-only flat class-folder dataset (12 images per class)."""
    return make_shapes(tmp_path_factory.mktemp("data") / "shapes")


@pytest.fixture
def shapes_maker() -> Callable[..., Path]:
    return make_shapes


@pytest.fixture(scope="session")
def classes() -> tuple[str, ...]:
    """The class names of the shapes datasets, in label order."""
    return CLASSES


@pytest.fixture(scope="session")
def small() -> dict[str, object]:
    """Engine overrides that keep a run to about a second on one CPU thread."""
    return dict(SMALL)


@pytest.fixture(scope="session")
def small_args() -> list[str]:
    """``otx train`` flags that keep a run to about a second on one CPU thread."""
    return list(SMALL_ARGS)


class CliResult:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    @property
    def error_line(self) -> str:
        """The one error line; fails the test unless stderr is exactly one ``otx: error:`` line."""
        lines = [line for line in self.err.splitlines() if line.strip()]
        assert len(lines) == 1, f"expected one line on stderr, got: {self.err!r}"
        assert lines[0].startswith("otx: error:"), lines[0]
        return lines[0]


@pytest.fixture
def otx(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``otx`` in-process: ``otx("train", "--data_root", ...)`` -> exit code, stdout, stderr."""
    from otx.cli.main import main

    def run(*argv: str | Path) -> CliResult:
        capsys.readouterr()
        try:
            main([str(a) for a in argv])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
