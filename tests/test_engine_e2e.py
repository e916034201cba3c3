"""End to end through ``Engine``: train, the run folder, test, predict, replay, resume."""

import csv
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from otx.classification.entities import MulticlassClsBatchPredEntity
from otx.core.config.recipe import RunConfig
from otx.core.config.structure import load_yaml, structure
from otx.core.errors import DataError
from otx.engine import Engine
from otx.engine.checkpoint import read_checkpoint


@pytest.fixture(scope="module")
def trained(
    tmp_path_factory: pytest.TempPathFactory, shapes_root: Path, small: dict
) -> tuple[Path, Path, dict[str, float]]:
    """One 1-epoch run on the shapes dataset: (work dir, run folder, returned metrics)."""
    work_dir = tmp_path_factory.mktemp("ws")
    metrics = Engine(data_root=shapes_root, work_dir=work_dir, overrides=small).train(max_epochs=1)
    run = work_dir / ".latest" / "train"
    return work_dir, run.resolve(), metrics


pytestmark = pytest.mark.e2e


def test_train_writes_the_run_folder(trained: tuple[Path, Path, dict[str, float]], classes: tuple[str, ...]) -> None:
    work_dir, run, metrics = trained
    assert run.parent == work_dir.resolve()
    assert run.name.endswith("_train")
    assert (work_dir / ".latest" / "train").is_symlink()
    for name in ("config.yaml", "checkpoints/best.ckpt", "checkpoints/last.ckpt", "logs/metrics.csv", "metrics.json"):
        assert (run / name).is_file(), name
    saved = json.loads((run / "metrics.json").read_text())
    assert 0.0 <= saved["val/accuracy"] <= 1.0
    assert saved["val/accuracy"] == pytest.approx(metrics["val/accuracy"])
    assert saved["epochs"] == 1
    assert saved["train_seconds"] > 0
    assert {f"val/per_class_accuracy_{name}" for name in classes} <= set(saved)
    with (run / "logs" / "metrics.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert rows
    assert "val/accuracy" in rows[0]


def test_config_yaml_records_the_choices(
    trained: tuple[Path, Path, dict[str, float]], shapes_root: Path, classes: tuple[str, ...]
) -> None:
    _, run, _ = trained
    config = structure(load_yaml(run / "config.yaml"), RunConfig)
    assert config.label_names == tuple(classes)
    assert config.task == "MULTI_CLASS_CLS"
    assert config.data_format == "image_folders"
    assert Path(config.data_root or "") == shapes_root.resolve()
    assert config.model.name == "tiny_resnet"
    assert config.data.input_size == (32, 32)
    assert config.data.batch_size == 4
    assert config.trainer.max_epochs == 1
    assert config.seed == 0


def test_checkpoints_are_self_contained(trained: tuple[Path, Path, dict[str, float]], classes: tuple[str, ...]) -> None:
    _, run, _ = trained
    for name in ("best.ckpt", "last.ckpt"):
        resolved = read_checkpoint(run / "checkpoints" / name)
        assert resolved.config.label_names == tuple(classes)
        assert resolved.config.data.input_size == (32, 32)
        assert any(key.startswith("model.") for key in resolved.state_dict)


def test_test_uses_the_latest_best_checkpoint(trained: tuple[Path, Path, dict[str, float]]) -> None:
    work_dir, _, _ = trained
    metrics = Engine(work_dir=work_dir).test()
    assert 0.0 <= metrics["test/accuracy"] <= 1.0
    test_run = (work_dir / ".latest" / "test").resolve()
    assert test_run.name.endswith("_test")
    assert json.loads((test_run / "metrics.json").read_text())["test/accuracy"] == pytest.approx(
        metrics["test/accuracy"]
    )


def test_predict_writes_predictions_csv(trained: tuple[Path, Path, dict[str, float]], classes: tuple[str, ...]) -> None:
    work_dir, run, _ = trained
    preds = Engine(work_dir=work_dir).predict()
    assert preds
    assert all(isinstance(p, MulticlassClsBatchPredEntity) for p in preds)
    predict_run = (work_dir / ".latest" / "predict").resolve()
    with (predict_run / "predictions.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == sum(len(p.imgs_info) for p in preds) == 4  # the held-out 20% of 24 images
    for row in rows:
        assert Path(row["path"]).is_file()
        assert row["label"] in classes
        assert 0.0 <= float(row["score"]) <= 1.0
    assert predict_run != run


def test_test_on_another_folder_with_the_same_classes(
    trained: tuple[Path, Path, dict[str, float]], tmp_path: Path, shapes_maker: Callable[..., Path]
) -> None:
    work_dir, _, _ = trained
    other = shapes_maker(tmp_path / "other", per_class=3, seed=5)
    metrics = Engine(data_root=other, work_dir=work_dir).test()
    assert 0.0 <= metrics["test/accuracy"] <= 1.0
    foreign = shapes_maker(tmp_path / "foreign", per_class=3, classes=("circle", "triangle"))
    with pytest.raises(DataError, match="triangle"):
        Engine(data_root=foreign, work_dir=work_dir).test()


def test_replay_from_the_run_folder(trained: tuple[Path, Path, dict[str, float]], tmp_path: Path) -> None:
    _, run, _ = trained
    metrics = Engine.from_config(run, work_dir=tmp_path / "replay").train()
    assert "val/accuracy" in metrics
    replay = (tmp_path / "replay" / ".latest" / "train").resolve()
    assert load_yaml(replay / "config.yaml") == load_yaml(run / "config.yaml")


def test_resume_continues_the_latest_run(tmp_path: Path, shapes_root: Path, small: dict) -> None:
    work_dir = tmp_path / "ws"
    Engine(data_root=shapes_root, work_dir=work_dir, overrides=small).train(max_epochs=1)
    run = (work_dir / ".latest" / "train").resolve()
    epoch_before = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["epoch"]
    step_before = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)["global_step"]

    metrics = Engine(work_dir=work_dir).train(max_epochs=2, resume=True)

    assert (work_dir / ".latest" / "train").resolve() == run  # the same run, not a new one
    assert len([p for p in work_dir.iterdir() if p.name.endswith("_train")]) == 1
    assert json.loads((run / "metrics.json").read_text())["epochs"] == 2
    last = torch.load(run / "checkpoints" / "last.ckpt", weights_only=True)
    assert last["epoch"] > epoch_before
    assert last["global_step"] > step_before
    assert structure(load_yaml(run / "config.yaml"), RunConfig).trainer.max_epochs == 2
    assert "val/accuracy" in metrics
    # the earlier epochs stay in the logs, and epoch 0 was not trained (validated) a second time
    validated: Counter[int] = Counter()
    for log in run.glob("logs*/metrics.csv"):
        with log.open() as file:
            validated.update(int(row["epoch"]) for row in csv.DictReader(file) if row.get("val/accuracy"))
    assert validated[0] == 1
    assert validated[1] >= 1


def test_resume_without_a_run_is_an_error(tmp_path: Path) -> None:
    from otx.core.errors import CheckpointError

    with pytest.raises(CheckpointError, match="Nothing to resume"):
        Engine(work_dir=tmp_path).train(resume=True)


def test_timm_model_by_name(tmp_path: Path, shapes_root: Path, small: dict) -> None:
    engine = Engine.from_model_name("timm_mobilenetv3_small", shapes_root, work_dir=tmp_path, overrides=small)
    assert engine.config is not None
    assert engine.config.model.class_path.endswith("TimmClassifier")
    metrics = engine.train(max_epochs=1)
    assert 0.0 <= metrics["val/accuracy"] <= 1.0
    assert read_checkpoint(tmp_path / ".latest" / "train" / "checkpoints" / "best.ckpt").config.model.name == (
        "timm_mobilenetv3_small"
    )


def test_auto_configuration_of_datumaro_json(tmp_path: Path, small: dict) -> None:
    import datumaro as dm
    import numpy as np
    from datumaro.components.annotation import Label
    from datumaro.components.media import Image as DmImage

    items = [
        dm.DatasetItem(
            id=f"i{i}", media=DmImage.from_numpy(np.full((8, 8, 3), i, np.uint8)), annotations=[Label(i % 2)]
        )
        for i in range(6)
    ]
    dm.Dataset.from_iterable(items, categories=["a", "b"]).export(str(tmp_path / "dm"), "datumaro", save_media=True)
    engine = Engine(data_root=tmp_path / "dm", work_dir=tmp_path / "ws", overrides=small)
    assert engine.config is not None
    assert engine.config.data_format == "datumaro"
    assert engine.config.task == "MULTI_CLASS_CLS"
    assert engine.config.model.name == "tiny_resnet"
    assert not (tmp_path / "ws").exists()  # nothing is written before a command runs
