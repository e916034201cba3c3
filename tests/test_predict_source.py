"""``otx predict --source``: images, folders, globs and videos, with a checkpoint and with the exported IR.

The source files are written by the tests: small PNGs, a corrupt JPEG, a photo whose EXIF says "rotate
90 degrees", and a five-frame MP4 written with OpenCV (the library that decodes it).
"""

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image
from torchvision.transforms import v2

from otx.core.data.dataset import OTXDataset
from otx.core.data.entity import OTXBatchPredEntity
from otx.core.data.image_io import read_image
from otx.core.data.sample import Sample
from otx.core.data.sources import find_source
from otx.core.errors import DataError
from otx.core.plugin import find_task, import_object
from otx.core.types.task import OTXTaskType
from otx.engine import Engine

Otx = Callable[..., Any]

EXIF_ORIENTATION = 0x0112
ROTATE_90 = 6
"""EXIF orientation "rotate 90 degrees clockwise to view": the stored pixels are on their side."""


def _png(path: Path, size: tuple[int, int] = (32, 32), value: int = 120) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((size[1], size[0], 3), value, np.uint8)).save(path)
    return path


def _rotated_photo(path: Path) -> Path:
    """A 48x24 (width x height) JPEG whose EXIF orientation turns it into a 24x48 portrait."""
    pixels = np.zeros((24, 48, 3), np.uint8)
    pixels[:, :24] = (230, 40, 40)
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = ROTATE_90
    Image.fromarray(pixels).save(path, exif=exif.tobytes())
    return path


def _video(path: Path, frames: int = 5, size: tuple[int, int] = (40, 32)) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, size)
    assert writer.isOpened()
    for i in range(frames):
        writer.write(np.full((size[1], size[0], 3), 30 * i, np.uint8))
    writer.release()
    return path


def _folder(root: Path) -> Path:
    """Four PNGs (one in a subfolder), a corrupt JPEG in the middle, a README and a .DS_Store."""
    for i, name in enumerate(("a.png", "b.png", "sub/d.png", "e.png")):
        _png(root / name, value=60 * i)
    (root / "c.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not a JPEG")
    (root / "README.txt").write_text("photos of the lab")
    (root / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    return root


def _rows(run: Path) -> list[dict[str, str]]:
    with (run / "predictions.csv").open(encoding="utf-8") as file:
        return list(csv.DictReader(file))


def _latest(work_dir: Path) -> Path:
    return (work_dir / ".latest" / "predict").resolve()


# Reading sources: no model needed


def test_a_folder_lists_images_and_videos_skips_the_corrupt_and_counts_the_rest(tmp_path: Path) -> None:
    root = _folder(tmp_path / "photos")
    _video(root / "clip.mp4")
    source = find_source(root, max_pixels=10**8)
    assert [f.path.name for f in source.images] == ["a.png", "b.png", "e.png", "d.png"]
    assert [(f.path.name, f.frames) for f in source.videos] == [("clip.mp4", 5)]
    assert [Path(path).name for path, _ in source.skipped] == ["c.jpg"]
    assert source.ignored == 2  # README.txt and .DS_Store
    line = source.describe()
    assert "4 image(s), 1 video(s) of 5 frame(s)" in line
    assert "skipped 1 unreadable: " in line and "c.jpg" in line
    assert "2 other file(s) ignored" in line


def test_a_glob_takes_the_matching_files(tmp_path: Path) -> None:
    root = _folder(tmp_path / "photos")
    source = find_source(f"{root}/**/*.png", max_pixels=10**8)
    assert sorted(f.path.name for f in source.files) == ["a.png", "b.png", "d.png", "e.png"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp / "missing", r"Nothing to predict on: .*missing does not exist"),
        (lambda tmp: f"{tmp}/*.png", r"No file matches .*\*\.png"),
        (lambda tmp: (tmp / "README.txt", (tmp / "README.txt").write_text("x"))[0], r"README.txt is neither an image"),
        (
            lambda tmp: (tmp / "docs", (tmp / "docs").mkdir(), (tmp / "docs" / "notes.txt").write_text("x"))[0],
            r"No images or videos in .*docs \(1 other file\(s\) ignored\)",
        ),
        (
            lambda tmp: (tmp / "bad.mp4", (tmp / "bad.mp4").write_bytes(b"not a video" * 50))[0],
            r"Cannot decode video .*bad\.mp4: FFmpeg cannot open it",
        ),
        (
            lambda tmp: (tmp / "bad.png", (tmp / "bad.png").write_bytes(b"\x89PNG broken"))[0],
            r"Cannot read image .*bad\.png",
        ),
    ],
    ids=["missing", "glob-without-match", "not-an-image", "no-images", "undecodable-video", "corrupt-image"],
)
def test_sources_with_nothing_to_predict_are_one_clear_error(
    tmp_path: Path, make: Callable[[Path], Any], message: str
) -> None:
    with pytest.raises(DataError, match=message):
        find_source(make(tmp_path), max_pixels=10**8)


def test_images_are_read_upright_and_as_8_bit_rgb(tmp_path: Path) -> None:
    photo = _rotated_photo(tmp_path / "photo.jpg")
    assert tuple(read_image(str(photo)).shape) == (3, 24, 48)  # a dataset image: as stored
    upright = read_image(str(photo), orient=True)
    assert tuple(upright.shape) == (3, 48, 24)
    assert upright[0, :20, :].float().mean() > 200  # the red half is now on top
    Image.fromarray(np.full((6, 5), 40000, np.uint16)).save(tmp_path / "deep.png")
    Image.fromarray(np.full((6, 5, 4), 200, np.uint8), mode="RGBA").save(tmp_path / "alpha.png")
    for name in ("deep.png", "alpha.png"):
        pixels = read_image(str(tmp_path / name), orient=True)
        assert pixels.dtype.is_floating_point is False and tuple(pixels.shape) == (3, 6, 5)
    assert int(read_image(str(tmp_path / "deep.png"), orient=True)[0, 0, 0]) == 40000 >> 8


@pytest.mark.parametrize("task", list(OTXTaskType), ids=lambda task: task.value)
def test_every_task_batches_unlabelled_images(tmp_path: Path, task: OTXTaskType) -> None:
    """Each task's placeholder target goes through the transforms and its batch, as a labelled image would."""
    adapter = import_object(find_task(task).dataset_adapter)()
    samples = [
        Sample(index=i, path=str(_png(tmp_path / f"{i}.png", size=(40 + 8 * i, 24))), array=None, target=None)
        for i in range(2)
    ]
    dataset = OTXDataset(samples, adapter, v2.Resize([16, 16]), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), orient=True)
    batch = adapter.collate([dataset[0], dataset[1]])
    assert tuple(batch.images.shape) == (2, 3, 16, 16)
    assert [info.ori_shape for info in batch.imgs_info] == [(24, 40), (24, 48)]


# Predicting: one small trained classifier, its checkpoint and its IR


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, shapes_root: Path, small: dict[str, Any]) -> dict[str, Any]:
    """A work dir with a one-epoch training run and its export."""
    work_dir = tmp_path_factory.mktemp("predict_source") / "ws"
    Engine(data_root=shapes_root, work_dir=work_dir, overrides=small).train(max_epochs=1)
    exported = Engine(work_dir=work_dir).export(formats=("openvino",))
    return {"work_dir": work_dir, "ir": exported["OpenVINO IR FP32"]}


@pytest.mark.e2e
@pytest.mark.parametrize("model", ["checkpoint", "ir"])
def test_predict_on_a_folder_skips_the_corrupt_file_and_predicts_the_rest(
    trained: dict[str, Any], tmp_path: Path, otx: Otx, classes: tuple[str, ...], model: str
) -> None:
    root = _folder(tmp_path / "photos")
    checkpoint = ["--checkpoint", trained["ir"]] if model == "ir" else []
    result = otx("predict", "--source", root, *checkpoint, "--work_dir", trained["work_dir"])
    assert result.code == 0, result.err
    assert "skipped 1 unreadable" in result.out and "c.jpg" in result.out
    run = _latest(trained["work_dir"])
    rows = _rows(run)
    assert sorted(Path(row["path"]).name for row in rows) == ["a.png", "b.png", "d.png", "e.png"]
    assert {row["label"] for row in rows} <= set(classes)
    saved = json.loads((run / "predictions.json").read_text(encoding="utf-8"))
    assert saved["predictions"] == rows
    assert [Path(item["path"]).name for item in saved["skipped"]] == ["c.jpg"]
    assert not (run / "images").exists()  # drawn only with --save_images


@pytest.mark.e2e
def test_predict_on_a_glob_and_a_single_image(trained: dict[str, Any], tmp_path: Path, otx: Otx) -> None:
    root = _folder(tmp_path / "photos")
    assert otx("predict", "--source", f"{root}/*.png", "--work_dir", trained["work_dir"]).code == 0
    assert [Path(row["path"]).name for row in _rows(_latest(trained["work_dir"]))] == ["a.png", "b.png", "e.png"]
    assert otx("predict", "--source", root / "b.png", "--work_dir", trained["work_dir"]).code == 0
    assert [Path(row["path"]).name for row in _rows(_latest(trained["work_dir"]))] == ["b.png"]


@pytest.mark.e2e
@pytest.mark.parametrize("model", ["checkpoint", "ir"])
def test_predict_on_a_video_gives_a_row_and_a_drawn_image_per_frame(
    trained: dict[str, Any], tmp_path: Path, model: str
) -> None:
    clip = _video(tmp_path / "clip.mp4")
    checkpoint = trained["ir"] if model == "ir" else None
    preds = Engine(work_dir=trained["work_dir"]).predict(checkpoint=checkpoint, source=clip, save_images=True)
    infos = [info for batch in preds for info in batch.imgs_info]
    assert [(info.path, info.frame) for info in infos] == [(str(clip), frame) for frame in range(5)]
    run = _latest(trained["work_dir"])
    assert [(row["path"], row["frame"]) for row in _rows(run)] == [(str(clip), str(frame)) for frame in range(5)]
    drawn = sorted(p.name for p in (run / "images").iterdir())
    assert drawn == [f"00000_clip_{frame:06d}.png" for frame in range(5)]
    assert Image.open(run / "images" / drawn[0]).size == (40, 32)


@pytest.mark.e2e
def test_predictions_come_back_typed_and_drawn_right_side_up(trained: dict[str, Any], tmp_path: Path) -> None:
    from otx.classification.entities import MulticlassClsBatchPredEntity

    photo = _rotated_photo(tmp_path / "photo.jpg")
    preds = Engine(work_dir=trained["work_dir"]).predict(source=photo, save_images=True)
    assert all(isinstance(batch, MulticlassClsBatchPredEntity) for batch in preds)
    assert isinstance(preds[0], OTXBatchPredEntity)
    (info,) = preds[0].imgs_info
    assert (info.path, info.ori_shape) == (str(photo), (48, 24))  # (height, width) after the EXIF rotation
    (drawn,) = (_latest(trained["work_dir"]) / "images").iterdir()
    width, height = Image.open(drawn).size
    assert (width, height) == (24, 48)  # portrait, as a photo viewer shows it
    red = np.asarray(Image.open(drawn))[..., 0].astype(float)
    assert red[16:22, 6:18].mean() > 200  # the red half on top (below the caption)
    assert red[30:40, 6:18].mean() < 100


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda tmp: tmp / "missing", "does not exist"),
        (lambda tmp: (tmp / "empty", (tmp / "empty").mkdir())[0], "No images or videos in"),
        (lambda tmp: (tmp / "bad.mp4", (tmp / "bad.mp4").write_bytes(b"not a video" * 50))[0], "Cannot decode video"),
    ],
    ids=["missing", "empty-folder", "undecodable-video"],
)
def test_bad_sources_are_one_line_and_leave_no_run(
    trained: dict[str, Any], tmp_path: Path, otx: Otx, make: Callable[[Path], Path], words: str
) -> None:
    before = _latest(trained["work_dir"]) if (trained["work_dir"] / ".latest" / "predict").exists() else None
    source = make(tmp_path)
    result = otx("predict", "--source", source, "--work_dir", trained["work_dir"])
    assert result.code == 2
    assert words in result.error_line and source.name in result.error_line
    after = _latest(trained["work_dir"]) if (trained["work_dir"] / ".latest" / "predict").exists() else None
    assert after == before


@pytest.mark.e2e
def test_the_engine_that_trained_predicts_on_new_images(
    trained: dict[str, Any], tmp_path: Path, shapes_root: Path, otx: Otx
) -> None:
    """``Engine(data_root=...)`` then ``predict(source=...)``: the engine's dataset is not read for it."""
    root = _folder(tmp_path / "photos")
    preds = Engine(data_root=shapes_root, work_dir=trained["work_dir"]).predict(source=f"{root}/*.png")
    assert sorted(Path(info.path).name for batch in preds for info in batch.imgs_info) == ["a.png", "b.png", "e.png"]
    both = otx("predict", "--source", root, "--data_root", shapes_root, "--work_dir", trained["work_dir"])
    assert both.code == 2 and "--source or on the test subset of --data_root" in both.error_line
