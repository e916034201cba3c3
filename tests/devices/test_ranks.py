"""The rank a process has before Lightning starts, from the launchers' environment variables."""

import pytest

from otx.engine.devices.ranks import global_rank, is_rank_zero

VARIABLES = ("RANK", "SLURM_PROCID", "JSM_NAMESPACE_RANK", "NODE_RANK", "GROUP_RANK", "LOCAL_RANK")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_a_process_started_alone_is_rank_zero() -> None:
    assert global_rank() is None and is_rank_zero()


@pytest.mark.parametrize(
    ("variables", "zero"),
    [
        ({"LOCAL_RANK": "1"}, False),  # Lightning's launcher: the node's second process
        ({"LOCAL_RANK": "0", "NODE_RANK": "0"}, True),  # what Lightning sets in the first process
        ({"NODE_RANK": "1"}, False),  # a second machine started by hand
        ({"RANK": "0", "LOCAL_RANK": "0"}, True),  # torchrun
        ({"RANK": "3", "LOCAL_RANK": "0"}, False),  # torchrun, node 1's first process
        ({"SLURM_PROCID": "2"}, False),
    ],
)
def test_launcher_variables(monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], zero: bool) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert is_rank_zero() is zero
