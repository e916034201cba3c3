"""The search space: parsing (errors name the key), sampling, and the overrides a sample makes."""

from typing import Any

import optuna
import pytest

from otx.core.config.hpo import parse_space
from otx.core.config.recipe import ModelConfig, RunConfig
from otx.core.config.structure import apply_overrides, structure, unstructure
from otx.core.errors import ConfigError
from otx.core.types.task import OTXTaskType
from otx.engine.hpo.space import search_space, suggest, to_overrides

LR = {"key": "optimizer.lr", "low": 1e-4, "high": 1e-2, "log": True}


def config(**hpo: Any) -> RunConfig:
    data = {
        "task": "MULTI_CLASS_CLS",
        "model": {"name": "m", "class_path": "x.M"},
        "optimizer": {"lr": 0.002},
        "data": {
            "train_transforms": [
                {"type": "RandomResizedCrop", "scale": [0.5, 1.0]},
                {"type": "ColorJitter", "brightness": 0.3, "contrast": 0.3},
            ]
        },
        "hpo": hpo,
    }
    return structure(data, RunConfig)


def test_a_space_parses_ranges_and_choices() -> None:
    lr, batch, size, steps = parse_space(
        {
            "lr": LR,
            "batch": {"key": "data.batch_size", "choices": [8, 16]},
            "size": {"key": ["data.input_size"], "choices": [[96, 96], [128, 128]]},
            "steps": {"key": "trainer.max_epochs", "type": "int", "low": 2, "high": 10, "step": 2},
        }
    )
    assert (lr.type, lr.low, lr.high, lr.log, lr.keys) == ("float", 1e-4, 1e-2, True, ("optimizer.lr",))
    assert (batch.type, batch.choices) == ("choice", (8, 16))
    assert size.choices == ([96, 96], [128, 128])
    assert (steps.type, steps.low, steps.high, steps.step) == ("int", 2.0, 10.0, 2.0)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({**LR, "hgh": 1}, "Unknown config key 'hpo.space.lr.hgh'"),
        ({"low": 1, "high": 2}, "'hpo.space.lr.key' must name the recipe key"),
        ({**LR, "low": "abc"}, "'hpo.space.lr.low' must be a number, got 'abc'"),
        ({**LR, "low": 0.1, "high": 0.01}, "low (0.1) must be below high (0.01)"),
        ({**LR, "low": 0}, "a log range needs low > 0"),
        ({"key": "data.batch_size", "choices": []}, "'hpo.space.lr.choices' must be a non-empty list"),
        ({"key": "data.batch_size", "choices": [8], "low": 1}, "either choices or a range"),
        ({"key": "data.batch_size", "type": "int", "low": 1.5, "high": 4}, "an int range needs integer"),
        ({"key": "optimizer.lr", "type": "uniform", "low": 1, "high": 2}, "'hpo.space.lr.type'"),
        ("0.01", "'hpo.space.lr' must be a mapping"),
    ],
)
def test_a_bad_entry_is_an_error_naming_its_key(entry: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        config(space={"lr": entry})


def test_a_set_override_reaches_one_bound_and_is_checked() -> None:
    data = apply_overrides(unstructure(config(space={"lr": LR})), {"hpo.space.lr.high": 0.05})
    assert search_space(structure(data, RunConfig))[0].high == 0.05
    with pytest.raises(ConfigError, match=r"hpo\.space\.lr\.high"):
        structure(apply_overrides(data, {"hpo.space.lr.high": "x"}), RunConfig)


def test_no_space_searches_the_learning_rate_around_the_recipes() -> None:
    (lr,) = search_space(config())
    assert (lr.keys, lr.low, lr.high, lr.log) == (("optimizer.lr",), pytest.approx(0.0002), pytest.approx(0.006), True)


def test_a_sample_sets_plain_keys_and_one_transform_argument() -> None:
    run = config(
        space={
            "lr": LR,
            "size": {"key": "data.input_size", "choices": [[96, 96], [160, 160]]},
            "crop": {"key": "data.train_transforms.RandomResizedCrop.scale", "choices": [[0.25, 1.0]]},
            "jitter": {
                "key": ["data.train_transforms.ColorJitter.brightness", "data.train_transforms.ColorJitter.contrast"],
                "low": 0.0,
                "high": 0.5,
            },
        }
    )
    params = search_space(run)
    trial = optuna.trial.FixedTrial({"lr": 0.001, "size": "[160, 160]", "crop": "[0.25, 1.0]", "jitter": 0.1})
    values = suggest(trial, params)
    assert values == {"lr": 0.001, "size": [160, 160], "crop": [0.25, 1.0], "jitter": 0.1}
    overrides = to_overrides(values, params, run)
    assert overrides == {
        "optimizer.lr": 0.001,
        "data.input_size": [160, 160],
        "data.train_transforms": [
            {"type": "RandomResizedCrop", "scale": [0.25, 1.0]},
            {"type": "ColorJitter", "brightness": 0.1, "contrast": 0.1},
        ],
    }
    tuned = structure(apply_overrides(unstructure(run), overrides), RunConfig)
    assert tuned.data.input_size == (160, 160) and tuned.optimizer.lr == 0.001
    assert run.data.train_transforms[0]["scale"] == [0.5, 1.0]  # the base config is not edited


def test_a_transform_the_pipeline_lacks_is_named() -> None:
    run = config(space={"p": {"key": "data.train_transforms.RandomPhotometricDistort.p", "low": 0.0, "high": 1.0}})
    with pytest.raises(ConfigError, match="has no RandomPhotometricDistort .it has: RandomResizedCrop, ColorJitter"):
        to_overrides({"p": 0.5}, search_space(run), run)


def test_every_recipe_space_applies_to_its_recipe() -> None:
    from otx.core.config.recipe_loader import recipe_config
    from otx.core.plugin import all_specs

    searched = {OTXTaskType.MULTI_CLASS_CLS, OTXTaskType.DETECTION, OTXTaskType.INSTANCE_SEGMENTATION}
    searched |= {OTXTaskType.SEMANTIC_SEGMENTATION}
    checked = 0
    for task, spec in all_specs().items():
        for model in spec.recipe_paths():
            recipe = recipe_config(spec, model, {"task": task.value}, None)
            params = search_space(recipe)
            values = {p.name: p.choices[-1] if p.type == "choice" else p.high for p in params}
            structure(apply_overrides(unstructure(recipe), to_overrides(values, params, recipe)), RunConfig)
            if task in searched:
                assert {"lr", "weight_decay", "batch_size"} <= {p.name for p in params}, model
                checked += 1
    assert checked >= 10  # the searched tasks' recipes (11 today)


def test_the_model_config_is_untouched_by_hpo_defaults() -> None:
    run = RunConfig(task=OTXTaskType.MULTI_CLASS_CLS, model=ModelConfig(name="m", class_path="x.M"))
    assert run.hpo.trials == 20 and run.hpo.space == {} and run.hpo.pruner == "asha"
