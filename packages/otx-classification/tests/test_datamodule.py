"""The data module with the classification adapter, on every layout the task reads."""

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from otx.classification.data import MulticlassClsAdapter
from otx.classification.entities import MulticlassClsBatchDataEntity
from otx.classification.formats.image_folders import FLAT_FOLDERS, SUBSET_FOLDERS
from otx.core.config.recipe import DataConfig
from otx.core.data import module as module_module
from otx.core.data.formats import candidate_formats
from otx.core.data.module import OTXDataModule, default_num_workers
from otx.core.errors import ConfigError, DataError


def _module(root: Path, data_format: str, config: DataConfig, **kwargs: object) -> OTXDataModule:
    return OTXDataModule(MulticlassClsAdapter(), root, data_format, config, min_classes=2, **kwargs)  # type: ignore[arg-type]


def _names(samples: list) -> list[str]:
    return [Path(s.path).name for s in samples]


def _label_counts(dm: OTXDataModule, subset: str) -> Counter:
    return Counter(dm.label_info.label_names[s.target] for s in dm.subsets[subset])


def test_flat_folders_are_split_deterministically_and_stratified(
    tmp_path: Path, class_folders_writer: Callable[..., Path], data_config: Callable[..., DataConfig]
) -> None:
    root = class_folders_writer(tmp_path / "flat", {"blue": 10, "red": 10})
    config = data_config(val_fraction=0.2)
    first = _module(root, FLAT_FOLDERS, config, seed=0)
    again = _module(root, FLAT_FOLDERS, config, seed=0)
    assert first.label_info.label_names == ("blue", "red")
    assert _names(first.subsets["val"]) == _names(again.subsets["val"])
    assert _names(first.subsets["train"]) == _names(again.subsets["train"])
    assert _label_counts(first, "val") == {"blue": 2, "red": 2}
    assert _label_counts(first, "train") == {"blue": 8, "red": 8}
    assert first.subsets["test"] == first.subsets["val"]
    assert not set(_names(first.subsets["train"])) & set(_names(first.subsets["val"]))
    other_vals = {tuple(_names(_module(root, FLAT_FOLDERS, config, seed=s).subsets["val"])) for s in (1, 2, 3)}
    assert other_vals - {tuple(_names(first.subsets["val"]))}
    for sample in first.subsets["train"]:
        assert first.label_info.label_names[sample.target] == Path(sample.path).parent.name


def test_dataloaders_give_typed_batches(
    tmp_path: Path, class_folders_writer: Callable[..., Path], data_config: Callable[..., DataConfig]
) -> None:
    root = class_folders_writer(tmp_path / "flat", {"blue": 6, "red": 6})
    dm = _module(root, FLAT_FOLDERS, data_config(val_fraction=0.34))
    train = list(dm.train_dataloader())
    assert all(isinstance(batch, MulticlassClsBatchDataEntity) for batch in train)
    assert [batch.batch_size for batch in train] == [4, 4]  # the partial last batch is dropped
    val = list(dm.val_dataloader())
    assert sum(batch.batch_size for batch in val) == len(dm.subsets["val"]) == 4
    batch = val[0]
    assert batch.images.shape == (4, 3, 32, 32)
    assert batch.images.dtype == torch.float32
    assert batch.labels.dtype == torch.int64
    # normalized with the ImageNet mean/std: not in [0, 1] any more
    assert batch.images.min() < 0
    info = batch.imgs_info[0]
    assert info.ori_shape == (32, 32)
    assert info.img_shape == (32, 32)
    assert info.path is not None
    assert Path(info.path).is_file()
    assert len(list(dm.predict_dataloader())) == len(list(dm.test_dataloader()))


def test_subset_folders_keep_their_subsets(
    tmp_path: Path, class_folders_writer: Callable[..., Path], data_config: Callable[..., DataConfig]
) -> None:
    root = tmp_path / "subsets"
    class_folders_writer(root / "train", {"blue": 5, "red": 4})
    class_folders_writer(root / "validation", {"blue": 2, "red": 3})
    class_folders_writer(root / "test", {"blue": 1, "red": 1})
    assert candidate_formats(root) == [SUBSET_FOLDERS]
    dm = _module(root, SUBSET_FOLDERS, data_config())
    assert _label_counts(dm, "train") == {"blue": 5, "red": 4}
    assert _label_counts(dm, "val") == {"blue": 2, "red": 3}
    assert _label_counts(dm, "test") == {"blue": 1, "red": 1}
    assert all("/validation/" in s.path for s in dm.subsets["val"])
    indices = [s.index for subset in dm.subsets.values() for s in subset]
    assert len(indices) == len(set(indices))


def test_datumaro_json(
    tmp_path: Path, datumaro_writer: Callable[..., Path], data_config: Callable[..., DataConfig]
) -> None:
    labels = [[i % 2] for i in range(10)] + [[]]  # the last item has no label
    root = datumaro_writer(tmp_path / "dm", labels, names=("blue", "red"))
    assert candidate_formats(root) == ["datumaro"]
    dm = _module(root, "datumaro", data_config(val_fraction=0.2))
    assert dm.label_info.label_names == ("blue", "red")
    all_samples = dm.subsets["train"] + dm.subsets["val"]
    assert len(all_samples) == 10  # the unlabelled item is left out
    assert _label_counts(dm, "val") == {"blue": 1, "red": 1}
    batch = next(iter(dm.val_dataloader()))
    assert batch.images.shape == (2, 3, 32, 32)
    for sample in all_samples:
        assert sample.path is not None
        assert Path(sample.path).is_file()


def test_datumaro_item_with_two_labels_is_an_error(
    tmp_path: Path, datumaro_writer: Callable[..., Path], data_config: Callable[..., DataConfig]
) -> None:
    root = datumaro_writer(tmp_path / "dm", [[0], [1], [0], [1], [0, 1]])
    with pytest.raises(DataError, match="item_04"):
        _module(root, "datumaro", data_config())


def test_grayscale_palette_and_odd_sized_images_go_through_the_pipeline(
    tmp_path: Path, data_config: Callable[..., DataConfig]
) -> None:
    root = tmp_path / "mixed"
    rng = np.random.default_rng(0)
    (root / "gray").mkdir(parents=True)
    (root / "colour").mkdir(parents=True)
    for i in range(6):
        gray = rng.integers(0, 255, (23 + i, 37 - i), dtype=np.uint8)
        Image.fromarray(gray, mode="L").save(root / "gray" / f"g{i}.png")
        rgba = rng.integers(0, 255, (41, 29 + 2 * i, 4), dtype=np.uint8)
        suffix = ".gif" if i % 3 == 0 else ".jpg" if i % 3 == 1 else ".png"
        image = Image.fromarray(rgba, mode="RGBA")
        image = image.convert("P") if suffix == ".gif" else image.convert("RGB") if suffix == ".jpg" else image
        image.save(root / "colour" / f"c{i}{suffix}")
    dm = _module(root, FLAT_FOLDERS, data_config(val_fraction=0.34))
    for loader in (dm.train_dataloader(), dm.val_dataloader()):
        for batch in loader:
            assert batch.images.shape[1:] == (3, 32, 32)
            assert torch.isfinite(batch.images).all()
    shapes = {info.ori_shape for batch in dm.val_dataloader() for info in batch.imgs_info}
    assert all(shape != (32, 32) for shape in shapes)


def test_corrupt_image_is_reported_before_training(
    tmp_path: Path, class_folders_writer: Callable[..., Path], data_config: Callable[..., DataConfig]
) -> None:
    root = class_folders_writer(tmp_path / "flat", {"blue": 5, "red": 5})
    bad = root / "red" / "red_03.png"
    bad.write_bytes(b"this is no png")
    with pytest.raises(DataError) as info:
        _module(root, FLAT_FOLDERS, data_config())
    assert str(bad) in str(info.value)
    assert "skip_unreadable_images" in str(info.value)
    dm = _module(root, FLAT_FOLDERS, data_config(skip_unreadable_images=True))
    kept = [s.path for subset in ("train", "val") for s in dm.subsets[subset]]
    assert len(kept) == 9
    assert str(bad) not in kept


def _cut_short(image: Path) -> None:
    """Keep the PNG's header, lose most of its pixel data."""
    image.write_bytes(image.read_bytes()[:100])


def test_an_image_damaged_past_its_header_is_skipped_and_named_in_training_and_refused_in_evaluation(
    tmp_path: Path,
    class_folders_writer: Callable[..., Path],
    data_config: Callable[..., DataConfig],
    caplog: pytest.LogCaptureFixture,
) -> None:
    root = tmp_path / "subsets"
    class_folders_writer(root / "train", {"blue": 4, "red": 4}, size=(64, 64))
    class_folders_writer(root / "val", {"blue": 2, "red": 2}, size=(64, 64))
    damaged = root / "train" / "red" / "red_01.png"
    _cut_short(damaged)
    dm = _module(root, SUBSET_FOLDERS, data_config(batch_size=2, cache="none"))  # headers only: it passes
    assert str(damaged) in [s.path for s in dm.subsets["train"]]
    loader = dm.train_dataloader()
    with caplog.at_level("WARNING"):
        served = sum(int(batch.batch_size) for _ in range(2) for batch in loader)
    assert served == 16  # two epochs of 8: the next image took the damaged one's place
    assert list(loader.dataset.unreadable) == [str(damaged)]
    warnings = [r.getMessage() for r in caplog.records if "does not decode" in r.getMessage()]
    assert len(warnings) == 1 and str(damaged) in warnings[0]  # named once, not every epoch

    _cut_short(root / "val" / "blue" / "blue_00.png")
    with pytest.raises(DataError, match="blue_00.png"):  # evaluated images are decoded before training
        _module(root, SUBSET_FOLDERS, data_config())


def test_one_class_is_an_error(
    tmp_path: Path, class_folders_writer: Callable[..., Path], data_config: Callable[..., DataConfig]
) -> None:
    root = class_folders_writer(tmp_path / "one", {"blue": 6})
    with pytest.raises(DataError) as info:
        _module(root, FLAT_FOLDERS, data_config())
    assert "1 class" in str(info.value)
    assert "blue" in str(info.value)


def test_too_few_images_for_a_validation_subset(
    tmp_path: Path, class_folders_writer: Callable[..., Path], data_config: Callable[..., DataConfig]
) -> None:
    root = class_folders_writer(tmp_path / "tiny", {"blue": 1, "red": 1})
    with pytest.raises(DataError, match="val_fraction"):
        _module(root, FLAT_FOLDERS, data_config())


def test_given_label_order_is_kept_and_foreign_labels_are_refused(
    tmp_path: Path, class_folders_writer: Callable[..., Path], data_config: Callable[..., DataConfig]
) -> None:
    root = class_folders_writer(tmp_path / "flat", {"blue": 5, "red": 5})
    dm = _module(root, FLAT_FOLDERS, data_config(), label_names=["red", "blue", "green"])
    assert dm.label_info.label_names == ("red", "blue", "green")
    for sample in dm.subsets["train"]:
        assert dm.label_info.label_names[sample.target] == Path(sample.path).parent.name
    with pytest.raises(DataError, match="'red'"):
        _module(root, FLAT_FOLDERS, data_config(), label_names=["blue", "green"])


def test_num_workers(tmp_path: Path, class_folders_writer: Callable[..., Path]) -> None:
    root = class_folders_writer(tmp_path / "flat", {"blue": 5, "red": 5})
    assert _module(root, FLAT_FOLDERS, DataConfig(num_workers=0)).num_workers == 0
    assert _module(root, FLAT_FOLDERS, DataConfig(num_workers="auto")).num_workers == default_num_workers()
    assert 0 <= default_num_workers() <= 4


@pytest.mark.parametrize(("cores", "workers"), [(1, 0), (2, 0), (3, 2), (16, 4)])
def test_no_loader_process_on_two_cores(cores: int, workers: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("otx.core.data.module.os.cpu_count", lambda: cores)
    assert default_num_workers() == workers


def test_missing_image_file_is_reported_before_training(
    tmp_path: Path, datumaro_writer: Callable[..., Path], data_config: Callable[..., DataConfig]
) -> None:
    root = datumaro_writer(tmp_path / "dm", [[i % 2] for i in range(8)])
    missing = next((root / "images").rglob("item_03.*"))
    missing.unlink()
    with pytest.raises(DataError, match="item_03"):
        _module(root, "datumaro", data_config())


def test_in_memory_images_keep_their_colours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_config: Callable[..., DataConfig]
) -> None:
    import datumaro as dm
    from datumaro.components.annotation import Label
    from datumaro.components.media import Image as DmImage

    red_rgb = np.zeros((32, 32, 3), dtype=np.uint8)
    red_rgb[..., 0] = 255
    items = [
        dm.DatasetItem(
            id=f"i{i}", media=DmImage.from_numpy(red_rgb[..., ::-1].copy()), annotations=[Label(i % 2)]
        )  # Datumaro arrays are BGR, as its own file loader returns them
        for i in range(6)
    ]
    dataset = dm.Dataset.from_iterable(items, categories=["a", "b"])
    monkeypatch.setattr(module_module, "import_dataset", lambda root, data_format: dataset)
    config = data_config(mean=(0.0, 0.0, 0.0), std=(1.0, 1.0, 1.0), val_fraction=0.34)
    module = _module(tmp_path, "in_memory", config)
    entity = module.dataset("val")[0]
    assert entity.image[0].mean() > 0.9  # red channel
    assert entity.image[2].mean() < 0.1  # blue channel


def test_a_split_that_leaves_no_training_images_is_an_error(
    tmp_path: Path, class_folders_writer: Callable[..., Path], data_config: Callable[..., DataConfig]
) -> None:
    root = class_folders_writer(tmp_path / "flat", {"blue": 4, "red": 4})
    with pytest.raises(DataError, match="No training images left.*val_fraction"):
        _module(root, FLAT_FOLDERS, data_config(val_fraction=0.95))
    with pytest.raises(ConfigError, match=r"'val_fraction' must be in \(0, 1\)"):
        data_config(val_fraction=1.0)


def test_a_dataset_iterates_to_its_end_and_indexes_from_it(
    tmp_path: Path, class_folders_writer: Callable[..., Path], data_config: Callable[..., DataConfig]
) -> None:
    root = class_folders_writer(tmp_path / "flat", {"blue": 5, "red": 5})
    val = _module(root, FLAT_FOLDERS, data_config()).dataset("val")
    assert len(list(val)) == len(val)  # Python's item protocol: IndexError past the end
    assert val[-1].img_info.path == val[len(val) - 1].img_info.path
    with pytest.raises(IndexError):
        val[len(val)]
