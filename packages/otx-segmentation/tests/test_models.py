"""Models of every recipe, the task half (loss, predictions, export graph, drawing) and the metrics."""

import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F  # noqa: N812

from otx.core.config.recipe import RunConfig
from otx.core.config.structure import load_yaml, structure
from otx.core.data.entity import ImageInfo, OTXBatchLossEntity
from otx.core.errors import ConfigError
from otx.core.export.runtime import openvino_core
from otx.core.plugin import find_task, import_object
from otx.core.types.label import LabelInfo
from otx.core.types.task import OTXTaskType
from otx.segmentation.entities import IGNORE_INDEX, SegBatchDataEntity, SegBatchPredEntity
from otx.segmentation.metrics import segmentation_metrics
from otx.segmentation.models.base import OTXSegmentationModel
from otx.segmentation.models.tiny_seg import TinySeg, TinySegModel

LABELS = LabelInfo.from_names(["background", "object", "other"])
RECIPES = find_task(OTXTaskType.SEMANTIC_SEGMENTATION).recipe_paths()


def _model(recipe: Path) -> OTXSegmentationModel:
    config = structure({"task": "SEMANTIC_SEGMENTATION", **load_yaml(recipe)}, RunConfig)
    model_cls = import_object(config.model.class_path)
    try:
        model: OTXSegmentationModel = model_cls(label_info=LABELS, **config.model.init_args)
    except ConfigError as exc:  # a model of an optional extra (docs/mm-extras.md) that is not installed
        if "install the extra" in str(exc):
            pytest.skip(str(exc))
        raise
    return model


def _batch(size: int = 32, batch_size: int = 2) -> SegBatchDataEntity:
    masks = torch.randint(0, 3, (batch_size, size, size))
    masks[:, :4] = IGNORE_INDEX
    infos = [ImageInfo(index=i, path=None, ori_shape=(size, size), img_shape=(size, size)) for i in range(batch_size)]
    return SegBatchDataEntity(images=torch.randn(batch_size, 3, size, size), imgs_info=infos, masks=masks)


def test_the_default_model_has_a_recipe() -> None:
    assert find_task(OTXTaskType.SEMANTIC_SEGMENTATION).default_model in RECIPES
    assert {"tiny_seg", "lraspp_mobilenetv3", "deeplabv3_mobilenetv3"} <= set(RECIPES)


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_every_recipe_trains_and_predicts_per_pixel(name: str) -> None:
    model = _model(RECIPES[name])
    batch = _batch()
    model.train()
    losses = model(batch)
    assert isinstance(losses, OTXBatchLossEntity)
    assert torch.isfinite(losses.total)
    losses.total.backward()
    model.eval()
    with torch.no_grad():
        preds = model(batch)
    assert isinstance(preds, SegBatchPredEntity)
    assert preds.labels.shape == preds.scores.shape == (2, 32, 32)
    assert preds.probabilities is not None
    assert preds.probabilities.shape == (2, 3, 32, 32)
    torch.testing.assert_close(preds.probabilities.sum(dim=1), torch.ones(2, 32, 32))
    with torch.no_grad():
        exported = model.export_module()(batch.images)
    torch.testing.assert_close(exported, preds.probabilities)


def test_loss_is_cross_entropy_over_labelled_pixels_only() -> None:
    model = TinySegModel(label_info=LABELS).train()
    batch = _batch()
    logits = F.interpolate(model.model(batch.images), size=(32, 32), mode="bilinear", align_corners=False)
    loss = model.customize_outputs(logits, batch)
    assert isinstance(loss, OTXBatchLossEntity)
    valid = batch.masks != IGNORE_INDEX
    expected = F.cross_entropy(logits.permute(0, 2, 3, 1)[valid], batch.masks[valid])
    torch.testing.assert_close(loss.total, expected)
    batch.masks[:] = IGNORE_INDEX
    empty = model.customize_outputs(logits, batch)
    assert isinstance(empty, OTXBatchLossEntity)
    assert empty.total.item() == 0.0


def test_tiny_seg_gives_logits_at_its_decoder_stride_and_checks_its_arguments() -> None:
    assert TinySeg(4)(torch.zeros(1, 3, 64, 96)).shape == (1, 4, 16, 24)
    assert TinySeg(4, decoder_stride=2)(torch.zeros(1, 3, 64, 96)).shape == (1, 4, 32, 48)
    with pytest.raises(ValueError, match="decoder_stride must be 2 or 4"):
        TinySeg(2, decoder_stride=8)
    with pytest.raises(ValueError, match="4 stages"):
        TinySeg(2, widths=(8, 16))


def test_metrics_skip_ignored_pixels_and_classes_seen_nowhere() -> None:
    metric = segmentation_metrics(3)
    target = torch.tensor([[0, 0, 1, 1, IGNORE_INDEX, IGNORE_INDEX]])
    preds = torch.tensor([[0, 1, 1, 1, 1, 0]])
    metric.update(preds, target)
    values = metric.compute()
    # class 0: 1 hit, 2 true, 1 predicted -> IoU 1/2, Dice 2/3; class 1: 2 hits, 2 true, 3 predicted -> 2/3, 4/5
    torch.testing.assert_close(values["iou"][:2], torch.tensor([0.5, 2 / 3]))
    assert math.isnan(values["iou"][2].item())  # class 2 is in neither: left out of the means
    assert values["mIoU"].item() == pytest.approx((0.5 + 2 / 3) / 2)
    assert values["dice"].item() == pytest.approx((2 / 3 + 4 / 5) / 2)
    assert values["pixel_accuracy"].item() == pytest.approx(3 / 4)


def test_per_class_iou_is_reported_under_each_label_name() -> None:
    model = TinySegModel(label_info=LABELS)
    model.val_metric.update(torch.tensor([[0, 1, 2]]), torch.tensor([[0, 1, 1]]))
    values = model.metric_values(model.val_metric)
    assert {"mIoU", "dice", "pixel_accuracy", "iou_background", "iou_object", "iou_other"} == set(values)
    assert model.monitor == "val/mIoU"


def test_prediction_rows_and_drawing_leave_background_undrawn() -> None:
    model = TinySegModel(label_info=LABELS)
    labels = torch.zeros(1, 4, 4, dtype=torch.long)
    labels[0, :2, :2] = 1
    info = ImageInfo(index=7, path="a.png", ori_shape=(8, 8), img_shape=(4, 4))
    preds = SegBatchPredEntity(imgs_info=[info], scores=torch.full((1, 4, 4), 0.9), labels=labels)
    row = {"path": "a.png", "classes": "background:0.750 object:0.250", "score": "0.9000"}
    assert model.prediction_rows(preds) == [row]
    image = torch.zeros(3, 8, 8, dtype=torch.uint8)
    drawn = model.draw_prediction(image, preds, 0)
    assert drawn.shape == (3, 8, 8)
    changed = drawn.sum(dim=0) > 0
    assert changed[:4, :4].all()  # the object, scaled to the original size
    assert not changed[4:, :].any() and not changed[:, 4:].any()


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_every_recipe_exports_to_an_ir_that_predicts_as_the_torch_model(name: str, tmp_path: Path) -> None:

    from otx.core.export.deployed import OpenVINOModule
    from otx.core.export.ir import save_ir, to_openvino

    recipe = load_yaml(RECIPES[name])
    recipe["data"] = {**recipe.get("data", {}), "input_size": [32, 32]}
    config = structure({"task": "SEMANTIC_SEGMENTATION", "label_names": list(LABELS.label_names), **recipe}, RunConfig)
    model = _model(RECIPES[name]).eval()
    xml = save_ir(to_openvino(model, config), tmp_path / "model.xml", fp16=False)
    assert openvino_core().read_model(str(xml)).get_rt_info(["model_info", "model_type"]).astype(str) == "Segmentation"
    batch = _batch()
    with torch.no_grad():
        expected = model(batch)
    model.use_deployed(OpenVINOModule(xml))
    deployed = model(batch)
    assert isinstance(expected, SegBatchPredEntity) and isinstance(deployed, SegBatchPredEntity)
    torch.testing.assert_close(deployed.probabilities, expected.probabilities, atol=1e-4, rtol=1e-3)
    assert torch.equal(deployed.labels, expected.labels)
