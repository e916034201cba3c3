"""Progress output: a TQDM bar in a terminal, one flushed line per epoch in a file."""

import io
import sys

import pytest
import torch
from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.callbacks import TQDMProgressBar
from torch import Tensor, nn
from torch.utils.data import DataLoader, TensorDataset

from otx.engine.progress import LineProgressBar, progress_callback


class _Regressor(LightningModule):
    """Three parameters fitted to random tensors, logging a loss and a validation score to the bar."""

    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.Linear(2, 1)

    def _loss(self, batch: list[Tensor]) -> Tensor:
        inputs, targets = batch
        return nn.functional.mse_loss(self.layer(inputs), targets)

    def training_step(self, batch: list[Tensor], batch_idx: int) -> Tensor:
        loss = self._loss(batch)
        self.log("train/loss", loss, prog_bar=True)
        self.log("train/hidden", loss)  # not on the bar, so not on the line
        return loss

    def validation_step(self, batch: list[Tensor], batch_idx: int) -> None:
        self.log("val/score", 1 / (1 + self._loss(batch)), prog_bar=True)

    def test_step(self, batch: list[Tensor], batch_idx: int) -> None:
        self.log("test/score", 1 / (1 + self._loss(batch)), prog_bar=True)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.1)


def _loader() -> DataLoader[tuple[Tensor, ...]]:
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(16, 2, generator=generator)
    return DataLoader(TensorDataset(inputs, inputs.sum(1, keepdim=True)), batch_size=4)


def _trainer(bar: LineProgressBar) -> Trainer:
    return Trainer(
        max_epochs=2,
        accelerator="cpu",
        callbacks=[bar],
        logger=False,
        enable_checkpointing=False,
        enable_model_summary=False,
    )


def test_line_progress_writes_one_line_per_epoch_with_bar_metrics() -> None:
    stream = io.StringIO()
    bar = LineProgressBar(stream)
    trainer = _trainer(bar)
    trainer.fit(_Regressor(), _loader(), _loader())

    assert trainer.progress_bar_callback is bar  # Lightning added no bar of its own
    output = stream.getvalue()
    assert "\r" not in output
    lines = output.splitlines()
    assert [line.split("  ")[0] for line in lines] == ["epoch 1/2", "epoch 2/2"]
    for line in lines:
        fields = line.split("  ")
        assert [field.split(" ")[0] for field in fields[1:-1]] == ["train/loss", "val/score"]
        assert fields[-1].endswith(" s")


def test_line_progress_writes_one_line_after_testing() -> None:
    stream = io.StringIO()
    model = _Regressor()
    _trainer(LineProgressBar(stream)).test(model, _loader())
    (line,) = stream.getvalue().splitlines()
    assert line.startswith("test  test/score ")
    assert line.endswith(" s")


def test_disabled_line_progress_writes_nothing() -> None:
    stream = io.StringIO()
    bar = LineProgressBar(stream)
    bar.disable()
    _trainer(bar).test(_Regressor(), _loader())
    assert stream.getvalue() == ""


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("stdout_tty", "stderr_tty", "expected"),
    [(True, True, TQDMProgressBar), (False, True, LineProgressBar), (True, False, LineProgressBar)],
)
def test_progress_callback_keeps_the_bar_only_in_a_terminal(
    monkeypatch: pytest.MonkeyPatch, stdout_tty: bool, stderr_tty: bool, expected: type
) -> None:
    monkeypatch.setattr(sys, "stdout", _Stream(stdout_tty))
    monkeypatch.setattr(sys, "stderr", _Stream(stderr_tty))
    assert type(progress_callback()) is expected
