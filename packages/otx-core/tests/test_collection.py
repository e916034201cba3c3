"""The garbage collector is paused while a plan imports its dataset, and only then."""

import gc
from pathlib import Path

import pytest
from PIL import Image

from otx.engine import engine as engine_module
from otx.engine.collection import collector_paused


def test_paused_inside_restored_after_even_on_error() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_collector_paused_already_stays_paused() -> None:
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_plan_is_resolved_with_the_collector_paused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[bool] = []

    def resolve(*args: object) -> str:
        seen.append(gc.isenabled())
        return "plan"

    monkeypatch.setattr(engine_module, "resolve_plan", resolve)
    (tmp_path / "data" / "cat").mkdir(parents=True)
    Image.new("RGB", (4, 4)).save(tmp_path / "data" / "cat" / "a.png")
    engine = engine_module.Engine(data_root=tmp_path / "data", work_dir=tmp_path / "ws")
    assert engine.plan("train") == "plan"
    assert seen == [False] and gc.isenabled()
