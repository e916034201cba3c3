"""Strict config parsing: unknown keys and wrong types are errors that name the dotted key."""

from pathlib import Path

import pytest
from attrs import evolve
from attrs.exceptions import FrozenInstanceError

from otx.core.config.recipe import DataConfig, ModelConfig, OptimizerConfig, RunConfig, TrainerConfig
from otx.core.config.structure import apply_overrides, dump_yaml, load_yaml, structure, unstructure
from otx.core.errors import ConfigError, OTXError

MINIMAL = {"task": "MULTI_CLASS_CLS", "model": {"name": "m", "class_path": "pkg.mod.Cls"}}


def _run_data(**sections: dict) -> dict:
    return {**MINIMAL, **sections}


def test_minimal_config_gets_defaults() -> None:
    config = structure(MINIMAL, RunConfig)
    assert config.task == "MULTI_CLASS_CLS"
    assert config.model == ModelConfig(name="m", class_path="pkg.mod.Cls")
    assert config.optimizer == OptimizerConfig()
    assert config.data == DataConfig()
    assert config.trainer == TrainerConfig()


def test_values_are_converted_to_the_declared_types() -> None:
    config = structure(
        _run_data(
            optimizer={"lr": 1, "params": {"weight_decay": 0.1}},
            data={"input_size": [32, 48], "mean": [0, 0, 0], "num_workers": "auto"},
            trainer={"devices": 1, "gradient_clip_val": None},
        ),
        RunConfig,
    )
    assert config.optimizer.lr == 1.0
    assert isinstance(config.optimizer.lr, float)
    assert config.data.input_size == (32, 48)
    assert isinstance(config.data.input_size, tuple)
    assert config.data.mean == (0, 0, 0)
    assert config.data.num_workers == "auto"
    assert config.trainer.devices == 1
    assert config.trainer.gradient_clip_val is None


@pytest.mark.parametrize(
    ("data", "dotted", "suggestion"),
    [
        (_run_data(optimizer={"lrr": 0.1}), "optimizer.lrr", "optimizer.lr"),
        (_run_data(data={"batchsize": 4}), "data.batchsize", "data.batch_size"),
        (_run_data(trainer={"max_epoch": 3}), "trainer.max_epoch", "trainer.max_epochs"),
        (_run_data(optimiser={"lr": 0.1}), "optimiser", "optimizer"),
    ],
)
def test_unknown_key_names_the_dotted_key_and_suggests_the_closest(data: dict, dotted: str, suggestion: str) -> None:
    with pytest.raises(ConfigError) as info:
        structure(data, RunConfig)
    message = str(info.value)
    assert f"'{dotted}'" in message
    assert "Did you mean" in message
    assert suggestion in message.split("Did you mean", 1)[1]


def test_unknown_key_without_close_match_lists_the_valid_keys() -> None:
    with pytest.raises(ConfigError) as info:
        structure(_run_data(scheduler={"zzzzzz": 1}), RunConfig)
    message = str(info.value)
    assert "'scheduler.zzzzzz'" in message
    for key in ("name", "warmup_epochs", "min_lr_ratio"):
        assert key in message


@pytest.mark.parametrize(
    ("data", "dotted"),
    [
        (_run_data(data={"batch_size": "four"}), "data.batch_size"),
        (_run_data(data={"batch_size": True}), "data.batch_size"),  # bool is not an int here
        (_run_data(data={"batch_size": 2.5}), "data.batch_size"),
        (_run_data(optimizer={"lr": "fast"}), "optimizer.lr"),
        (_run_data(data={"input_size": [32]}), "data.input_size"),
        (_run_data(data={"input_size": 32}), "data.input_size"),
        (_run_data(data={"mean": [0.5, "x", 0.5]}), "data.mean[1]"),
        (_run_data(data={"num_workers": "many"}), "data.num_workers"),
        (_run_data(scheduler={"name": "step"}), "scheduler.name"),
        (_run_data(data={"train_transforms": {"type": "Resize"}}), "data.train_transforms"),
        (_run_data(optimizer={"params": [1, 2]}), "optimizer.params"),
        (_run_data(data=[1, 2]), "data"),
        (_run_data(seed="0"), "seed"),
        ({"task": 3, "model": MINIMAL["model"]}, "task"),
    ],
)
def test_wrong_type_names_the_key(data: dict, dotted: str) -> None:
    with pytest.raises(ConfigError) as info:
        structure(data, RunConfig)
    assert f"'{dotted}'" in str(info.value)


def test_missing_required_keys_are_named() -> None:
    with pytest.raises(ConfigError, match=r"model"):
        structure({"task": "MULTI_CLASS_CLS"}, RunConfig)
    with pytest.raises(ConfigError, match=r"model\.class_path"):
        structure({"task": "MULTI_CLASS_CLS", "model": {"name": "m"}}, RunConfig)


def test_config_error_is_a_user_error() -> None:
    assert issubclass(ConfigError, OTXError)


def test_unstructure_round_trips_through_yaml(tmp_path: Path) -> None:
    config = structure(
        _run_data(data={"input_size": [32, 32], "train_transforms": [{"type": "RandomHorizontalFlip", "p": 0.5}]}),
        RunConfig,
    )
    with pytest.raises(FrozenInstanceError):
        config.label_names = ("a", "b")  # type: ignore[misc]
    config = evolve(config, label_names=("a", "b"))
    plain = unstructure(config)
    assert plain["data"]["input_size"] == [32, 32]  # tuples become YAML lists
    path = tmp_path / "config.yaml"
    dump_yaml(plain, path)
    assert not list(tmp_path.glob("*.tmp"))
    assert structure(load_yaml(path), RunConfig) == config


def test_apply_overrides_sets_nested_keys_and_validation_catches_typos() -> None:
    data = apply_overrides(
        {**MINIMAL, "data": {"batch_size": 16}},
        {"data.batch_size": 4, "data.input_size": [32, 32], "optimizer.lr": 0.5},
    )
    config = structure(data, RunConfig)
    assert config.data.batch_size == 4
    assert config.data.input_size == (32, 32)
    assert config.optimizer.lr == 0.5
    with pytest.raises(ConfigError, match=r"optimizer\.lrr"):
        structure(apply_overrides(dict(MINIMAL), {"optimizer.lrr": 0.1}), RunConfig)


def test_apply_overrides_refuses_to_descend_into_a_value() -> None:
    with pytest.raises(ConfigError, match=r"seed\.x"):
        apply_overrides(dict(MINIMAL, seed=0), {"seed.x": 1})


def test_load_yaml_errors_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError, match=r"nope\.yaml"):
        load_yaml(missing)
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: [1, 2\nb: {", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_yaml(broken)
    assert "broken.yaml" in str(info.value)
    assert "\n" not in str(info.value)
    listing = tmp_path / "list.yaml"
    listing.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"list\.yaml"):
        load_yaml(listing)
