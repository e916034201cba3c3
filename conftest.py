"""Fixtures shared by every test folder of the workspace."""

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from otx.core import plugin as plugin_module
from otx.core.data.custom_format import installed_formats

os.environ.setdefault("OTX_OFFLINE", "1")  # auto-configuration picks the from-scratch defaults, as on a machine offline

SMALL = {"data.input_size": [32, 32], "data.batch_size": 4, "data.num_workers": 0}
"""Engine overrides that keep a run on a tiny dataset to seconds on one CPU thread."""


@contextmanager
def model_api_on_the_process_core() -> Iterator[None]:
    """Model API wrappers made from a path compile on OTX's one ``ov.Core``, not on a new core each.

    Model API 0.4.7 makes a core per ``Model.create_model(path)``; after some tens of wrappers made and
    dropped, the next data loader with worker processes crashes the process (SIGSEGV), as an IR compiled
    on a temporary core did in OTX itself (see ``otx.core.export.runtime``). Its ``core=`` argument
    fails with an unbound ``plugin_config``, so its ``create_core`` is replaced while this is entered.
    """
    try:
        from model_api.models import model as model_api_model
    except ImportError:
        yield
        return
    from otx.core.export.runtime import openvino_core

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(model_api_model, "create_core", openvino_core)
        yield


@pytest.fixture(autouse=True, scope="session")
def _model_api_core() -> Iterator[None]:
    """Every test's Model API wrappers use the process's core (:func:`model_api_on_the_process_core`)."""
    with model_api_on_the_process_core():
        yield


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


class Rebuilt:
    """A checkpoint's saved hyper-parameters, and per batch (rebuilt model's, Engine's) predictions."""

    def __init__(self, hparams: dict[str, Any], pairs: list[tuple[Any, Any]]) -> None:
        self.hparams, self.pairs = hparams, pairs


@pytest.fixture(scope="session")
def rebuild_from_checkpoint() -> Callable[..., Rebuilt]:
    """``rebuild_from_checkpoint(ModelClass, work_dir)``: the latest run's best checkpoint, rebuilt alone.

    The model comes from ``ModelClass.load_from_checkpoint`` only; its predictions are paired with the Engine's.
    """
    import torch
    import yaml

    from otx.engine import Engine
    from otx.engine.build import build_datamodule
    from otx.engine.checkpoint import read_checkpoint

    def rebuild(model_class: Any, work_dir: Path) -> Rebuilt:
        best = work_dir / ".latest" / "train" / "checkpoints" / "best.ckpt"
        expected = Engine(work_dir=work_dir).predict(checkpoint=best)
        hparams = torch.load(best, weights_only=True)["hyper_parameters"]
        yaml.safe_dump(hparams)  # plain data only: anything else does not serialize
        model = model_class.load_from_checkpoint(best).eval()
        batches = build_datamodule(read_checkpoint(best).config).predict_dataloader()
        pairs = []
        for reference, batch in zip(expected, batches, strict=True):
            with torch.no_grad():
                preds = model.predict_batch(batch)
            assert [info.path for info in preds.imgs_info] == [info.path for info in reference.imgs_info]
            pairs.append((preds, reference))
        return Rebuilt(hparams, pairs)

    return rebuild
