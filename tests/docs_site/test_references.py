"""The reference pages generated from the code list everything the code has."""

import attrs
import pytest

from docs_site.cli_reference import cli_page
from docs_site.config_reference import UndocumentedKeyError, _walk, config_keys, config_page
from docs_site.formats_reference import format_rows
from docs_site.models_reference import model_rows
from otx.core.config.recipe import RunConfig
from otx.core.config.structure import unstructure
from otx.core.data.custom_format import installed_formats
from otx.core.plugin import all_specs
from otx.core.types.task import OTXTaskType


def _leaf_keys(data: dict, prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and key not in ("init_args", "params", "space"):
            keys |= _leaf_keys(value, f"{dotted}.")
        else:
            keys.add(dotted)
    return keys


def test_the_config_reference_lists_every_key_a_run_config_has_with_a_meaning() -> None:
    config = RunConfig(task=OTXTaskType.MULTI_CLASS_CLS, model={"name": "m", "class_path": "a.B"})  # type: ignore[arg-type]
    listed = {key: (kind, meaning) for key, kind, _, meaning in config_keys()}
    assert _leaf_keys(unstructure(config)) <= set(listed)
    assert all(meaning for _, meaning in listed.values())
    assert "| `data.num_workers` | int \\| 'auto' | `'auto'` |" in config_page()


def test_a_config_field_without_a_docstring_fails_the_reference() -> None:
    @attrs.frozen
    class Section:
        size: int = 3

    with pytest.raises(UndocumentedKeyError, match=r"'data.size' \(Section.size\) has no docstring"):
        list(_walk(Section, "data.", {}))


def test_the_models_table_has_every_recipe_of_every_installed_task() -> None:
    rows = {(task.split(" ")[0], name) for task, name, *_ in model_rows()}
    expected = {(spec.task.value, name) for spec in all_specs().values() for name in spec.recipe_paths()}
    assert rows == expected
    defaults = {(task.split(" ")[0], name) for task, name, role, *_ in model_rows() if role.startswith("default")}
    assert defaults == {(spec.task.value, spec.default_model) for spec in all_specs().values()}


def test_the_formats_table_has_every_reader_and_every_format_a_task_reads() -> None:
    rows = {name: tasks for name, _, tasks in format_rows()}
    assert set(installed_formats()) <= set(rows)
    assert {name for spec in all_specs().values() for name in spec.formats} == set(rows)
    assert "**DETECTION**" in rows["voc_detection"]


def test_the_cli_reference_has_every_command_and_flag() -> None:
    page = cli_page()
    for command in ("train", "test", "predict", "export", "optimize", "benchmark", "explain", "hpo", "find", "weights"):
        assert f"## otx {command}" in page
    assert "`--data_root PATH`" in page and "`--max_epochs INT`" in page
