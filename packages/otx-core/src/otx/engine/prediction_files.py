"""What ``predict`` writes to its run folder: ``predictions.csv``, ``predictions.json`` and drawn images.

Each file is written whole or not at all: drawn images go to a temporary folder renamed to ``images/``
once all are drawn, and the tables are written last, each by an atomic rename.
"""

import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from attrs import evolve

from otx.core.data.entity import OTXBatchPredEntity
from otx.core.model.base import OTXModel
from otx.engine.drawing import ReadPixels, read_image_file, save_drawn_predictions
from otx.engine.report import write_predictions

__all__ = ["prediction_rows", "write_prediction_files"]


def prediction_rows(model: OTXModel[Any, Any], batches: Sequence[OTXBatchPredEntity]) -> list[dict[str, str]]:
    """The model's table rows for every image; a ``frame`` column follows ``path`` where any image is a video frame.

    A task may write several rows per image (detection: one per box), so each image's rows are found by
    a key the model writes as their ``path``, which is then put back.
    """
    if not any(info.frame is not None for batch in batches for info in batch.imgs_info):
        return [row for batch in batches for row in model.prediction_rows(batch)]
    rows = []
    for batch in batches:
        keys = {f"\0{i}": info for i, info in enumerate(batch.imgs_info)}
        tagged = evolve(batch, imgs_info=[evolve(info, path=key) for key, info in keys.items()])
        for row in model.prediction_rows(tagged):
            info = keys[row["path"]]
            rest = {key: value for key, value in row.items() if key != "path"}
            rows.append(
                {"path": info.path or str(info.index), "frame": "" if info.frame is None else str(info.frame), **rest}
            )
    return rows


def write_prediction_files(
    model: OTXModel[Any, Any],
    batches: Sequence[OTXBatchPredEntity],
    run: Path,
    about: Mapping[str, Any],
    save_images: bool = False,
    read: ReadPixels = read_image_file,
) -> dict[str, str]:
    """Write the run's prediction files, and with ``save_images`` the images (from ``read``) with predictions drawn.

    ``about`` (source, checkpoint, skipped files) heads ``predictions.json``. Returns what was written, for the summary.
    """
    facts: dict[str, str] = {}
    if save_images:
        drawing = run / ".images.tmp"
        try:
            drawn = save_drawn_predictions(model, batches, drawing, read)
            shutil.rmtree(run / "images", ignore_errors=True)
            drawing.replace(run / "images")
        finally:
            shutil.rmtree(drawing, ignore_errors=True)
        facts["drawn"] = f"{drawn} image(s) in {run / 'images'}"
    rows = prediction_rows(model, batches)
    _write_json({**about, "predictions": rows}, run / "predictions.json")
    write_predictions(rows, run / "predictions.csv")
    facts["written to"] = f"{run / 'predictions.csv'} and .json"
    return facts


def _write_json(data: Mapping[str, Any], path: Path) -> None:
    """Write ``data`` as JSON by an atomic rename (file names that are not UTF-8 stay escaped)."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(json.dumps(dict(data), indent=2), encoding="utf-8")
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
