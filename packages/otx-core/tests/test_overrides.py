"""``--set KEY=VALUE`` parsing: YAML values, clear errors for malformed items."""

import pytest

from otx.core.config.overrides import parse_overrides
from otx.core.config.recipe import OptimizerConfig
from otx.core.config.structure import apply_overrides, structure
from otx.core.errors import ConfigError


def test_no_items_give_no_overrides() -> None:
    assert parse_overrides([]) == {}


def test_values_are_read_as_yaml() -> None:
    overrides = parse_overrides(
        ["data.batch_size=8", "optimizer.lr=0.01", "data.input_size=[64, 48]", "model.pretrained=false", "x=null"]
    )
    assert overrides == {
        "data.batch_size": 8,
        "optimizer.lr": 0.01,
        "data.input_size": [64, 48],
        "model.pretrained": False,
        "x": None,
    }


def test_value_keeps_later_equal_signs_and_key_is_stripped() -> None:
    assert parse_overrides([" model.name =a=b"]) == {"model.name": "a=b"}


def test_empty_value_is_none() -> None:
    assert parse_overrides(["trainer.max_epochs="]) == {"trainer.max_epochs": None}


def test_later_item_wins() -> None:
    assert parse_overrides(["seed=1", "seed=2"]) == {"seed": 2}


def test_exponent_without_dot_is_a_string_until_structured() -> None:
    overrides = parse_overrides(["optimizer.lr=1e-3"])
    assert overrides == {"optimizer.lr": "1e-3"}  # YAML 1.1
    data = apply_overrides({"optimizer": {}}, overrides)
    assert structure(data["optimizer"], OptimizerConfig).lr == pytest.approx(1e-3)


@pytest.mark.parametrize("item", ["data.batch_size", "=8", " =8", ""])
def test_item_without_key_or_equal_sign_is_an_error(item: str) -> None:
    with pytest.raises(ConfigError, match=f"^--set expects KEY=VALUE, got '{item}'$"):
        parse_overrides([item])


def test_invalid_yaml_is_an_error_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"^--set data\.input_size: '\[1, 2' is not valid YAML"):
        parse_overrides(["data.input_size=[1, 2"])
