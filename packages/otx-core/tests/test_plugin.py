"""Task plugin discovery through the ``otx.tasks`` entry points."""

from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path

import pytest

from otx.core import plugin as plugin_module
from otx.core.errors import ConfigError, OTXError, TaskNotInstalledError
from otx.core.plugin import (
    TaskPlugin,
    TaskSpec,
    all_specs,
    find_task,
    import_object,
    installed_plugins,
    package_for_task,
)
from otx.core.types.task import OTXTaskType


@pytest.fixture
def fresh_plugin_cache() -> Iterator[None]:
    installed_plugins.cache_clear()
    yield
    installed_plugins.cache_clear()


def test_installed_plugins_find_classification() -> None:
    plugins = installed_plugins()
    distributions = [p.distribution for p in plugins]
    assert "otx-classification" in distributions
    spec = find_task(OTXTaskType.MULTI_CLASS_CLS)
    assert spec.task is OTXTaskType.MULTI_CLASS_CLS
    assert spec.default_model in spec.recipe_paths()
    assert OTXTaskType.MULTI_CLASS_CLS in all_specs()


def test_missing_task_names_the_package_to_install(hide_task_packages: Callable[..., None]) -> None:
    hide_task_packages("otx-detection", "otx-segmentation")
    with pytest.raises(TaskNotInstalledError) as info:
        find_task(OTXTaskType.DETECTION)
    assert "otx-detection" in str(info.value)
    assert "pip install otx-detection" in str(info.value)
    assert isinstance(info.value, OTXError)
    with pytest.raises(TaskNotInstalledError, match="otx-segmentation"):
        find_task(OTXTaskType.SEMANTIC_SEGMENTATION)


def test_every_task_names_its_package_through_the_core_extras() -> None:
    assert {task: package_for_task(task) for task in OTXTaskType} == {
        OTXTaskType.MULTI_CLASS_CLS: "otx-classification",
        OTXTaskType.MULTI_LABEL_CLS: "otx-classification",
        OTXTaskType.H_LABEL_CLS: "otx-classification",
        OTXTaskType.DETECTION: "otx-detection",
        OTXTaskType.INSTANCE_SEGMENTATION: "otx-detection",
        OTXTaskType.SEMANTIC_SEGMENTATION: "otx-segmentation",
    }
    assert package_for_task(OTXTaskType.DETECTION, core="no-such-distribution") is None


class _FakeDistribution:
    name = "otx-detection"


class _FakeEntryPoint:
    def __init__(self, value: object) -> None:
        self._value = value
        self.value = "fake.module:PLUGIN"
        self.dist = _FakeDistribution()

    def load(self) -> object:
        return self._value


def test_plugins_come_from_entry_points(monkeypatch: pytest.MonkeyPatch, fresh_plugin_cache: None) -> None:
    detection = TaskPlugin(
        tasks=(
            TaskSpec(
                task=OTXTaskType.DETECTION,
                recipe_package="otx.classification.recipes.multi_class_cls",
                default_model="tiny_resnet",
                dataset_adapter="x:y",
                formats=("coco",),
            ),
        ),
    )
    seen_groups = []

    def entry_points(*, group: str) -> list[_FakeEntryPoint]:
        seen_groups.append(group)
        return [_FakeEntryPoint(detection)]

    monkeypatch.setattr(plugin_module.metadata, "entry_points", entry_points)
    assert find_task(OTXTaskType.DETECTION).formats == ("coco",)
    assert [p.distribution for p in installed_plugins()] == ["otx-detection"]  # from the entry point's metadata
    assert seen_groups == ["otx.tasks"]
    with pytest.raises(TaskNotInstalledError, match="otx-classification"):
        find_task(OTXTaskType.MULTI_CLASS_CLS)


def test_an_entry_point_that_is_not_a_plugin_is_refused(
    monkeypatch: pytest.MonkeyPatch, fresh_plugin_cache: None
) -> None:
    monkeypatch.setattr(plugin_module.metadata, "entry_points", lambda *, group: [_FakeEntryPoint(object())])
    with pytest.raises(TypeError, match=r"fake\.module:PLUGIN"):
        installed_plugins()


def test_classification_is_registered_in_the_distribution_metadata() -> None:
    names = {ep.name: ep.value for ep in metadata.entry_points(group="otx.tasks")}
    assert names.get("classification") == "otx.classification.plugin:PLUGIN"


def test_recipe_path_accepts_names_and_yaml_files(tmp_path: Path) -> None:
    spec = find_task(OTXTaskType.MULTI_CLASS_CLS)
    default = spec.recipe_path(spec.default_model)
    assert default.name == f"{spec.default_model}.yaml"
    own = tmp_path / "mine.yaml"
    own.write_text("model: {name: x, class_path: a.B}\n")
    assert spec.recipe_path(str(own)) == own
    with pytest.raises(ConfigError) as info:
        spec.recipe_path("no_such_model")
    assert "no_such_model" in str(info.value)
    assert spec.default_model in str(info.value)


def test_import_object() -> None:
    assert import_object("pathlib:Path") is Path
    assert import_object("pathlib.Path") is Path
    with pytest.raises(ConfigError, match="no_such_mod"):
        import_object("no_such_mod.X")
    with pytest.raises(ConfigError, match=r"pathlib\.Nope"):
        import_object("pathlib.Nope")
