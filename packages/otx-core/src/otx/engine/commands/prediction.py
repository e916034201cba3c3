"""``predict``: a checkpoint (or exported IR) on the test subset, or on any images and videos (``--source``)."""

import warnings
from collections.abc import Sequence
from typing import Any

from otx.core.data.entity import OTXBatchPredEntity
from otx.core.data.sources import PredictSource, SourcePixels
from otx.core.plugin import find_task, import_object
from otx.engine.build import DataModules, build_model, build_trainer
from otx.engine.plan import RunPlan
from otx.engine.prediction_files import write_prediction_files
from otx.engine.report import print_summary
from otx.engine.workdir import WorkDir

__all__ = ["run_predict"]


def run_predict(plan: RunPlan, work_dir: WorkDir, data: DataModules, save_images: bool) -> list[OTXBatchPredEntity]:
    """Predictions on the plan's source (or the test subset), written to ``predictions.csv`` and ``.json``.

    With ``save_images`` each image (each video frame) is also written to ``images/`` with its prediction drawn.
    """
    checkpoint = str(plan.checkpoint.path) if plan.checkpoint else "-"
    with work_dir.run(plan.command) as run:
        model = build_model(plan.config, plan.checkpoint)
        trainer = build_trainer(plan.config, run, [])
        if plan.source is None:
            preds = _predictions(trainer.predict(model, datamodule=data.get(plan.config)))
            subset = {"data_root": plan.config.data_root, "checkpoint": checkpoint}
            facts = write_prediction_files(model, preds, run, subset, save_images)
        else:
            preds = _predict_source(trainer, model, plan, plan.source)
            about: dict[str, Any] = {
                "source": plan.source.given,
                "checkpoint": checkpoint,
                "skipped": [{"path": path, "reason": why} for path, why in plan.source.skipped],
            }
            pixels = SourcePixels(plan.config.data.max_image_pixels)
            try:
                facts = write_prediction_files(model, preds, run, about, save_images, pixels)
            finally:
                pixels.close()
    counts = {"images": str(sum(len(p.imgs_info) for p in preds))}
    if plan.source is not None and plan.source.skipped:
        counts["skipped (unreadable)"] = str(len(plan.source.skipped))
    print_summary(f"{plan.config.model.name}: predictions", {}, {**counts, **facts})
    return preds


def _predict_source(trainer: Any, model: Any, plan: RunPlan, source: PredictSource) -> list[OTXBatchPredEntity]:
    adapter = import_object(find_task(plan.config.task).dataset_adapter)()
    loaders = source.loaders(adapter, plan.config.data)
    with warnings.catch_warnings():
        # a video's loader has one process, and a video may hold more frames than its header declares
        warnings.filterwarnings("ignore", message=".*Length of IterableDataset.*")
        warnings.filterwarnings("ignore", message=".*`IterableDataset` has `__len__` defined.*")
        outputs = trainer.predict(model, dataloaders=loaders)
    return _predictions(outputs)


def _predictions(outputs: Sequence[Any] | None) -> list[OTXBatchPredEntity]:
    """The prediction batches of ``trainer.predict``'s result (a list per loader where there are several)."""
    flat: list[Any] = []
    for item in outputs or []:
        flat.extend(item if isinstance(item, list) else [item])
    return [batch for batch in flat if isinstance(batch, OTXBatchPredEntity)]
