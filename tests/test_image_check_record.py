"""A training run keeps its image checks in the work dir; planning writes nothing; the next run reuses them."""

import json
import logging
from pathlib import Path

import pytest

from otx.engine import Engine


def test_a_second_run_reuses_the_first_runs_image_checks(
    tmp_path: Path, shapes_root: Path, small: dict[str, object], caplog: pytest.LogCaptureFixture
) -> None:
    work = tmp_path / "ws"
    record = work / ".cache" / "image_checks.json"
    first = Engine(data_root=shapes_root, work_dir=work, overrides=small)
    assert first.config is not None
    assert not work.exists()  # planning imports and checks, but writes nothing
    first.train(max_epochs=1)
    images = json.loads(record.read_text(encoding="utf-8"))["images"]
    assert len(images) == len(list(shapes_root.rglob("*.png"))) > 0
    with caplog.at_level(logging.INFO, logger="otx.core.data.image_checks"):
        assert Engine(data_root=shapes_root, work_dir=work, overrides=small).config is not None
    assert f"Image checks: {len(images)} of {len(images)} images unchanged since an earlier run" in caplog.text
