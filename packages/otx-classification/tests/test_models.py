"""Both classifiers: training mode gives losses, eval mode gives predictions; recipes build them."""

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from otx.classification.entities import MulticlassClsBatchDataEntity, MulticlassClsBatchPredEntity
from otx.classification.models.base import OTXMulticlassClsModel
from otx.classification.models.timm_classifier import TimmClassifier
from otx.classification.models.tiny_resnet import TinyResNet, TinyResNetClassifier
from otx.classification.plugin import PLUGIN
from otx.core.config.recipe import RunConfig
from otx.core.config.structure import load_yaml, structure
from otx.core.data.entity import ImageInfo, OTXBatchLossEntity
from otx.core.model.base import OTXModel
from otx.core.plugin import import_object, installed_plugins
from otx.core.types.label import LabelInfo
from otx.core.types.task import OTXTaskType

LABELS = LabelInfo.from_names(["blue", "red", "green"])


def _batch(size: int = 4, height: int = 32, width: int = 32) -> MulticlassClsBatchDataEntity:
    torch.manual_seed(0)
    infos = [ImageInfo(index=i, path=None, ori_shape=(height, width), img_shape=(height, width)) for i in range(size)]
    labels = torch.arange(size) % LABELS.num_classes
    return MulticlassClsBatchDataEntity(images=torch.randn(size, 3, height, width), imgs_info=infos, labels=labels)


def _tiny_resnet() -> TinyResNetClassifier:
    return TinyResNetClassifier(label_info=LABELS, widths=(8, 16, 16, 32), depths=(1, 1, 1, 1))


def _timm() -> TimmClassifier:
    return TimmClassifier(label_info=LABELS, model_name="mobilenetv3_small_100", drop_rate=0.0)


MODELS = {"tiny_resnet": _tiny_resnet, "timm_mobilenetv3_small": _timm}


@pytest.fixture(params=list(MODELS), scope="module")
def model(request: pytest.FixtureRequest) -> OTXMulticlassClsModel:
    return MODELS[request.param]()


def test_train_mode_returns_losses(model: OTXMulticlassClsModel) -> None:
    model.train()
    output = model(_batch())
    assert isinstance(output, OTXBatchLossEntity)
    assert set(output.losses) == {"cross_entropy"}
    total = output.total
    assert total.ndim == 0
    assert torch.isfinite(total)
    assert total.requires_grad
    total.backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())
    model.zero_grad()


def test_eval_mode_returns_predictions(model: OTXMulticlassClsModel) -> None:
    model.eval()
    batch = _batch(size=5)
    with torch.no_grad():
        preds = model(batch)
    assert isinstance(preds, MulticlassClsBatchPredEntity)
    assert preds.scores.shape == (5, LABELS.num_classes)
    assert preds.labels.shape == (5,)
    assert torch.allclose(preds.scores.sum(dim=1), torch.ones(5), atol=1e-5)
    assert torch.equal(preds.labels, preds.scores.argmax(dim=1))
    assert preds.imgs_info is batch.imgs_info
    predicted, target = model.metric_inputs(preds, batch)
    assert torch.equal(predicted, preds.labels)
    assert torch.equal(target, batch.labels)


def test_predict_batch_refuses_losses(model: OTXMulticlassClsModel) -> None:
    model.train()
    with pytest.raises(TypeError):
        model.predict_batch(_batch())
    model.eval()


def test_odd_input_sizes_work(model: OTXMulticlassClsModel) -> None:
    model.eval()
    with torch.no_grad():
        preds = model(_batch(size=2, height=33, width=47))
    assert preds.scores.shape == (2, 3)


def test_timm_customize_outputs_keeps_the_class_logits_of_tuples() -> None:
    model = _timm()
    batch = _batch(size=3)
    logits = torch.tensor([[5.0, 0.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.0, 5.0]])
    distilled = torch.tensor([[0.0, 0.0, 9.0]] * 3)
    model.eval()
    preds = model.customize_outputs((logits, distilled), batch)
    assert isinstance(preds, MulticlassClsBatchPredEntity)
    assert preds.labels.tolist() == [0, 1, 2]
    assert torch.allclose(preds.scores, logits.softmax(dim=1))
    model.train()
    losses = model.customize_outputs((logits, distilled), batch)
    assert isinstance(losses, OTXBatchLossEntity)
    expected = F.cross_entropy(logits, batch.labels, label_smoothing=model.label_smoothing)
    assert torch.allclose(losses.total, expected)
    assert torch.allclose(model.customize_outputs(logits, batch).total, expected)


def test_timm_input_is_the_image_tensor() -> None:
    batch = _batch(size=2)
    inputs = _timm().customize_inputs(batch)
    assert set(inputs) == {"x"}
    assert inputs["x"] is batch.images


def test_tiny_resnet_module() -> None:
    net = TinyResNet(num_classes=7)
    assert net(torch.zeros(2, 3, 32, 32)).shape == (2, 7)
    net = TinyResNet(num_classes=2, widths=(4, 4, 8, 8), depths=(2, 1, 1, 2))
    assert len(net.features) == 1 + 2 + 1 + 1 + 2  # stem, then depth blocks per stage
    assert net(torch.zeros(2, 3, 20, 28)).shape == (2, 2)


def test_label_smoothing_is_used() -> None:
    sharp = TinyResNetClassifier(label_info=LABELS, widths=(8, 8, 8, 8), label_smoothing=0.0)
    smooth = TinyResNetClassifier(label_info=LABELS, widths=(8, 8, 8, 8), label_smoothing=0.5)
    logits = torch.tensor([[10.0, 0.0, 0.0]])
    batch = _batch(size=1)
    sharp.train()
    smooth.train()
    assert sharp.customize_outputs(logits, batch).total < smooth.customize_outputs(logits, batch).total


def test_metrics_are_accuracy_f1_and_per_class() -> None:
    model = _tiny_resnet()
    metric = model.create_metric()
    metric.update(torch.tensor([0, 1, 2, 2]), torch.tensor([0, 1, 2, 1]))
    values = metric.compute()
    assert values["accuracy"].item() == pytest.approx(0.75)
    assert values["per_class_accuracy"].tolist() == pytest.approx([1.0, 0.5, 1.0])
    assert "f1" in values
    assert model.monitor == "val/accuracy"


def test_plugin_spec() -> None:
    specs = {spec.task: spec for spec in PLUGIN.tasks}
    assert {p.distribution for p in installed_plugins() if p.tasks == PLUGIN.tasks} == {"otx-classification"}
    assert set(specs) == {OTXTaskType.MULTI_CLASS_CLS, OTXTaskType.MULTI_LABEL_CLS, OTXTaskType.H_LABEL_CLS}
    assert {"image_folders", "image_folders_with_subsets", "datumaro"} <= set(
        specs[OTXTaskType.MULTI_CLASS_CLS].formats
    )
    assert {"datumaro_multilabel", "label_csv", "voc"} <= set(specs[OTXTaskType.MULTI_LABEL_CLS].formats)
    assert specs[OTXTaskType.H_LABEL_CLS].default_for_formats == ("datumaro_hlabel",)
    adapters = {task: import_object(spec.dataset_adapter).__name__ for task, spec in specs.items()}
    assert adapters[OTXTaskType.MULTI_CLASS_CLS] == "MulticlassClsAdapter"
    assert adapters[OTXTaskType.MULTI_LABEL_CLS] == "MultilabelClsAdapter"
    assert adapters[OTXTaskType.H_LABEL_CLS] == "HlabelClsAdapter"
    for spec in specs.values():
        assert set(spec.recipe_paths()) >= {"tiny_resnet", "timm_mobilenetv3_small"}
        assert spec.default_model == "tiny_resnet"


RECIPES = [(spec.task, name) for spec in PLUGIN.tasks for name in sorted(spec.recipe_paths())]


@pytest.mark.parametrize(("task", "name"), RECIPES)
def test_every_recipe_parses_and_builds_its_model(task: OTXTaskType, name: str) -> None:
    path: Path = next(spec for spec in PLUGIN.tasks if spec.task == task).recipe_paths()[name]
    config = structure({"task": task.value, **load_yaml(path)}, RunConfig)
    assert config.model.name == name
    assert config.data.train_transforms
    assert config.data.val_transforms
    model_cls = import_object(config.model.class_path)
    assert issubclass(model_cls, OTXModel)
    model = model_cls(
        label_info=LabelInfo.from_names(["a", "b"]),
        optimizer=config.optimizer,
        scheduler=config.scheduler,
        **config.model.init_args,
    )
    assert isinstance(model.model, nn.Module)
    model.eval()
    with torch.no_grad():
        preds = model(_batch(size=2))
    assert preds.scores.shape == (2, 2)


def test_pretrained_weights_from_a_local_file(tmp_path: Path) -> None:
    source = _tiny_resnet()
    with torch.no_grad():
        for parameter in source.model.features.parameters():
            parameter.fill_(0.125)
    torch.save(source.model.state_dict(), tmp_path / "weights.pth")
    other_labels = LabelInfo.from_names(["a", "b"])  # a different head: skipped
    model = TinyResNetClassifier(
        label_info=other_labels, widths=(8, 16, 16, 32), depths=(1, 1, 1, 1), pretrained=str(tmp_path / "weights.pth")
    )
    first_conv = model.model.features[0][0].weight
    assert torch.equal(first_conv, torch.full_like(first_conv, 0.125))
    assert model.model.head[-1].out_features == 2


def test_drawn_prediction_frames_the_image_in_the_label_colour() -> None:
    from otx.core.visualize import label_colors

    model = _tiny_resnet()
    scores = torch.tensor([[0.1, 0.7, 0.2]])
    preds = MulticlassClsBatchPredEntity(imgs_info=_batch(1).imgs_info, scores=scores, labels=torch.tensor([1]))
    image = torch.zeros(3, 64, 96, dtype=torch.uint8)
    drawn = model.draw_prediction(image, preds, 0)
    assert drawn.shape == image.shape
    assert drawn[:, 32, 0].tolist() == list(label_colors(LABELS.num_classes)[1])  # the frame's left edge
    assert not drawn[:, 40:50, 40:50].any()  # the middle stays untouched
