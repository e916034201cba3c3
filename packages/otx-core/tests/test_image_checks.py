"""Image checks: unreadable images named, outcomes remembered by path, size and modification time."""

import json
import os
from pathlib import Path

import pytest
from PIL import Image

from otx.core.data import image_checks
from otx.core.data.image_checks import check_images

CAP = 10_000_000


@pytest.fixture
def images(tmp_path: Path) -> list[str]:
    good = tmp_path / "good.png"
    Image.new("RGB", (8, 6), (200, 10, 10)).save(good)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    return [str(good), str(bad)]


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths the checker decodes, in order."""
    seen: list[str] = []
    real = image_checks.check_image

    def counting(path: str, max_pixels: int) -> str | None:
        seen.append(path)
        return real(path, max_pixels)

    monkeypatch.setattr(image_checks, "check_image", counting)
    return seen


def test_unreadable_images_are_named_and_readable_ones_left_out(images: list[str]) -> None:
    problems = check_images(images, CAP).problems
    assert list(problems) == [images[1]]
    assert problems[images[1]]


def test_a_second_check_decodes_only_what_changed(images: list[str], tmp_path: Path, decodes: list[str]) -> None:
    cache = tmp_path / "ws" / ".cache" / "image_checks.json"
    first = check_images(images, CAP, cache)
    assert sorted(decodes) == sorted(images) and not cache.exists()  # checking reads the record only
    first.save(cache)
    decodes.clear()
    again = check_images(images, CAP, cache)
    assert again.problems == first.problems  # the bad image is still named, from the record
    assert decodes == [] and again.decoded == 0
    Image.new("RGB", (9, 9)).save(images[1], format="PNG")  # fixed: new size and time
    os.utime(images[1], ns=(1, 1))
    fixed = check_images(images, CAP, cache)
    assert fixed.problems == {}
    assert decodes == [images[1]]
    fixed.save(cache)
    decodes.clear()
    check_images(images, 100, cache)  # another pixel cap: every outcome may differ
    assert sorted(decodes) == sorted(images)


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[1, 2, 3]",
        json.dumps({"version": 99, "max_pixels": CAP, "images": {}}),
        json.dumps({"version": 1, "max_pixels": CAP, "images": ["x"]}),
        json.dumps({"version": 1, "max_pixels": CAP, "images": {"PLACEHOLDER": [1, "2", {"__class__": "os.system"}]}}),
    ],
)
def test_a_damaged_or_foreign_record_is_ignored_and_rewritten(
    images: list[str], tmp_path: Path, decodes: list[str], content: str
) -> None:
    cache = tmp_path / "image_checks.json"
    cache.write_text(content.replace("PLACEHOLDER", images[0]), encoding="utf-8")
    checks = check_images(images, CAP, cache)
    assert list(checks.problems) == [images[1]]
    assert sorted(decodes) == sorted(images)
    checks.save(cache)
    assert json.loads(cache.read_text())["images"].keys() == set(images)


def test_a_work_dir_that_cannot_hold_the_record_costs_nothing_but_the_shortcut(
    images: list[str], tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    cache = blocker / ".cache" / "image_checks.json"
    checks = check_images(images, CAP, cache)
    checks.save(cache)  # logs a warning, raises nothing
    assert list(checks.problems) == [images[1]]
