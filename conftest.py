"""Fixtures shared by every test folder of the workspace."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from otx.core import plugin as plugin_module
from otx.core.data.custom_format import installed_formats

SMALL = {"data.input_size": [32, 32], "data.batch_size": 4, "data.num_workers": 0}
"""Engine overrides that keep a run on a tiny dataset to seconds on one CPU thread."""


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


@pytest.fixture(scope="session")
def small() -> dict[str, object]:
    """Engine overrides that keep a run on a tiny dataset to seconds on one CPU thread."""
    return dict(SMALL)


@pytest.fixture(scope="session")
def small_args() -> list[str]:
    """The same as ``otx train`` flags."""
    return [arg for key, value in SMALL.items() for arg in ("--set", f"{key}={value}".replace(" ", ""))]


class CliResult:
    """What one in-process ``otx`` call gave: exit code, stdout and stderr."""

    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    @property
    def error_line(self) -> str:
        """The one error line; fails the test unless stderr is exactly one ``otx: error:`` line."""
        lines = [line for line in self.err.splitlines() if line.strip()]
        assert len(lines) == 1, f"expected one line on stderr, got: {self.err!r}"
        assert lines[0].startswith("otx: error:"), lines[0]
        return lines[0]


@pytest.fixture
def otx(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``otx`` in-process: ``otx("train", "--data_root", ...)`` -> exit code, stdout, stderr."""
    from otx.cli.main import main

    def run(*argv: str | Path) -> CliResult:
        capsys.readouterr()
        try:
            main([str(a) for a in argv])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
