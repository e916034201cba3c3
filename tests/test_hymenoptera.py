"""One epoch on the real ants/bees photos in ``../shared/datasets/hymenoptera``, where present."""

import json
from pathlib import Path

import pytest

from otx.classification.data import MulticlassClsAdapter
from otx.core.config.recipe import RunConfig
from otx.core.config.structure import load_yaml, structure
from otx.core.data.formats import candidate_formats
from otx.core.data.image_io import read_image
from otx.core.data.module import OTXDataModule
from otx.engine import Engine

HYMENOPTERA = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "hymenoptera"
GIF = HYMENOPTERA / "train" / "ants" / "imageNotFound.gif"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not HYMENOPTERA.is_dir(), reason=f"{HYMENOPTERA} is not present"),
]


def test_format_and_the_stray_gif() -> None:
    assert candidate_formats(HYMENOPTERA) == ["image_folders_with_subsets"]
    if not GIF.is_file():
        pytest.skip("this copy of hymenoptera has no GIF")
    assert read_image(str(GIF)).shape[0] == 3


def test_one_epoch_at_a_small_input_size(tmp_path: Path) -> None:
    overrides = {"data.input_size": [32, 32], "data.batch_size": 32, "data.num_workers": 0}
    engine = Engine(data_root=HYMENOPTERA, work_dir=tmp_path, overrides=overrides)
    assert engine.config is not None
    assert engine.config.data_format == "image_folders_with_subsets"
    assert engine.config.task == "MULTI_CLASS_CLS"

    metrics = engine.train(max_epochs=1)

    assert 0.0 <= metrics["val/accuracy"] <= 1.0
    run = (tmp_path / ".latest" / "train").resolve()
    saved = json.loads((run / "metrics.json").read_text())
    assert {"val/per_class_accuracy_ants", "val/per_class_accuracy_bees"} <= set(saved)
    config = structure(load_yaml(run / "config.yaml"), RunConfig)
    assert config.label_names == ("ants", "bees")

    # the GIF among the JPEGs is read like the others (Datumaro's own ImageNet importer rejects the tree)
    datamodule = OTXDataModule(
        MulticlassClsAdapter(), HYMENOPTERA, config.data_format or "", config.data, label_names=config.label_names
    )
    assert datamodule.label_info.num_classes == 2
    assert len(datamodule.subsets["train"]) > len(datamodule.subsets["val"]) > 0
    assert all("/val/" in (s.path or "") for s in datamodule.subsets["val"])
    if GIF.is_file():
        train = datamodule.subsets["train"]
        position = next(i for i, s in enumerate(train) if s.path == str(GIF))
        entity = datamodule.dataset("train")[position]
        assert entity.image.shape == (3, 32, 32)
        assert datamodule.label_info.label_names[entity.label] == "ants"


def test_model_api_agrees_with_otx_on_the_real_validation_photos(tmp_path: Path) -> None:
    """Photos of many sizes are resized by OTX (torch) and by Model API (OpenCV) alike."""
    import numpy as np
    from model_api.models import Model
    from PIL import Image

    overrides = {"data.input_size": [64, 64], "data.batch_size": 32, "data.num_workers": 0}
    Engine(data_root=HYMENOPTERA, work_dir=tmp_path, overrides=overrides).train(max_epochs=1)
    engine = Engine(work_dir=tmp_path)
    xml = engine.export(formats=("openvino",))["OpenVINO IR FP32"]
    wrapper = Model.create_model(str(xml), preload=True)
    agree = total = 0
    for batch in engine.predict(checkpoint=xml):
        for info, label in zip(batch.imgs_info, batch.labels.tolist(), strict=True):
            bgr = np.asarray(Image.open(info.path).convert("RGB"))[..., ::-1].copy()
            agree += int(wrapper(bgr).top_labels[0].id == label)
            total += 1
    assert total == 153
    assert agree == total
