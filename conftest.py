"""Fixtures shared by every test folder of the workspace."""

from collections.abc import Callable, Iterator

import pytest

from otx.core import plugin as plugin_module
from otx.core.data.custom_format import installed_formats


@pytest.fixture
def hide_task_packages(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """``hide_task_packages("otx-detection")``: make an installed task package look uninstalled."""
    entry_points = plugin_module.metadata.entry_points

    def hide(*distributions: str) -> None:
        def visible(*, group: str) -> list[object]:
            return [ep for ep in entry_points(group=group) if ep.dist is None or ep.dist.name not in distributions]

        monkeypatch.setattr(plugin_module.metadata, "entry_points", visible)
        plugin_module.installed_plugins.cache_clear()
        installed_formats.cache_clear()

    yield hide
    plugin_module.installed_plugins.cache_clear()
    installed_formats.cache_clear()
