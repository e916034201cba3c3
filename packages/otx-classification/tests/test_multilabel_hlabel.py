"""Multi-label and hierarchical classification: readers, hierarchy checks, heads, metrics and thresholds.

Metric values are checked against numbers worked out by hand in the comments.
"""

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from PIL import Image

from otx.classification.data import HlabelClsAdapter, MultilabelClsAdapter
from otx.classification.entities import MultilabelClsBatchDataEntity
from otx.classification.formats.datumaro_groups import label_structure
from otx.classification.formats.label_csv import read_label_csv
from otx.classification.hierarchy import HeadLayout, check_hierarchy
from otx.classification.metrics import HlabelMetric, multilabel_metrics
from otx.classification.models.base import best_threshold_logits
from otx.classification.models.tiny_resnet import TinyResNetHlabelClassifier, TinyResNetMultilabelClassifier
from otx.core.data.entity import ImageInfo, OTXBatchLossEntity
from otx.core.data.formats import candidate_formats
from otx.core.data.module import OTXDataModule
from otx.core.errors import DataError
from otx.core.types.label import LabelGroup, LabelHierarchy, LabelInfo

CARDS = LabelHierarchy(
    groups=(
        LabelGroup(name="suit", labels=("heart", "spade")),
        LabelGroup(name="heart_rank", labels=("heart_king", "heart_queen")),
        LabelGroup(name="joker", labels=("joker",)),
    ),
    parents=(("heart_king", "heart"), ("heart_queen", "heart")),
)
CARD_NAMES = ("heart", "heart_king", "heart_queen", "spade", "joker")
LAYOUT = HeadLayout.of(LabelInfo.from_names(CARD_NAMES, CARDS))


# --- readers -------------------------------------------------------------------------------------------------


def test_datumaro_groups_name_the_task(tmp_path: Path, grouped_datumaro_writer: Callable[..., Path]) -> None:
    single = [("g_blue", ["blue"], True), ("g_red", ["red"], True)]
    multi = grouped_datumaro_writer(tmp_path / "ml", [["blue", "red"], ["red"], []], ["blue", "red"], single)
    assert label_structure(multi) == "multilabel"
    assert candidate_formats(multi) == ["datumaro_multilabel"]  # Datumaro's plain "datumaro" is superseded
    tree = grouped_datumaro_writer(
        tmp_path / "hl",
        [["blue_a"], ["red_b"]],
        ["blue", "red", "blue_a", "red_b"],
        [("top", ["blue", "red"], True), ("sub", ["blue_a", "red_b"], True)],
        {"blue_a": "blue", "red_b": "red"},
    )
    assert candidate_formats(tree) == ["datumaro_hlabel"]
    one_group = grouped_datumaro_writer(
        tmp_path / "mc", [["blue"], ["red"]], ["blue", "red"], [("all", ["blue", "red"], True)]
    )
    assert label_structure(one_group) == ""  # multi-class: left to Datumaro's reader


def _write_csv(root: Path, rows: list[str], labels: list[str] | None = None) -> Path:
    (root / "images").mkdir(parents=True)
    for name in ("a.png", "b.png", "c.png"):
        Image.new("RGB", (8, 8)).save(root / "images" / name)
    (root / "labels.csv").write_text("\n".join(["image,labels", *rows]) + "\n")
    if labels is not None:
        (root / "labels.txt").write_text("\n".join(labels))
    return root


def test_csv_reads_labels_split_on_semicolons_or_spaces(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = _write_csv(tmp_path, ["a.png,cat;dog", "b.png,dog bird", "c.png,", "a.png,dog;cat"])
    assert candidate_formats(root)[0] == "label_csv"
    with caplog.at_level(logging.WARNING):
        dataset = read_label_csv(root)
    assert "skipped 1 repeated row(s)" in caplog.text
    names = ["bird", "cat", "dog"]  # sorted, no labels.txt
    found = {item.id: sorted(names[a.label] for a in item.annotations) for item in dataset}
    assert found == {"a": ["cat", "dog"], "b": ["bird", "dog"], "c": []}


@pytest.mark.parametrize(
    ("rows", "labels", "error"),
    [
        (["a.png,cat;cow"], ["cat", "dog"], r"labels.csv, row 2: label\(s\) \['cow'\] are not in"),
        (["a.png,cat", "b.png,dog", "a.png,dog"], None, r"row 4: image 'a.png' is listed twice with different labels"),
        (["zz.png,cat"], None, r"row 2: image 'zz.png' not found"),
    ],
)
def test_csv_errors_name_the_row(tmp_path: Path, rows: list[str], labels: list[str] | None, error: str) -> None:
    with pytest.raises(DataError, match=error):
        read_label_csv(_write_csv(tmp_path, rows, labels))


def test_detection_boxes_become_image_level_labels(tmp_path: Path, data_config: Callable[..., object]) -> None:
    (tmp_path / "images").mkdir()
    for i in range(6):
        Image.new("RGB", (32, 32), (i * 40, 0, 0)).save(tmp_path / "images" / f"{i}.jpg")
    boxes = {0: [1, 2], 1: [1], 2: [2, 2], 3: [], 4: [1], 5: [2]}  # image -> category ids of its boxes
    coco = {
        "images": [{"id": i, "file_name": f"{i}.jpg", "width": 32, "height": 32} for i in boxes],
        "annotations": [
            {"id": n, "image_id": i, "category_id": c, "bbox": [2, 2, 10, 10], "area": 100, "iscrowd": 0}
            for n, (i, c) in enumerate((i, c) for i, cs in boxes.items() for c in cs)
        ],
        "categories": [{"id": 1, "name": "rbc"}, {"id": 2, "name": "platelet"}],
    }
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "instances_default.json").write_text(json.dumps(coco))
    data_format = next(f for f in candidate_formats(tmp_path) if f.startswith("coco"))
    module = OTXDataModule(MultilabelClsAdapter(), tmp_path, data_format, data_config(val_fraction=0.5))
    targets = {
        Path(s.path).stem: [module.label_info.label_names[i] for i in s.target]
        for subset in ("train", "val")
        for s in module.subsets[subset]
    }
    assert targets == {
        "0": ["rbc", "platelet"],
        "1": ["rbc"],
        "2": ["platelet"],
        "3": [],
        "4": ["rbc"],
        "5": ["platelet"],
    }


# --- hierarchy -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hierarchy", "error"),
    [
        (
            LabelHierarchy(groups=(LabelGroup(name="g1", labels=("a", "b")), LabelGroup(name="g2", labels=("b", "c")))),
            r"Label 'b' is in two exclusive groups, 'g1' and 'g2'",
        ),
        (LabelHierarchy(groups=(), parents=(("a", "b"), ("b", "c"), ("c", "a"))), r"has a cycle: a -> b -> c -> a"),
        (LabelHierarchy(groups=(LabelGroup(name="g", labels=("a", "x")),)), r"names an unknown label 'x'"),
    ],
)
def test_bad_hierarchies_are_one_line_errors(hierarchy: LabelHierarchy, error: str) -> None:
    with pytest.raises(DataError, match=error):
        check_hierarchy(["a", "b", "c"], hierarchy)


def test_layout_heads_ancestors_and_resolution() -> None:
    assert LAYOUT.heads == ((0, 3), (1, 2))
    assert LAYOUT.multilabel == (4,)
    assert LAYOUT.output_order == [0, 3, 1, 2, 4]
    leaf = torch.tensor([[0, 1, 0, 0, 0], [0, 0, 0, 1, 1]])
    assert LAYOUT.with_ancestors(leaf).tolist() == [[1, 1, 0, 0, 0], [0, 0, 0, 1, 1]]
    assert [t.tolist() for t in LAYOUT.head_targets(LAYOUT.with_ancestors(leaf))] == [[0, 1], [0, -1]]
    scores = torch.tensor(
        [
            [0.9, 0.3, 0.7, 0.1, 0.6],  # heart, its queen, joker above 0.5
            [0.2, 0.8, 0.2, 0.8, 0.4],  # spade: heart's king is a candidate without its parent, so not predicted
        ]
    )
    assert LAYOUT.resolve(scores).tolist() == [[1, 0, 1, 0, 1], [0, 0, 0, 1, 0]]


def test_model_api_config_lists_heads_then_multilabel_outputs() -> None:
    config = json.loads(LAYOUT.model_api_config())
    info = config["cls_heads_info"]
    assert info["num_multiclass_heads"] == 2
    assert info["num_multilabel_classes"] == 1
    assert info["head_idx_to_logits_range"] == {"0": [0, 2], "1": [2, 4]}
    assert info["all_groups"] == [["heart", "spade"], ["heart_king", "heart_queen"], ["joker"]]
    assert info["label_to_idx"] == {name: i for i, name in enumerate(CARD_NAMES)}
    assert sorted(config["label_tree_edges"]) == [["heart_king", "heart"], ["heart_queen", "heart"]]


def test_hlabel_adapter_reads_the_hierarchy_and_counts_unlabelled(
    tmp_path: Path, grouped_datumaro_writer: Callable[..., Path], data_config: Callable[..., object]
) -> None:
    root = grouped_datumaro_writer(
        tmp_path,
        [["blue_a"], ["red_b"], [], ["blue_a"], ["red_b"], ["blue"]],
        ["blue", "red", "blue_a", "red_b"],
        [("top", ["blue", "red"], True), ("sub", ["blue_a", "red_b"], True)],
        {"blue_a": "blue", "red_b": "red"},
    )
    adapter = HlabelClsAdapter()
    module = OTXDataModule(adapter, root, "datumaro_hlabel", data_config(val_fraction=0.4))
    hierarchy = module.label_info.hierarchy
    assert hierarchy is not None
    assert dict(hierarchy.parents) == {"blue_a": "blue", "red_b": "red"}
    assert adapter.import_warnings() == ["left out 1 image(s) without labels"]


# --- metrics and thresholds ----------------------------------------------------------------------------------


def test_multilabel_metrics_against_hand_computed_values() -> None:
    target = torch.tensor([[1, 0], [0, 1], [1, 1], [0, 0]])
    scores = torch.tensor([[0.9, 0.2], [0.6, 0.8], [0.4, 0.3], [0.1, 0.7]])
    predicted = (scores > 0.5).long()  # [[1,0],[1,1],[0,0],[0,1]]
    metric = multilabel_metrics(2)
    metric.update((scores, predicted), target)
    values = metric.compute()
    # class 0 ranked 0.9(+) 0.6(-) 0.4(+) 0.1(-): AP = (1/1 + 2/3) / 2 = 0.8333
    # class 1 ranked 0.8(+) 0.7(-) 0.3(+) 0.2(-): AP = (1 + 2/3) / 2 = 0.8333
    assert values["per_class_ap"].tolist() == pytest.approx([5 / 6, 5 / 6], abs=1e-4)
    assert float(values["map"]) == pytest.approx(5 / 6, abs=1e-4)
    # micro: TP 2 (0,0)(1,1), FP 2 (1,0)(3,1), FN 2 (2,0)(2,1) -> F1 = 4 / (4 + 2 + 2) = 0.5
    assert float(values["f1_micro"]) == pytest.approx(0.5)
    # each class TP 1, FP 1, FN 1 -> F1 0.5; macro 0.5
    assert float(values["f1_macro"]) == pytest.approx(0.5)


def test_hlabel_metric_against_hand_computed_values() -> None:
    metric = HlabelMetric(LAYOUT)
    target = LAYOUT.with_ancestors(torch.tensor([[0, 1, 0, 0, 1], [0, 0, 0, 1, 0], [0, 0, 1, 0, 0]]))
    scores = torch.tensor(
        [
            [0.8, 0.6, 0.4, 0.2, 0.9],  # suit heart (right), rank king (right), joker 0.9 (+)
            [0.7, 0.5, 0.5, 0.3, 0.2],  # suit heart (wrong: spade), no rank label, joker 0.2 (-)
            [0.6, 0.9, 0.1, 0.4, 0.5],  # suit heart (right), rank king (wrong: queen), joker 0.5 (-)
        ]
    )
    metric.update((scores, LAYOUT.resolve(scores)), target)
    values = metric.compute()
    assert float(values["accuracy_heart"]) == pytest.approx(2 / 3)  # suit: 2 of 3
    assert float(values["accuracy_heart_king"]) == pytest.approx(1 / 2)  # rank: 1 of the 2 labelled
    assert float(values["map"]) == pytest.approx(1.0)  # joker: the one positive ranks first
    assert float(values["score"]) == pytest.approx((2 / 3 + 1 / 2 + 1) / 3)


def test_thresholds_maximise_each_labels_f1() -> None:
    logits = torch.tensor([[2.0, -1.0], [1.0, 3.0], [-1.0, 0.0], [0.5, -2.0]])
    targets = torch.tensor([[1, 0], [1, 1], [0, 0], [0, 0]])
    chosen = best_threshold_logits(logits, targets)
    # label 0: positives 2.0, 1.0, negatives 0.5, -1.0 -> any cut in (0.5, 1.0): midway 0.75
    # label 1: positive 3.0 only -> cut midway between 0.0 and 3.0
    assert chosen.tolist() == pytest.approx([0.75, 1.5])
    assert best_threshold_logits(logits, torch.zeros_like(targets)).tolist() == [0.0, 0.0]  # never present


# --- models --------------------------------------------------------------------------------------------------


def _batch(labels: list[list[int]]) -> MultilabelClsBatchDataEntity:
    infos = [ImageInfo(index=i, path=None, ori_shape=(32, 32), img_shape=(32, 32)) for i in range(len(labels))]
    return MultilabelClsBatchDataEntity(
        images=torch.randn(len(labels), 3, 32, 32),
        imgs_info=infos,
        labels=[torch.tensor(x, dtype=torch.long) for x in labels],
    )


@pytest.mark.parametrize("loss", ["bce", "asl"])
def test_multilabel_model_losses_and_calibrated_predictions(loss: str) -> None:
    torch.manual_seed(0)
    model = TinyResNetMultilabelClassifier(
        label_info=LabelInfo.from_names(["a", "b", "c"]), widths=(8, 8, 8, 8), loss=loss
    )
    batch = _batch([[0], [1, 2], []])
    model.train()
    losses = model(batch)
    assert isinstance(losses, OTXBatchLossEntity)
    assert set(losses.losses) == {"bce" if loss == "bce" else "asymmetric"}
    assert torch.isfinite(losses.total)
    model.eval()
    model.threshold_logits.fill_(100.0)  # nothing clears such a threshold
    with torch.no_grad():
        preds = model(batch)
    assert preds.labels.sum() == 0
    assert preds.scores.shape == (3, 3)


def test_hlabel_model_trains_every_head_and_exports_in_head_order() -> None:
    torch.manual_seed(0)
    model = TinyResNetHlabelClassifier(label_info=LabelInfo.from_names(CARD_NAMES, CARDS), widths=(8, 8, 8, 8))
    model.train()
    losses = model(_batch([[1, 4], [3], [2]]))
    assert isinstance(losses, OTXBatchLossEntity)
    assert set(losses.losses) == {"head_0", "head_1", "multilabel"}
    model.eval()
    images = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        exported = model.export_module()(images)
        logits = model.model(images)
    assert torch.equal(exported, logits[:, [0, 3, 1, 2, 4]])
    assert model.export_metadata()["hierarchical"] == "True"
    assert model.hparams["label_info"]["hierarchy"]["parents"] == [["heart_king", "heart"], ["heart_queen", "heart"]]
