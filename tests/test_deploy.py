"""The deploy path's errors: an IR without its weights, corrupt files, no calibration data, an uninstalled task.

Export, IR test, Model API parity, INT8 and benchmark are checked per task in each package's ``test_e2e.py``.
"""

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from otx.core.errors import CheckpointError, DataError
from otx.engine import Engine

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, shapes_root: Path, small: dict[str, Any]) -> dict[str, Any]:
    """A work dir with a 3-epoch training run and its export; the dataset is a private copy."""
    base = tmp_path_factory.mktemp("deploy")
    data = shutil.copytree(shapes_root, base / "shapes")
    work_dir = base / "ws"
    engine = Engine(data_root=data, work_dir=work_dir, overrides=small)
    engine.train(max_epochs=3)
    exported = Engine(work_dir=work_dir).export()
    return {"work_dir": work_dir, "data": data, "exported": exported}


def test_ir_without_its_bin_is_a_clear_error(trained: dict[str, Any], tmp_path: Path) -> None:
    xml = shutil.copy(trained["exported"]["OpenVINO IR FP32"], tmp_path / "model.xml")
    with pytest.raises(CheckpointError, match=r"model\.bin, which is missing"):
        Engine(work_dir=trained["work_dir"]).test(checkpoint=xml)


def test_corrupt_files_and_wrong_inputs_are_clear_errors(
    trained: dict[str, Any], tmp_path: Path, otx: Callable[..., Any]
) -> None:
    corrupt = tmp_path / "broken.ckpt"
    corrupt.write_bytes(b"not a checkpoint")
    result = otx("export", "--checkpoint", corrupt, "--work_dir", trained["work_dir"])
    assert result.code == 2
    assert "broken.ckpt" in result.error_line
    bad_xml = tmp_path / "bad.xml"
    bad_xml.write_text("<net>")
    bad_xml.with_suffix(".bin").write_bytes(b"")
    result = otx("test", "--checkpoint", bad_xml, "--work_dir", trained["work_dir"])
    assert result.code == 2
    assert "bad.xml" in result.error_line
    with pytest.raises(CheckpointError, match="takes a .ckpt training checkpoint, not the exported"):
        Engine(work_dir=trained["work_dir"]).export(checkpoint=trained["exported"]["OpenVINO IR FP32"])


def test_optimize_without_calibration_data_names_the_missing_folder(
    tmp_path: Path, shapes_root: Path, small: dict[str, Any]
) -> None:
    data = shutil.copytree(shapes_root, tmp_path / "gone")
    work_dir = tmp_path / "ws"
    Engine(data_root=data, work_dir=work_dir, overrides=small).train(max_epochs=1)
    Engine(work_dir=work_dir).export(formats=("openvino",))
    shutil.rmtree(data)
    with pytest.raises(DataError, match="optimize needs the dataset, and .*gone.* is not there: pass --data_root"):
        Engine(work_dir=work_dir).optimize()


def test_exporting_a_checkpoint_of_an_uninstalled_task_names_its_package(
    trained: dict[str, Any], tmp_path: Path, otx: Callable[..., Any], hide_task_packages: Callable[..., None]
) -> None:
    import torch

    hide_task_packages("otx-detection")
    best = trained["work_dir"] / ".latest" / "train" / "checkpoints" / "best.ckpt"
    data = torch.load(best, weights_only=True)
    data["otx"]["config"]["task"] = "DETECTION"
    foreign = tmp_path / "detector.ckpt"
    torch.save(data, foreign)
    result = otx("export", "--checkpoint", foreign, "--work_dir", tmp_path / "ws")
    assert result.code == 2
    assert "otx-detection" in result.error_line
