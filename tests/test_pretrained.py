"""Pretrained defaults without a network: weights placed where OTX looks first, the offline fallback, bad shapes.

The weights files are made here: the state dict of a freshly built model (for other classes than the
run's, as public weights are) saved under the file name the recipe's URL gives.
"""

from pathlib import Path
from typing import Any

import pytest
import torch
from attrs import evolve
from safetensors.torch import save_file

from otx.core.config.recipe import RunConfig
from otx.core.config.recipe_loader import recipe_config
from otx.core.errors import CheckpointError
from otx.core.model import weight_files
from otx.core.model.weight_files import WeightFile
from otx.core.plugin import find_task
from otx.core.types.task import OTXTaskType
from otx.engine import Engine
from otx.engine.build import build_model
from otx.engine.plan import Command
from otx.engine.pretrained import pick_default_model, resolve_weights

PRETRAINED = [
    (OTXTaskType.MULTI_CLASS_CLS, "timm_mobilenetv3_small", "tiny_resnet"),
    (OTXTaskType.DETECTION, "fasterrcnn_mobilenetv3", "tiny_det"),
    (OTXTaskType.INSTANCE_SEGMENTATION, "maskrcnn_resnet50", "maskrcnn_mobilenetv3"),
    (OTXTaskType.SEMANTIC_SEGMENTATION, "lraspp_mobilenetv3", "tiny_seg"),
]


@pytest.fixture
def weights_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty $OTX_WEIGHTS_DIR, empty torch and Hugging Face caches, and no host that answers."""
    folder = tmp_path / "weights"
    folder.mkdir()
    monkeypatch.setenv("OTX_WEIGHTS_DIR", str(folder))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.delenv("OTX_OFFLINE", raising=False)
    monkeypatch.setattr(weight_files, "host_reachable", lambda host: False)
    return folder


def _config(task: OTXTaskType, model: str, labels: tuple[str, ...]) -> RunConfig:
    config = recipe_config(find_task(task), model, {"task": task.value}, None)
    return evolve(config, label_names=labels)


def _save_weights(config: RunConfig, folder: Path, classes: int = 5) -> dict[str, torch.Tensor]:
    """A freshly built model's state dict for ``classes`` classes, saved as the recipe's weights file."""
    labels = tuple(f"c{i}" for i in range(classes))
    state = build_model(
        evolve(config, label_names=labels, model=evolve(config.model, pretrained=None))
    ).model.state_dict()
    assert config.model.pretrained is not None
    file = folder / WeightFile(config.model.pretrained).file_name
    if file.suffix == ".safetensors":
        save_file({k: v.contiguous() for k, v in state.items()}, str(file))
    else:
        torch.save(state, file)
    return state


def _a_backbone_tensor(state: dict[str, torch.Tensor], heads: set[str]) -> str:
    return next(k for k, v in state.items() if k not in heads and v.is_floating_point() and v.numel() > 1)


@pytest.mark.parametrize(("task", "pretrained", "scratch"), PRETRAINED, ids=[t.value for t, _, _ in PRETRAINED])
def test_the_pretrained_default_is_picked_and_loaded_from_the_weights_folder(
    task: OTXTaskType, pretrained: str, scratch: str, weights_dir: Path
) -> None:
    spec = find_task(task)
    assert spec.pretrained_model == pretrained
    assert spec.default_model == scratch
    config = _config(task, pretrained, ("a", "b"))
    saved = _save_weights(config, weights_dir)
    name, why = pick_default_model(spec)
    assert name == pretrained
    file_name = WeightFile(str(config.model.pretrained)).file_name
    assert why == f"(pretrained default for the task: {file_name} found in {weights_dir})"
    model = build_model(config)
    heads = {key.removeprefix("model.") for key in model.class_axis_params()}
    key = _a_backbone_tensor(saved, heads)
    assert torch.equal(model.model.state_dict()[key], saved[key])
    assert all(model.model.state_dict()[h].shape != saved[h].shape for h in heads if h.endswith("weight"))


@pytest.mark.parametrize(("task", "pretrained", "scratch"), PRETRAINED, ids=[t.value for t, _, _ in PRETRAINED])
def test_offline_without_the_file_the_from_scratch_default_is_picked(
    task: OTXTaskType, pretrained: str, scratch: str, weights_dir: Path
) -> None:
    name, why = pick_default_model(find_task(task))
    assert name == scratch
    assert why.startswith(f"(default for the task); pretrained {pretrained} not used: ")
    assert "cannot be reached" in why
    assert f"`otx weights --model {pretrained}`" in why


def test_a_named_pretrained_model_offline_trains_from_random_init_and_says_so(weights_dir: Path) -> None:
    config = _config(OTXTaskType.SEMANTIC_SEGMENTATION, "lraspp_mobilenetv3", ("a", "b"))
    dropped, line = resolve_weights(config)
    assert dropped.model.pretrained is None
    assert line is not None
    assert line.startswith("weights: none, random init: lraspp_mobilenet_v3_large-d234d4ea.pth is not on this machine")
    kept, line = resolve_weights(evolve(config, model=evolve(config.model, pretrained="/some/file.pth")))
    assert kept.model.pretrained == "/some/file.pth"
    assert line == "weights: /some/file.pth (given)"


def test_weights_of_the_wrong_shape_are_one_error_naming_file_and_key(weights_dir: Path) -> None:
    config = _config(OTXTaskType.SEMANTIC_SEGMENTATION, "lraspp_mobilenetv3", ("a", "b"))
    saved = _save_weights(config, weights_dir)
    first = next(iter(saved))
    saved[first] = torch.zeros(3, 3)
    file = weights_dir / WeightFile(str(config.model.pretrained)).file_name
    torch.save(saved, file)
    with pytest.raises(CheckpointError) as error:
        build_model(config)
    assert str(error.value).startswith(f"Weights {file} do not fit the model: '{first}' has shape (3, 3) in the file")
    assert "\n" not in str(error.value)


def test_auto_configuration_prints_the_choice(
    shapes_root: Path, small: dict[str, Any], tmp_path: Path, weights_dir: Path
) -> None:
    offline = Engine(data_root=shapes_root, work_dir=tmp_path, overrides=small).plan(Command.TRAIN)
    model_lines = [c for c in offline.choices if c.startswith("model:")]
    assert len(model_lines) == 1
    assert model_lines[0].startswith("model:  tiny_resnet (default for the task); pretrained timm_mobilenetv3_small")
    _save_weights(_config(OTXTaskType.MULTI_CLASS_CLS, "timm_mobilenetv3_small", ("a", "b")), weights_dir)
    online = Engine(data_root=shapes_root, work_dir=tmp_path, overrides=small).plan(Command.TRAIN)
    assert online.config.model.name == "timm_mobilenetv3_small"
    assert online.config.model.pretrained is not None
    assert [c for c in online.choices if c.startswith(("model:", "weights:"))] == [
        f"model:  timm_mobilenetv3_small (pretrained default for the task: "
        f"mobilenetv3_small_100.lamb_in1k.safetensors found in {weights_dir})"
    ]
