"""The seeded, stratified train/val split and subset names."""

from collections import Counter

import pytest

from otx.core.data.sample import Sample
from otx.core.data.split import canonical_subset, split_train_val


def _samples(counts: dict[int, int]) -> list[Sample]:
    samples = []
    for label, count in counts.items():
        for _ in range(count):
            samples.append(Sample(index=len(samples), path=f"{len(samples)}.png", array=None, target=label))
    return samples


def _key(sample: Sample) -> int:
    return sample.target


def _indices(samples: list[Sample]) -> list[int]:
    return [s.index for s in samples]


def test_split_is_deterministic_for_a_seed() -> None:
    samples = _samples({0: 20, 1: 20})
    before = list(samples)
    first = split_train_val(samples, 0.25, seed=3, key=_key)
    assert samples == before  # the input is not reordered
    again = split_train_val(_samples({0: 20, 1: 20}), 0.25, seed=3, key=_key)
    assert _indices(first[0]) == _indices(again[0])
    assert _indices(first[1]) == _indices(again[1])


def test_other_seeds_give_other_splits() -> None:
    samples = _samples({0: 20, 1: 20})
    vals = {tuple(_indices(split_train_val(samples, 0.25, seed=seed, key=_key)[1])) for seed in range(5)}
    assert len(vals) > 1


def test_split_is_a_partition() -> None:
    samples = _samples({0: 13, 1: 7, 2: 9})
    train, val = split_train_val(samples, 0.2, seed=0, key=_key)
    assert sorted(_indices(train) + _indices(val)) == list(range(len(samples)))
    assert not set(_indices(train)) & set(_indices(val))
    assert _indices(train) == sorted(_indices(train))
    assert _indices(val) == sorted(_indices(val))


def test_split_is_stratified() -> None:
    samples = _samples({0: 40, 1: 10, 2: 5})
    train, val = split_train_val(samples, 0.2, seed=1, key=_key)
    assert Counter(s.target for s in val) == {0: 8, 1: 2, 2: 1}
    assert Counter(s.target for s in train) == {0: 32, 1: 8, 2: 4}


def test_a_singleton_class_stays_in_train() -> None:
    train, val = split_train_val(_samples({0: 10, 1: 1}), 0.5, seed=0, key=_key)
    assert [s.target for s in train].count(1) == 1
    assert all(s.target == 0 for s in val)


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("train", "train"),
        ("Training", "train"),
        ("val", "val"),
        ("valid", "val"),
        ("validation", "val"),
        ("test", "test"),
        ("TESTING", "test"),
        ("default", "default"),
        ("holdout", "default"),
    ],
)
def test_canonical_subset(name: str, canonical: str) -> None:
    assert canonical_subset(name) == canonical
