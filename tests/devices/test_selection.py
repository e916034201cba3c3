"""Accelerator choice, device counts, Trainer arguments and the XPU accelerator, with torch's XPU API stubbed.

No Intel GPU is reachable where these run: ``torch.xpu`` is monkeypatched wherever it would touch
hardware, so what is tested is OTX's selection and placement logic, not the driver.
"""

import pytest
import torch
from lightning.pytorch.plugins.precision import MixedPrecision
from lightning.pytorch.strategies import DDPStrategy, SingleDeviceStrategy

from otx.core.config.recipe import TrainerConfig
from otx.core.errors import ConfigError
from otx.engine.devices import selection, trainer_args, xpu
from otx.engine.devices.selection import choose_accelerator, resolve_devices
from otx.engine.devices.trainer_args import trainer_device_arguments
from otx.engine.devices.xpu import XPUAccelerator


@pytest.fixture
def fake_xpus(monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """Two Intel GPUs as torch.xpu reports them; ``set_device`` and ``memory_stats`` calls are recorded."""
    calls: dict[str, object] = {}
    monkeypatch.setattr(torch.xpu, "is_available", lambda: True)
    monkeypatch.setattr(torch.xpu, "device_count", lambda: 2)
    monkeypatch.setattr(torch.xpu, "set_device", lambda device: calls.setdefault("set_device", device))
    monkeypatch.setattr(torch.xpu, "memory_stats", lambda device: {"allocated_bytes.all.peak": 123})
    monkeypatch.setattr(torch.xpu, "empty_cache", lambda: calls.setdefault("empty_cache", True))
    return calls


@pytest.fixture
def no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.xpu, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


def test_auto_prefers_xpu_then_cuda_then_cpu(monkeypatch: pytest.MonkeyPatch, no_gpu: None) -> None:
    assert choose_accelerator("auto") == ("cpu", "auto: no Intel XPU or CUDA GPU")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)
    assert choose_accelerator("auto")[0] == "cuda"
    monkeypatch.setattr(torch.xpu, "is_available", lambda: True)
    monkeypatch.setattr(torch.xpu, "device_count", lambda: 1)
    assert choose_accelerator("auto") == ("xpu", "auto: 1 Intel XPU(s)")


def test_an_accelerator_that_is_not_there_is_a_one_line_error(no_gpu: None) -> None:
    with pytest.raises(ConfigError, match=r"trainer.accelerator=xpu .* torch sees none"):
        choose_accelerator("xpu")
    with pytest.raises(ConfigError, match="CUDA GPU"):
        choose_accelerator("cuda")


def test_resolved_settings_and_the_printed_line(no_gpu: None) -> None:
    one, line = resolve_devices(TrainerConfig())
    assert (one.accelerator, one.devices, one.strategy) == ("cpu", 1, "auto")
    assert line == "device: cpu (auto: no Intel XPU or CUDA GPU), 1 device(s), strategy auto, precision 32-true"
    two, line = resolve_devices(TrainerConfig(devices=2))
    assert (two.devices, two.strategy) == (2, "ddp")
    nodes, line = resolve_devices(TrainerConfig(devices=1, num_nodes=2))
    assert nodes.strategy == "ddp" and "1 device(s) x 2 nodes" in line
    with pytest.raises(ConfigError, match="on the CPU give a count"):
        resolve_devices(TrainerConfig(devices="0,1"))
    with pytest.raises(ConfigError, match="at least 1"):
        resolve_devices(TrainerConfig(devices=0))


def test_more_gpus_than_visible_are_refused(fake_xpus: dict[str, object]) -> None:
    with pytest.raises(ConfigError, match="asks for 3 xpu devices; torch sees 2"):
        resolve_devices(TrainerConfig(accelerator="xpu", devices=3))
    every, _ = resolve_devices(TrainerConfig(accelerator="xpu", devices=-1))
    assert every.devices == 2 and every.strategy == "ddp"


def test_the_accelerator_setting_is_validated() -> None:
    with pytest.raises(ConfigError, match="accelerator"):
        TrainerConfig(accelerator="tpu")


def test_xpu_accelerator_parses_places_and_reports(fake_xpus: dict[str, object]) -> None:
    assert XPUAccelerator.is_available() and XPUAccelerator.auto_device_count() == 2
    assert XPUAccelerator.parse_devices(1) == [0]
    assert XPUAccelerator.parse_devices("auto") == [0, 1]
    assert XPUAccelerator.parse_devices("1,0") == [1, 0]
    assert XPUAccelerator.get_parallel_devices([0, 1]) == [torch.device("xpu", 0), torch.device("xpu", 1)]
    with pytest.raises(ConfigError, match="torch.xpu sees 2"):
        XPUAccelerator.parse_devices("0,5")
    accelerator = XPUAccelerator()
    accelerator.setup_device(torch.device("xpu", 1))
    assert fake_xpus["set_device"] == torch.device("xpu", 1)
    with pytest.raises(ConfigError, match="xpu devices only"):
        accelerator.setup_device(torch.device("cpu"))
    assert accelerator.get_device_stats(torch.device("xpu", 0)) == {"allocated_bytes.all.peak": 123}


def test_xpu_registers_in_lightning() -> None:
    from lightning.pytorch.accelerators import AcceleratorRegistry

    xpu.register_xpu()
    xpu.register_xpu()
    assert AcceleratorRegistry["xpu"]["accelerator"] is XPUAccelerator


def test_trainer_arguments_put_a_single_xpu_run_on_the_xpu(fake_xpus: dict[str, object]) -> None:
    arguments = trainer_device_arguments(TrainerConfig(accelerator="xpu", devices=1, precision="bf16-mixed"))
    assert isinstance(arguments["accelerator"], XPUAccelerator)
    strategy = arguments["strategy"]
    assert isinstance(strategy, SingleDeviceStrategy) and strategy.root_device == torch.device("xpu", 0)
    (plugin,) = arguments["plugins"]
    assert isinstance(plugin, MixedPrecision) and plugin.device == "xpu" and plugin.precision == "bf16-mixed"
    assert "precision" not in arguments


@pytest.mark.parametrize(("has_xccl", "backend"), [(True, "xccl"), (False, "gloo")])
def test_several_xpus_train_with_ddp_on_xccl_where_torch_has_it(
    fake_xpus: dict[str, object], monkeypatch: pytest.MonkeyPatch, has_xccl: bool, backend: str
) -> None:
    monkeypatch.setattr(trainer_args, "xccl_available", lambda: has_xccl)
    settings, _ = resolve_devices(TrainerConfig(accelerator="xpu", devices=2))
    arguments = trainer_device_arguments(settings)
    strategy = arguments["strategy"]
    assert isinstance(strategy, DDPStrategy) and strategy._process_group_backend == backend
    assert arguments["devices"] == [0, 1] and arguments["precision"] == "32-true"


def test_cpu_and_cuda_go_to_lightning_by_name(no_gpu: None) -> None:
    settings, _ = resolve_devices(TrainerConfig(devices=2, precision="bf16-mixed"))
    assert trainer_device_arguments(settings) == {
        "accelerator": "cpu",
        "devices": 2,
        "num_nodes": 1,
        "strategy": "ddp",
        "precision": "bf16-mixed",
    }


def test_device_count_of_each_accelerator(fake_xpus: dict[str, object], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert selection.device_count("xpu") == 2
    assert selection.device_count("cuda") == 0
    assert selection.device_count("cpu") == 1
