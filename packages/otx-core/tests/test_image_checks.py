"""Image checks: unreadable images named, outcomes remembered by path, size and modification time."""

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from otx.core.data import image_checks
from otx.core.data.image_checks import check_images
from otx.core.data.image_io import check_header, check_image

CAP = 10_000_000


@pytest.fixture
def images(tmp_path: Path) -> list[str]:
    good = tmp_path / "good.png"
    Image.new("RGB", (8, 6), (200, 10, 10)).save(good)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    return [str(good), str(bad)]


@pytest.fixture
def header_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths whose header the checker reads, in order."""
    seen: list[str] = []
    real = image_checks.check_header

    def counting(path: str, max_pixels: int) -> str | None:
        seen.append(path)
        return real(path, max_pixels)

    monkeypatch.setattr(image_checks, "check_header", counting)
    return seen


def test_unreadable_images_are_named_and_readable_ones_left_out(images: list[str]) -> None:
    problems = check_images(images, CAP).problems
    assert list(problems) == [images[1]]
    assert problems[images[1]]


def test_a_second_check_reads_only_what_changed(images: list[str], tmp_path: Path, header_reads: list[str]) -> None:
    cache = tmp_path / "ws" / ".cache" / "image_checks.json"
    first = check_images(images, CAP, cache)
    assert sorted(header_reads) == sorted(images) and not cache.exists()  # checking reads the record only
    first.save(cache)
    header_reads.clear()
    again = check_images(images, CAP, cache)
    assert again.problems == first.problems  # the bad image is still named, from the record
    assert header_reads == [] and again.checked == 0
    Image.new("RGB", (9, 9)).save(images[1], format="PNG")  # fixed: new size and time
    os.utime(images[1], ns=(1, 1))
    fixed = check_images(images, CAP, cache)
    assert fixed.problems == {}
    assert header_reads == [images[1]]
    fixed.save(cache)
    header_reads.clear()
    check_images(images, 100, cache)  # another pixel cap: every outcome may differ
    assert sorted(header_reads) == sorted(images)


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        "[1, 2, 3]",
        json.dumps({"version": 99, "max_pixels": CAP, "images": {}}),
        json.dumps({"version": 2, "max_pixels": CAP, "images": ["x"]}),
        json.dumps({"version": 2, "max_pixels": CAP, "images": {"PLACEHOLDER": [1, "2", {"__class__": "os.system"}]}}),
    ],
)
def test_a_damaged_or_foreign_record_is_ignored_and_rewritten(
    images: list[str], tmp_path: Path, header_reads: list[str], content: str
) -> None:
    cache = tmp_path / "image_checks.json"
    cache.write_text(content.replace("PLACEHOLDER", images[0]), encoding="utf-8")
    checks = check_images(images, CAP, cache)
    assert list(checks.problems) == [images[1]]
    assert sorted(header_reads) == sorted(images)
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


@pytest.fixture
def damaged_png(tmp_path: Path) -> str:
    """A PNG whose header is whole and whose pixel data is cut short."""
    path = tmp_path / "damaged.png"
    noise = np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)
    Image.fromarray(noise).save(path)
    path.write_bytes(path.read_bytes()[:200])
    return str(path)


def test_headers_pass_an_image_damaged_past_them_that_decoding_names(damaged_png: str, images: list[str]) -> None:
    assert check_header(damaged_png, CAP) is None
    assert check_header(images[1], CAP)  # no image at all
    assert "over data.max_image_pixels" in str(check_header(images[0], 10))  # 8 x 6 from the header alone
    assert check_image(damaged_png, CAP)
    checks = check_images([*images, damaged_png], CAP)
    assert list(checks.problems) == [images[1]]
    checks = check_images([*images, damaged_png], CAP, decode=[damaged_png])
    assert list(checks.problems) == [images[1], damaged_png]


def test_a_header_record_is_not_taken_for_a_decoded_one(damaged_png: str, tmp_path: Path) -> None:
    cache = tmp_path / "image_checks.json"
    check_images([damaged_png], CAP, cache).save(cache)
    assert check_images([damaged_png], CAP, cache).checked == 0
    decoded = check_images([damaged_png], CAP, cache, decode=[damaged_png])
    assert decoded.checked == 1 and list(decoded.problems) == [damaged_png]
    decoded.save(cache)
    assert check_images([damaged_png], CAP, cache).checked == 0  # a decoded record serves a header check too
