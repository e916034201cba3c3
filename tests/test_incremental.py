"""Class-incremental weights: rows remapped by label name, for every model of every installed task."""

from typing import Any

import pytest
import torch

from otx.core.config.structure import load_yaml
from otx.core.errors import CheckpointError, ConfigError
from otx.core.model.base import OTXModel
from otx.core.model.incremental import ClassAxis, compare_labels, remap_class_rows, transfer_by_label_name
from otx.core.plugin import all_specs, import_object
from otx.core.types.label import LabelInfo

torch.set_num_threads(1)

OLD, NEW = ("cat", "dog"), ("dog", "bird", "cat")


def test_rows_follow_their_names_with_offset_per_class_and_groups() -> None:
    # two anchors, a background row, then 2 rows per class: [bg, c0, c0, c1, c1] per anchor
    old = torch.tensor([10.0, 1, 2, 3, 4, 20, 5, 6, 7, 8])
    new = torch.zeros(2 * (1 + 3 * 2))
    out = remap_class_rows(old, new, ClassAxis(offset=1, per_class=2, groups=2), OLD, NEW)
    # dog (old 1) first, bird fresh (zeros), cat (old 0) last; backgrounds kept
    assert out.tolist() == [10, 3, 4, 0, 0, 1, 2, 20, 7, 8, 0, 0, 5, 6]


def test_rows_along_another_dim() -> None:
    old = torch.arange(6.0).reshape(3, 2)  # (features, classes)
    out = remap_class_rows(old, torch.full((3, 3), -1.0), ClassAxis(dim=1), OLD, NEW)
    assert out[:, 0].tolist() == old[:, 1].tolist()
    assert out[:, 1].tolist() == [-1, -1, -1]
    assert out[:, 2].tolist() == old[:, 0].tolist()


def test_labels_compared_by_name() -> None:
    report = compare_labels(["a", "b", "gone"], ["b", "a", "c"], "old.ckpt")
    assert (report.kept, report.new, report.dropped) == (("b", "a"), ("c",), ("gone",))
    assert report.summary() == "incremental: 2 known classes kept, 1 new: c; dropped: gone"
    with pytest.raises(CheckpointError, match=r"share no name"):
        compare_labels(["a"], ["b"], "old.ckpt")


def _recipes() -> list[Any]:
    return [
        pytest.param(spec.task, name, id=f"{spec.task.value}-{name}")
        for spec in all_specs().values()
        for name in spec.recipe_paths()
    ]


def _build(task: Any, name: str, names: tuple[str, ...]) -> OTXModel[Any, Any]:
    recipe = load_yaml(all_specs()[task].recipe_path(name))
    model_cls = import_object(recipe["model"]["class_path"])
    try:
        model: OTXModel[Any, Any] = model_cls(
            label_info=LabelInfo.from_names(names), **recipe["model"].get("init_args", {})
        )
    except ConfigError as exc:  # a model of an optional extra (docs/mm-extras.md) that is not installed
        if "install the extra" in str(exc):
            pytest.skip(str(exc))
        raise
    return model


@pytest.mark.parametrize(("task", "name"), _recipes())
def test_every_model_declares_heads_that_move_with_their_names(task: Any, name: str) -> None:
    torch.manual_seed(0)
    old, new = _build(task, name, OLD), _build(task, name, NEW)
    axes = new.class_axis_params()
    assert axes, f"{name} declares no per-class parameters"
    state = old.state_dict()
    transfer_by_label_name(new, axes, state, OLD, NEW)
    loaded = new.state_dict()
    for key, axis in axes.items():
        kept = remap_class_rows(state[key], loaded[key], axis, OLD, NEW)
        assert torch.equal(kept, loaded[key]), key  # the known classes' rows are the old ones
        assert loaded[key].shape == new.state_dict()[key].shape
    shared = [k for k in state if k not in axes and k in loaded and state[k].shape == loaded[k].shape]
    assert all(torch.equal(state[k], loaded[k]) for k in shared)
