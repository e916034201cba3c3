"""``explain``: saliency maps of a checkpoint on the test subset, as overlays (PNG) and arrays (``.npz``)."""

import sys
from pathlib import Path

import torch
from tqdm import tqdm

from otx.core.data.image_io import read_image
from otx.core.explain.overlay import save_explanation
from otx.core.model.base import OTXModel
from otx.engine.build import DataModules, build_model
from otx.engine.plan import RunPlan
from otx.engine.report import print_summary
from otx.engine.workdir import WorkDir

__all__ = ["run_explain"]


def run_explain(plan: RunPlan, work_dir: WorkDir, data: DataModules) -> Path:
    """Write, per test image, ``<index>_<name>.npz`` and one overlay per class into ``saliency/``; returns it."""
    model = build_model(plan.config, plan.checkpoint).eval()
    if type(model).explain is OTXModel.explain:
        model.explain_module()  # a model without saliency maps says so before a run folder is made
    loader = data.get(plan.config).predict_dataloader()
    images = arrays = 0
    with work_dir.run(plan.command) as run, torch.no_grad():
        folder = run / "saliency"
        bar = tqdm(loader, desc="explain", unit="batch", disable=not sys.stderr.isatty())
        for batch in bar:
            saliency = model.explain(batch)
            for info, maps, tensor in zip(batch.imgs_info, saliency, batch.images, strict=True):
                image = read_image(info.path) if info.path is not None else _denormalized(tensor, plan)
                stem = f"{info.index:05d}_{Path(info.path).stem}" if info.path else f"{info.index:05d}"
                arrays += 1
                images += len(save_explanation(image, maps, model.label_info.label_names, folder, stem))
    print_summary(
        f"{plan.config.model.name}: saliency maps",
        {},
        {"images": str(arrays), "overlays": f"{images} PNG in {folder}", "arrays": f"{arrays} .npz in {folder}"},
    )
    return folder


def _denormalized(image: torch.Tensor, plan: RunPlan) -> torch.Tensor:
    """An in-memory image (no file) back to ``uint8`` from its normalized tensor."""
    image = image.cpu()
    mean = torch.tensor(plan.config.data.mean)[:, None, None]
    std = torch.tensor(plan.config.data.std)[:, None, None]
    return ((image * std + mean) * 255).round().clamp(0, 255).to(torch.uint8)
