"""Subset names and the deterministic, seeded train/val split."""

import random
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence

from otx.core.data.sample import Sample

__all__ = ["canonical_subset", "split_train_val"]

_ALIASES = {
    "train": "train",
    "training": "train",
    "val": "val",
    "valid": "val",
    "validation": "val",
    "test": "test",
    "testing": "test",
}


def canonical_subset(name: str) -> str:
    """``train``, ``val``, ``test``, or ``default`` for anything else."""
    return _ALIASES.get(name.lower(), "default")


def split_train_val(
    samples: Sequence[Sample], val_fraction: float, seed: int, key: Callable[[Sample], Hashable]
) -> tuple[list[Sample], list[Sample]]:
    """Split into train and val, stratified by ``key`` and reproducible for a given ``seed``."""
    groups: dict[Hashable, list[Sample]] = defaultdict(list)
    for sample in samples:
        groups[key(sample)].append(sample)
    rng = random.Random(seed)
    train: list[Sample] = []
    val: list[Sample] = []
    for group_key in sorted(groups, key=repr):
        group = groups[group_key]
        rng.shuffle(group)
        n_val = round(len(group) * val_fraction) if len(group) > 1 else 0
        val.extend(group[:n_val])
        train.extend(group[n_val:])
    return sorted(train, key=lambda s: s.index), sorted(val, key=lambda s: s.index)
