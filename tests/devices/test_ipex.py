"""IPEX use: when it is taken, why not otherwise, and what the callback hands Lightning (IPEX stubbed).

The real IPEX runs in its own environment: ``uv run nox -s ipex`` (see docs/devices.md).
"""

import sys
import types
from typing import Any

import pytest
import torch

from otx.engine.devices import ipex
from otx.engine.devices.ipex import IPEXOptimize, find_ipex, ipex_callbacks


def fake_ipex(version: str, bf16_prepack: bool = True) -> types.ModuleType:
    module = types.ModuleType("intel_extension_for_pytorch")
    module.__version__ = version  # type: ignore[attr-defined]
    module._C = types.SimpleNamespace(onednn_has_bf16_support=lambda: bf16_prepack)  # type: ignore[attr-defined]
    calls: list[dict[str, Any]] = []

    def optimize(model: Any, optimizer: Any, dtype: torch.dtype, inplace: bool, **options: Any) -> tuple[Any, Any]:
        calls.append({"model": model, "dtype": dtype, "inplace": inplace, **options})
        return model, ("optimized", optimizer)

    module.optimize = optimize  # type: ignore[attr-defined]
    module.calls = calls  # type: ignore[attr-defined]
    return module


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> Any:
    def install(module: types.ModuleType) -> None:
        monkeypatch.setitem(sys.modules, "intel_extension_for_pytorch", module)
        monkeypatch.setattr(ipex.importlib.util, "find_spec", lambda name: object())

    return install


def test_not_installed_means_plain_torch_and_no_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ipex.importlib.util, "find_spec", lambda name: None)
    assert find_ipex() == (None, "not installed")
    assert ipex_callbacks("cpu", "32-true", enabled=True) == ([], None)


def test_an_ipex_for_another_torch_is_not_used_and_the_run_says_why(installed: Any) -> None:
    installed(fake_ipex("2.8.0+cpu"))
    torch_minor = ".".join(torch.__version__.split(".")[:2])
    if torch_minor == "2.8":
        pytest.skip("this environment has torch 2.8, which that IPEX matches")
    callbacks, line = ipex_callbacks("cpu", "32-true", enabled=True)
    assert callbacks == []
    assert line == f"ipex:   not used: installed (2.8.0+cpu), but built for another torch than {torch.__version__}"


def test_a_matching_ipex_optimizes_model_and_optimizer(installed: Any) -> None:
    module = fake_ipex(torch.__version__.split("+")[0] + "+cpu", bf16_prepack=False)
    installed(module)
    callbacks, line = ipex_callbacks("cpu", "bf16-mixed", enabled=True)
    (callback,) = callbacks
    assert isinstance(callback, IPEXOptimize) and line is not None and line.endswith("bfloat16")
    model = torch.nn.Linear(2, 2).eval()
    trainer = types.SimpleNamespace(strategy=types.SimpleNamespace(optimizers=["sgd"]))
    callback.on_fit_start(trainer, model)  # type: ignore[arg-type]
    assert trainer.strategy.optimizers == [("optimized", "sgd")]
    (call,) = module.calls
    assert call["model"] is model and call["dtype"] == torch.bfloat16 and call["inplace"]
    assert call["weights_prepack"] is False  # no AVX-512 bf16 prepacking on this (stubbed) CPU
    assert not model.training  # the mode it had is back


def test_off_the_cpu_or_switched_off_no_ipex(installed: Any) -> None:
    installed(fake_ipex(torch.__version__))
    assert ipex_callbacks("cuda", "32-true", enabled=True) == ([], None)
    assert ipex_callbacks("cpu", "32-true", enabled=False) == ([], "ipex:   off (trainer.ipex=false)")
