"""Write scikit-learn's handwritten digits (1,797 real 8x8 scans, 10 classes) as class folders.

The images ship inside scikit-learn, so this needs no download. Output layout::

    OUT/train/<digit>/<n>.png
    OUT/val/<digit>/<n>.png

Usage: ``python tools/make_digits_dataset.py data/digits [--size 32] [--val-fraction 0.2] [--classes 0 1 2 3 4]``
(``--classes``: only those digits, e.g. the first half for class-incremental training).
"""

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits


def write_digits(out: Path, size: int, val_fraction: float, seed: int, classes: Sequence[int] | None = None) -> int:
    """Write the images (of ``classes`` only, if given) upscaled to ``size`` pixels; return how many were written."""
    digits = load_digits()
    order = np.random.default_rng(seed).permutation(len(digits.images))
    if classes is not None:
        order = order[np.isin(digits.target[order], list(classes))]
    n_val = int(len(order) * val_fraction)
    for rank, index in enumerate(order):
        subset = "val" if rank < n_val else "train"
        folder = out / subset / str(digits.target[index])
        folder.mkdir(parents=True, exist_ok=True)
        pixels = (digits.images[index] * (255.0 / 16.0)).astype(np.uint8)
        Image.fromarray(pixels, mode="L").resize((size, size), Image.Resampling.BILINEAR).save(folder / f"{index}.png")
    return len(order)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="output folder")
    parser.add_argument("--size", type=int, default=32, help="side of the written images in pixels")
    parser.add_argument("--val-fraction", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--classes", type=int, nargs="+", help="write only these digits")
    args = parser.parse_args()
    count = write_digits(args.out, args.size, args.val_fraction, args.seed, args.classes)
    print(f"Wrote {count} digit images to {args.out}")


if __name__ == "__main__":
    main()
