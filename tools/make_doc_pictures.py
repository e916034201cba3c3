"""Make the prediction pictures of the docs: train each task's model from random init, predict, draw.

For each task below, through the public :class:`otx.engine.Engine`: train the task's default model
from random init on a real dataset of ``../shared/datasets``, then predict with the best checkpoint
on a few held-out images (``save_images=True``) and copy the drawn images, as JPEG at most 640 px
wide and about 150 KB, to ``--out``. A held-out image wider than 640 px is downscaled before the
prediction, so that the boxes and captions OTX draws (sized for the image drawn on) stay readable.

| task | data | held-out images drawn |
|---|---|---|
| ``classification`` | hymenoptera | the first ant and the first bee of ``val/`` (by file name) |
| ``detection`` | BCCD | the first two images of ``ImageSets/Main/test.txt`` |
| ``instance_segmentation`` | car_tree_bug | ``Slide3`` of its ``test`` subset (whose files are also ``val``) |
| ``semantic_segmentation`` | membrane | the first image of the held-back test subset |

Membrane is converted as ``tools/bench_segmentation.py`` does (classes ``membrane`` and ``cell``, 6
held-back test and 4 validation images chosen by ``--seed``), into the work dir, not the repository.

Stdout gets a markdown snippet per task: model, epochs, the best checkpoint's validation metrics
(what ``Engine.train`` returns), the pictures written and the command that made them. Progress
goes to stderr.

Usage (from the repository root, under the CPU lock shared with the benchmarks)::

    OMP_NUM_THREADS=2 flock /tmp/otx-cpu.lock uv run python tools/make_doc_pictures.py
    OMP_NUM_THREADS=2 flock /tmp/otx-cpu.lock uv run python tools/make_doc_pictures.py --tasks detection
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shlex
import shutil
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from bench_common import DATASETS, log, work_root

MAX_WIDTH = 640
MAX_BYTES = 150_000


@dataclass(frozen=True)
class PictureTask:
    """One task's dataset, training length and choice of held-out images."""

    name: str
    dataset: str
    task: str | None
    epochs: int
    monitor: str
    held_out: Callable[[Path], list[Path]]
    """The images to draw, given the data root."""


def _hymenoptera_picks(root: Path) -> list[Path]:
    return [sorted((root / "val" / label).glob("*.jpg"))[0] for label in ("ants", "bees")]


def _bccd_picks(root: Path) -> list[Path]:
    names = (root / "ImageSets" / "Main" / "test.txt").read_text().split()
    return [root / "JPEGImages" / f"{name}.jpg" for name in names[:2]]


def _car_tree_bug_picks(root: Path) -> list[Path]:
    return [root / "images" / "test" / "Slide3.PNG"]  # a car, a tree and a bug; Slide20 has a bug only


def _membrane_picks(root: Path) -> list[Path]:
    return sorted((root / "test" / "images").glob("*.png"), key=lambda p: int(p.stem))[:1]


TASKS = {
    task.name: task
    for task in (
        PictureTask("classification", "hymenoptera", None, 15, "val/accuracy", _hymenoptera_picks),
        PictureTask("detection", "bccd", None, 8, "val/map_50", _bccd_picks),
        PictureTask(
            "instance_segmentation",
            "otx-assets/car_tree_bug",
            "INSTANCE_SEGMENTATION",
            12,
            "val/mask_map_50",
            _car_tree_bug_picks,
        ),
        PictureTask("semantic_segmentation", "membrane", None, 15, "val/mIoU", _membrane_picks),
    )
}


def prepare_data(task: PictureTask, work: Path, seed: int) -> Path:
    """The data root to train on: the shared dataset, or for membrane its converted copy in ``work``."""
    source = DATASETS / task.dataset
    if task.name != "semantic_segmentation":
        return source
    from bench_segmentation import convert_membrane

    return convert_membrane(source, work / "membrane_data", n_val=4, n_test=6, seed=seed)


def copy_sources(images: Sequence[Path], folder: Path) -> None:
    """Put ``images`` into ``folder``, as they are or, where wider than ``MAX_WIDTH``, downscaled (PNG)."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in images:
        with Image.open(path) as image:
            if image.width <= MAX_WIDTH:
                shutil.copy(path, folder / path.name)
                continue
            height = round(image.height * MAX_WIDTH / image.width)
            image.convert("RGB").resize((MAX_WIDTH, height), Image.Resampling.LANCZOS).save(folder / f"{path.stem}.png")


def save_jpeg(drawn: Path, target: Path) -> int:
    """Write ``drawn`` as a JPEG at most ``MAX_WIDTH`` wide and, lowering the quality, about ``MAX_BYTES``."""
    with Image.open(drawn) as opened:
        image = opened.convert("RGB")
    if image.width > MAX_WIDTH:
        image = image.resize((MAX_WIDTH, round(image.height * MAX_WIDTH / image.width)), Image.Resampling.LANCZOS)
    for quality in (90, 85, 80, 75, 70, 60, 50):
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality, optimize=True)
        if buffer.tell() <= MAX_BYTES:
            break
    target.write_bytes(buffer.getvalue())
    return buffer.tell()


def make_pictures(task: PictureTask, work: Path, out: Path, seed: int, epochs: int | None) -> dict[str, Any]:
    """Train, predict on the held-out picks with ``save_images`` and copy the drawings; the facts for the docs."""
    from otx.engine import Engine

    data_root = prepare_data(task, work, seed)
    task_dir = work / task.name
    engine = Engine(data_root=data_root, task=task.task, work_dir=task_dir, seed=seed)
    max_epochs = epochs if epochs is not None else task.epochs
    log(f"{task.name}: training on {data_root} for {max_epochs} epochs")
    start = time.perf_counter()
    metrics = engine.train(max_epochs=max_epochs)
    train_s = time.perf_counter() - start
    model = engine.last_plan.config.model.name if engine.last_plan else "?"

    picks = task.held_out(data_root)
    source = task_dir / "held_out"
    copy_sources(picks, source)
    log(f"{task.name}: predicting on {len(picks)} held-out images")
    Engine(work_dir=task_dir).predict(source=source, save_images=True)
    drawn_dir = task_dir / ".latest" / "predict" / "images"
    prefix = f"{task.name}_{Path(task.dataset).name}_"
    for stale in out.glob(f"{prefix}*.jpg"):
        stale.unlink()
    pictures = []
    for drawn in sorted(drawn_dir.glob("*.png")):
        stem = drawn.stem.split("_", 1)[1]  # drop the <index>_ OTX prefixes
        label = next((p.parent.name for p in picks if p.stem == stem), "")
        name = f"{prefix}{label}_{stem}.jpg" if task.name == "classification" else f"{prefix}{stem}.jpg"
        size = save_jpeg(drawn, out / name)
        pictures.append((name, size))
    return {
        "task": task,
        "model": model,
        "epochs": max_epochs,
        "metrics": metrics,
        "train_s": train_s,
        "data_root": data_root,
        "picks": picks,
        "pictures": pictures,
    }


def print_snippet(facts: dict[str, Any], out: Path, command: str) -> None:
    """The markdown facts of one task for its docs page."""
    task: PictureTask = facts["task"]
    metrics: dict[str, float] = facts["metrics"]
    main = metrics.get(task.monitor, float("nan"))
    others = ", ".join(f"{key} {value:.3f}" for key, value in sorted(metrics.items()) if key != task.monitor)
    print(f"### {task.name}\n")
    print(f"- model: `{facts['model']}`, {facts['epochs']} epochs from random init on `{task.dataset}`")
    print(f"- best checkpoint's validation `{task.monitor}`: {main:.3f} ({others})")
    print(f"- training wall time: {facts['train_s']:.0f} s")
    print(f"- held-out images: {', '.join(p.name for p in facts['picks'])}")
    for name, size in facts["pictures"]:
        print(f"- picture: `{out / name}` ({size / 1000:.0f} KB)")
    print(f"- made by: `{command}`\n")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("docs/images/predictions"), help="where the JPEGs go")
    parser.add_argument("--work_dir", type=Path, help="keep the runs here (default: a temporary folder)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the splits, initialisation and data order")
    parser.add_argument("--tasks", nargs="+", choices=list(TASKS), default=list(TASKS), help="tasks to draw")
    parser.add_argument("--max_epochs", type=int, help="epochs of every task (default: each task's own)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Train and draw each task in turn, then print the snippets."""
    args = parse_args(argv)
    command = shlex.join(["python", "tools/make_doc_pictures.py", *(sys.argv[1:] if argv is None else argv)])
    args.out.mkdir(parents=True, exist_ok=True)
    # OTX prints its plans and tables to stdout: send them to stderr, keep stdout for the snippets
    with work_root(args.work_dir) as work, contextlib.redirect_stdout(sys.stderr):
        results = [make_pictures(TASKS[name], work, args.out, args.seed, args.max_epochs) for name in args.tasks]
    for facts in results:
        print_snippet(facts, args.out, command)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
