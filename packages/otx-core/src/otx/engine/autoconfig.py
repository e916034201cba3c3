"""Auto-configuration: from a data root (and optionally a task or model) to a run config, with reasons."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from otx.core.config.recipe import RunConfig
from otx.core.config.recipe_loader import recipe_config
from otx.core.data.annotations import count_annotations, describe, task_for_annotations
from otx.core.data.custom_format import installed_formats
from otx.core.data.formats import candidate_formats, check_data_root, choose_format, import_dataset
from otx.core.data.strays import scan
from otx.core.errors import DataError
from otx.core.plugin import TaskSpec, all_specs, find_task
from otx.core.types.task import OTXTaskType, parse_task
from otx.engine.pretrained import pick_default_model, resolve_weights

__all__ = ["auto_configure", "format_for_task"]


def _spec_for_formats(candidates: list[str], root: Path) -> tuple[TaskSpec, str, str]:
    """The task of the folder, with the format it reads it in and why, where the annotations decided.

    A candidate format that a task claims (``default_for_formats``) decides; else the first candidate that
    any task reads. Where several tasks read it and some claim annotation types (Datumaro JSON holds
    labels, boxes or masks alike), the annotations the dataset holds decide. The format and the reason
    are ``""`` where the format alone decided.
    """
    specs = list(all_specs().values())
    if not specs:
        raise DataError("No task package is installed: pip install otx-classification (or otx-detection, ...)")
    for fmt in candidates:
        for spec in specs:
            if fmt in spec.default_for_formats:
                return spec, "", ""
    for fmt in candidates:
        readers = [spec for spec in specs if fmt in spec.formats]
        if len(readers) > 1 and any(spec.default_for_annotations for spec in readers):
            counts = count_annotations(import_dataset(root, fmt))
            chosen = task_for_annotations(counts, readers)
            if chosen is not None:
                return chosen, fmt, _annotation_reason(chosen, counts, readers)
        if readers:
            return readers[0], "", ""
    raise DataError(
        f"{root} looks like {candidates}, which no installed task reads. Installed tasks: "
        f"{', '.join(s.task.value for s in specs)}; pass --task, or install the package for this format"
    )


def _annotation_reason(chosen: TaskSpec, counts: Mapping[str, int], readers: list[TaskSpec]) -> str:
    """Why the annotations make the folder ``chosen``'s, and the ``--task`` of each other task that trains on them."""
    read = {kind: count for kind, count in counts.items() if kind in chosen.annotations}
    held = f"the data holds {describe(counts)}"
    reads = (
        f"{held}, which {chosen.task.value} reads"
        if len(read) == len(counts)
        else f"{held}; {chosen.task.value} reads the {describe(read, counted=False)}"
    )
    others = [
        spec.task.value
        for spec in readers
        if spec.task != chosen.task and any(counts.get(kind) for kind in spec.annotations)
    ]
    flags = " or ".join(f"--task {task}" for task in others)
    serves = f"; {flags} trains that task on the same data instead" if others else ""
    return f"derived from the annotations: {reads}{serves}"


def format_for_task(spec: TaskSpec, root: Path, candidates: list[str] | None = None) -> str:
    """The format of ``root`` that ``spec``'s task reads, or an error naming what it found."""
    found = candidate_formats(root) if candidates is None else candidates
    data_format = choose_format(found, spec.formats, root)
    if data_format not in spec.formats:
        raise DataError(
            f"{root} is in format '{data_format}', which task {spec.task.value} does not read "
            f"(it reads: {', '.join(spec.formats)})"
        )
    return data_format


def auto_configure(
    data_root: str | Path,
    task: str | OTXTaskType | None = None,
    model: str | None = None,
    seed: int | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> tuple[RunConfig, list[str]]:
    """Detect format and task, pick the model and recipe; return the config and what was chosen, in words."""
    root = check_data_root(data_root)
    candidates = candidate_formats(root)
    if task is not None:
        spec = find_task(parse_task(task))
        data_format = format_for_task(spec, root, candidates)
    else:
        data_format = choose_format(candidates, [], root) if len(candidates) <= 1 else ""
        spec, by_annotations, derived = _spec_for_formats(candidates, root)
        preferred = [by_annotations] if by_annotations else [*spec.default_for_formats, *spec.formats]
        data_format = data_format or choose_format(candidates, preferred, root)
    base: dict[str, Any] = {"task": spec.task.value, "data_root": str(root.resolve()), "data_format": data_format}
    if seed is not None:
        base["seed"] = seed
    model_name, model_reason = (model, "(given)") if model else pick_default_model(spec)
    config, weights = resolve_weights(recipe_config(spec, model_name, base, overrides))
    how = (
        "given"
        if task is not None
        else derived or f"derived from the format{_other_readings(spec, data_format, candidates)}"
    )
    choices = [
        f"task:   {spec.task.value} ({how})",
        f"model:  {config.model.name} {model_reason}",
        *([weights] if weights and model else []),  # a default model's line says where its weights come from
        f"data:   {data_format} in {root} (detected)",
    ]
    ignored = scan(root).note()
    if ignored:
        choices.append(f"ignored: {ignored}")
    return config, choices


def _other_readings(chosen: TaskSpec, data_format: str, candidates: list[str]) -> str:
    """Where the folder also reads as other tasks: why this reading won, and the ``--task`` for each other one."""
    others: dict[OTXTaskType, str] = {}
    for fmt in candidates:
        for spec in all_specs().values():
            if spec.task != chosen.task and fmt in spec.default_for_formats:
                others.setdefault(spec.task, _layout(fmt))
    same_format = [
        spec.task.value
        for spec in all_specs().values()
        if spec.task != chosen.task and spec.task not in others and data_format in spec.formats
    ]
    flags = " or ".join(f"--task {task}" for task in same_format)
    serves = f"; {flags} trains that task on the same data instead" if same_format else ""
    if not others:
        return serves
    alternatives = "; ".join(f"as {task.value} ({layout}) with --task {task.value}" for task, layout in others.items())
    return f": {_layout(data_format)} is the most specific reading of the folder; it also reads {alternatives}{serves}"


def _layout(data_format: str) -> str:
    reader = installed_formats().get(data_format)
    return reader.layout if reader is not None and reader.layout else data_format
