"""Lightning's DDP on the CPU (gloo): two processes on one machine, and two single-process "nodes" on localhost.

Validation covers the validation subset exactly once (an unpadded distributed sampler: 5 images over
2 processes are 3 + 2, not 3 + 3), only rank zero writes the run folder, and a run resumes.
Lightning's DDP launcher starts the other processes as copies of the command line, so each run is an
``otx`` subprocess here, never an in-process call.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

TIMEOUT = 600
"""Seconds a distributed run may take on two loaded cores (it takes well under a minute alone)."""

SMALL = ["--set", "data.input_size=[32,32]", "--set", "data.batch_size=2", "--set", "data.num_workers=0"]


def make_subsets(root: Path, train: int = 8, val: tuple[int, int] = (3, 2)) -> Path:
    """``root/{train,val}/<class>/*.png``: ``train`` images per class, ``val`` images of each class (5 in all)."""
    rng = np.random.default_rng(0)
    for subset, counts in (("train", (train, train)), ("val", val)):
        for kind, count in zip(("red", "blue"), counts, strict=True):
            (root / subset / kind).mkdir(parents=True, exist_ok=True)
            for i in range(count):
                pixels = rng.integers(0, 60, (32, 32, 3), dtype=np.uint8)
                pixels[8:24, 8:24, 0 if kind == "red" else 2] = 220
                Image.fromarray(pixels).save(root / subset / kind / f"{kind}_{i:02d}.png")
    return root


def otx_process(args: list[str], **environment: str) -> subprocess.Popen[str]:
    """``otx <args>`` in a subprocess with one thread per process and ``environment`` added."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", **environment}
    return subprocess.Popen(
        [sys.executable, "-m", "otx.cli.main", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> str:
    """The process's output once it ends; fails with that output unless it exits 0."""
    try:
        out, _ = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
        raise AssertionError(f"otx did not end in {TIMEOUT} s:\n{out}") from None
    assert process.returncode == 0, out
    return out


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def train_runs(work_dir: Path) -> list[Path]:
    """The run folders of ``train`` in ``work_dir``."""
    return sorted(path for path in work_dir.iterdir() if path.name.endswith("_train"))


def saved_metrics(run: Path) -> dict[str, float]:
    return dict(json.loads((run / "metrics.json").read_text(encoding="utf-8")))


HYMENOPTERA = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "hymenoptera"


@pytest.fixture(scope="module")
def subsets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_subsets(tmp_path_factory.mktemp("data") / "shapes")


def test_two_processes_train_validate_each_image_once_and_resume(subsets: Path, tmp_path: Path) -> None:
    args = ["train", "--data_root", str(subsets), "--work_dir", str(tmp_path), *SMALL]
    out = finish(otx_process([*args, "--devices", "2", "--max_epochs", "1"]))
    assert out.count("otx train") == 1, out  # the plan is printed once, by rank zero
    assert "2 device(s), strategy ddp" in out
    (run,) = train_runs(tmp_path)  # the second process wrote no run folder of its own
    assert saved_metrics(run)["val_images"] == 5
    config = yaml.safe_load((run / "config.yaml").read_text(encoding="utf-8"))["trainer"]
    assert (config["accelerator"], config["devices"], config["strategy"]) == ("cpu", 2, "ddp")
    assert sorted(path.name for path in (run / "checkpoints").iterdir()) == ["best.ckpt", "last.ckpt"]

    finish(otx_process(["train", "--resume", "--work_dir", str(tmp_path), "--max_epochs", "2"]))
    assert train_runs(tmp_path) == [run]
    metrics = saved_metrics(run)
    assert metrics["epochs"] == 2 and metrics["val_images"] == 5
    assert len(list(run.glob("logs*"))) == 2  # the resumed part logs next to the first


def test_two_nodes_on_localhost(subsets: Path, tmp_path: Path) -> None:
    """Each "node" is an ``otx train`` started by hand, as on two machines sharing the work dir."""
    args = ["train", "--data_root", str(subsets), "--work_dir", str(tmp_path), *SMALL]
    args += ["--num_nodes", "2", "--devices", "1", "--max_epochs", "1"]
    cluster = {"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(free_port()), "WORLD_SIZE": "2"}
    nodes = [otx_process(args, **cluster, NODE_RANK=str(rank)) for rank in (0, 1)]
    outputs = [finish(node) for node in nodes]
    assert "1 device(s) x 2 nodes, strategy ddp" in outputs[0]
    assert "otx train" not in outputs[1]  # node 1 prints no plan and writes no run folder
    (run,) = train_runs(tmp_path)
    assert saved_metrics(run)["val_images"] == 5


@pytest.mark.e2e
@pytest.mark.skipif(not HYMENOPTERA.is_dir(), reason="the hymenoptera dataset is not here")
def test_hymenoptera_validation_counts_all_153_images_once(tmp_path: Path) -> None:
    args = ["train", "--data_root", str(HYMENOPTERA), "--work_dir", str(tmp_path), "--devices", "2"]
    args += ["--max_epochs", "1", "--set", "data.input_size=[64,64]", "--set", f"data.num_workers={0}"]
    finish(otx_process(args))
    (run,) = train_runs(tmp_path)
    assert saved_metrics(run)["val_images"] == 153
    assert os.path.isfile(run / "report.html")
