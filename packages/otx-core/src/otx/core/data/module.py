"""The Lightning data module: import once, split, check images, serve dataloaders."""

import copy
import itertools
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from datumaro.components.annotation import AnnotationType, LabelCategories
from datumaro.components.dataset import Dataset
from datumaro.components.media import Image as DmImage
from lightning import LightningDataModule
from lightning.pytorch.overrides.distributed import UnrepeatedDistributedSampler
from torch import Tensor
from torch.utils.data import DataLoader

from otx.core.config.recipe import DataConfig
from otx.core.data.adapter import TaskDataAdapter
from otx.core.data.annotations import count_annotations, describe, task_for_annotations
from otx.core.data.dataset import OTXDataset
from otx.core.data.formats import import_dataset
from otx.core.data.image_cache import cache_images, fits_lazily, wants_cache
from otx.core.data.image_checks import ImageChecks, check_images
from otx.core.data.sample import Sample
from otx.core.data.split import canonical_subset, split_train_val
from otx.core.data.transforms import build_transforms
from otx.core.errors import DataError
from otx.core.plugin import all_specs
from otx.core.types.label import LabelInfo
from otx.core.types.task import OTXTaskType

__all__ = ["OTXDataModule", "default_num_workers"]

log = logging.getLogger(__name__)


def default_num_workers() -> int:
    """Leave one core to the model: ``cores - 1`` loader processes, at most 4; none on one or two cores.

    On two cores a loader process beside torch's two threads slowed every step more than it saved
    (``tools/profile_training.py``, docs/benchmarks.md).
    """
    cores = os.cpu_count() or 1
    return 0 if cores <= 2 else min(4, cores - 1)


def _last_batch_is_single(images: int, batch_size: int) -> bool:
    """Whether a training epoch would end in a batch of one image, which batch norm cannot train on.

    Only that batch is dropped (one image an epoch, another each epoch as the order is shuffled); a
    larger incomplete batch trains: on 6 images at batch 4, dropping it halved the optimizer steps.
    """
    return images > batch_size and images % batch_size == 1


class OTXDataModule(LightningDataModule):
    """Subsets ``train``/``val``/``test`` of one dataset, with label info fixed at construction."""

    def __init__(
        self,
        adapter: TaskDataAdapter[Any, Any],
        data_root: Path,
        data_format: str,
        config: DataConfig,
        seed: int = 0,
        label_names: Sequence[str] | None = None,
        min_classes: int = 1,
        check_cache: Path | None = None,
        task: OTXTaskType | None = None,
    ) -> None:
        super().__init__()
        self.task = task
        """The task the adapter reads for, named where the data holds no annotation it reads."""
        self.data_format = data_format
        self.check_cache = check_cache
        """Where the image checks' outcomes are kept between runs (:mod:`~otx.core.data.image_checks`)."""
        self.image_checks: ImageChecks | None = None
        self._decoded_images: dict[str, dict[int, Tensor]] = {}
        self._lazy_fill: dict[str, bool] = {}
        self.adapter = adapter
        self.data_root = data_root
        self.config = config
        dataset = import_dataset(data_root, data_format)
        names = _category_names(dataset)
        categories = dataset.categories().get(AnnotationType.label)
        hierarchy = adapter.label_hierarchy(categories) if isinstance(categories, LabelCategories) else None
        self.label_info = LabelInfo.from_names(label_names if label_names is not None else names, hierarchy)
        if self.label_info.num_classes < min_classes:
            raise DataError(
                f"{data_root} has {self.label_info.num_classes} class(es) {list(names)}; this task needs at least "
                f"{min_classes}. Add images of other classes."
            )
        self.subsets = self._split(self._samples_by_subset(dataset, names), seed, dataset)
        if config.check_images:
            self._check_images()

    def _samples_by_subset(self, dataset: Dataset, names: Sequence[str]) -> dict[str, list[Sample]]:
        label_map = [self._index_of(name) for name in names]
        subsets: dict[str, list[Sample]] = {}
        indices = itertools.count()
        for item in dataset:
            target = self.adapter.target_from_item(item, label_map)
            if target is None:
                continue
            media = item.media
            if not isinstance(media, DmImage):
                raise DataError(f"Item '{item.id}' in {self.data_root} has no image")
            path = getattr(media, "path", None) or None
            subset = subsets.setdefault(canonical_subset(item.subset or "default"), [])
            array = None if path else _bgr_to_rgb(media.data)
            subset.append(Sample(index=next(indices), path=path, array=array, target=target))
        for warning in self.adapter.import_warnings():
            log.warning("%s: %s", self.data_root, warning)
        return subsets

    def _index_of(self, name: str) -> int:
        if name not in self.label_info.label_names:
            raise DataError(
                f"Label '{name}' in {self.data_root} is not one of the model's labels "
                f"{list(self.label_info.label_names)}"
            )
        return self.label_info.label_names.index(name)

    def _split(self, subsets: dict[str, list[Sample]], seed: int, dataset: Dataset) -> dict[str, list[Sample]]:
        pool = subsets.pop("default", [])
        if "train" not in subsets:
            subsets["train"] = pool
        if not any(self.adapter.labels_of(sample.target) for sample in subsets["train"]):
            task = f" for {self.task.value}" if self.task is not None else ""
            raise DataError(f"No labelled training images found in {self.data_root}{task}{self._other_task(dataset)}")
        if "val" not in subsets:
            subsets["train"], subsets["val"] = split_train_val(
                subsets["train"],
                self.config.val_fraction,
                seed,
                lambda s: self.adapter.stratify_key(s.target),
            )
            log.info(
                "No validation subset in %s: held out %d images (seed %d)",
                self.data_root,
                len(subsets["val"]),
                seed,
            )
        if not subsets["val"]:
            raise DataError(
                f"The validation subset of {self.data_root} is empty; add images or raise data.val_fraction"
            )
        if not subsets["train"]:
            raise DataError(f"No training images left in {self.data_root} after the split; lower data.val_fraction")
        subsets.setdefault("test", subsets["val"])
        return subsets

    def _other_task(self, dataset: Dataset) -> str:
        """What ``dataset`` holds and the ``--task`` that trains on it, where another task claims it; else ``""``."""
        counts = count_annotations(dataset)
        others = [s for s in all_specs().values() if s.task != self.task and self.data_format in s.formats]
        spec = task_for_annotations(counts, others)
        return f": the data holds {describe(counts)}; run with --task {spec.task.value}" if spec is not None else ""

    def _check_images(self) -> None:
        paths = list(dict.fromkeys(s.path for subset in self.subsets.values() for s in subset if s.path is not None))
        trained = {s.path for s in self.subsets["train"]}
        evaluated = [path for path in paths if path not in trained]  # decoded: metrics are over the images named
        self.image_checks = check_images(paths, self.config.max_image_pixels, self.check_cache, decode=evaluated)
        problems = list(self.image_checks.problems.items())
        if not problems:
            return
        listing = "; ".join(f"{path} ({why})" for path, why in problems[:5])
        more = f" and {len(problems) - 5} more" if len(problems) > 5 else ""
        if not self.config.skip_unreadable_images:
            raise DataError(
                f"{len(problems)} unreadable image(s): {listing}{more}. Fix or remove them, "
                "or set data.skip_unreadable_images=true to train without them"
            )
        log.warning("Skipping %d unreadable image(s): %s%s", len(problems), listing, more)
        bad = {path for path, _ in problems}
        self.subsets = {name: [s for s in subset if s.path not in bad] for name, subset in self.subsets.items()}
        for name, subset in self.subsets.items():
            if not subset:
                raise DataError(f"Subset '{name}' of {self.data_root} is empty after skipping unreadable images")

    def save_image_checks(self) -> None:
        """Keep this import's image checks for later runs (in ``check_cache``); planning alone writes nothing."""
        if self.image_checks is not None and self.check_cache is not None:
            self.image_checks.save(self.check_cache)

    def with_data_config(self, config: DataConfig) -> "OTXDataModule":
        """The same import with other transform settings (an input size chosen from the data); nothing is re-read."""
        other = copy.copy(self)
        other.config = config
        return other

    def dataset(self, subset: str, augment: bool | None = None) -> OTXDataset[Any]:
        """The dataset of ``subset``; augmented (train pipeline) by default for ``train`` only."""
        train = subset == "train" if augment is None else augment
        specs = self.config.train_transforms if train else self.config.val_transforms
        where = "data.train_transforms" if train else "data.val_transforms"
        transforms = build_transforms(specs, self.config.input_size, where)
        decoded, fill = self._decoded(subset)
        return OTXDataset(
            self.subsets[subset],
            self.adapter,
            transforms,
            self.config.mean,
            self.config.std,
            max_pixels=self.config.max_image_pixels,
            decoded=decoded,
            fill=fill,
            skip_unreadable=subset == "train",
        )

    def _decoded(self, subset: str) -> tuple[dict[int, Tensor], bool]:
        """The subset's images held in memory under ``data.cache`` (train and val), and whether reads fill it.

        ``ram``, or ``auto`` with loader processes: decoded up front, before the processes fork and share
        them. ``auto`` without loader processes: filled as the first epoch decodes each image.
        """
        samples = self.subsets[subset]
        if not wants_cache(self.config.cache, subset, len(samples)):
            return {}, False
        lazy = self.config.cache == "auto" and self.num_workers == 0
        if subset not in self._decoded_images:
            if lazy:
                fits = fits_lazily(samples, subset, self.config.cache_max_gib)
                self._decoded_images[subset] = {}
                self._lazy_fill[subset] = fits
            else:
                self._decoded_images[subset] = cache_images(
                    samples,
                    subset,
                    self.config.cache_max_gib,
                    self.config.max_image_pixels,
                    asked=self.config.cache == "ram",
                )
        return self._decoded_images[subset], self._lazy_fill.get(subset, False)

    @property
    def num_workers(self) -> int:
        """Loader processes, from the recipe or :func:`default_num_workers`."""
        workers = self.config.num_workers
        return default_num_workers() if workers == "auto" else workers

    def _loader(
        self,
        subset: str,
        shuffle: bool,
        augment: bool | None = None,
        batch_size: int | None = None,
        evaluation: bool = False,
    ) -> DataLoader[Any]:
        """A loader of ``subset``; an ``evaluation`` loader of a distributed run gives each process its own share.

        That share is unpadded (no image is evaluated twice, the processes' counts differ by at most
        one); the task's metrics gather every process's states. Training batches are Lightning's
        distributed sampler's.
        """
        dataset = self.dataset(subset, augment)
        batch_size = batch_size or self.config.batch_size
        workers = self.num_workers
        processes = self.trainer.world_size if self.trainer is not None else 1
        sampler = None
        if evaluation and processes > 1 and self.trainer is not None:
            sampler = UnrepeatedDistributedSampler(
                dataset, num_replicas=processes, rank=self.trainer.global_rank, shuffle=False
            )
        return DataLoader(
            dataset,
            batch_size=batch_size,
            shuffle=shuffle,
            sampler=sampler,
            drop_last=shuffle and _last_batch_is_single(len(dataset) // processes, batch_size),
            num_workers=workers,
            persistent_workers=workers > 0,
            collate_fn=self.adapter.collate,
        )

    def train_dataloader(self) -> DataLoader[Any]:
        """Shuffled training batches."""
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader[Any]:
        """Validation batches."""
        return self._loader("val", shuffle=False, evaluation=True)

    def test_dataloader(self) -> DataLoader[Any]:
        """Test batches (the validation subset where the dataset has no test subset)."""
        return self._loader("test", shuffle=False, evaluation=True)

    def calibration_dataloader(self) -> DataLoader[Any]:
        """Single training images with the deterministic validation pipeline, for INT8 calibration."""
        return self._loader("train", shuffle=False, augment=False, batch_size=1)

    def predict_dataloader(self) -> DataLoader[Any]:
        """Batches to predict on: the test subset."""
        return self._loader("test", shuffle=False)


def _bgr_to_rgb(array: np.ndarray | None) -> np.ndarray | None:
    """Datumaro decodes in-memory images to BGR(A); OTX works in RGB."""
    if array is None or array.ndim != 3 or array.shape[2] not in (3, 4):
        return array
    order = [2, 1, 0, 3][: array.shape[2]]
    return np.ascontiguousarray(array[..., order])


def _category_names(dataset: Dataset) -> list[str]:
    categories = dataset.categories().get(AnnotationType.label)
    if not isinstance(categories, LabelCategories):
        return []
    return [label.name for label in categories.items]
