"""Recipe transforms move the label map with the image and never blend class values."""

import torch
from torchvision import tv_tensors

from otx.core.data.transforms import build_transforms
from otx.segmentation.entities import IGNORE_INDEX


def _pair(size: int = 64) -> tuple[tv_tensors.Image, tv_tensors.Mask]:
    """An image whose red channel spells out its label map (class * 100), with an ignored corner."""
    generator = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 3, (size // 8, size // 8), generator=generator).repeat_interleave(8, 0)
    labels = labels.repeat_interleave(8, 1).to(torch.uint8)
    labels[:8, :8] = IGNORE_INDEX
    image = torch.zeros(3, size, size, dtype=torch.uint8)
    image[0] = torch.where(labels == IGNORE_INDEX, 250, labels * 100)
    return tv_tensors.Image(image), tv_tensors.Mask(labels)


def test_geometric_transforms_keep_image_and_label_map_aligned() -> None:
    specs = [
        {"type": "RandomResizedCrop", "scale": [0.3, 1.0], "interpolation": 0},  # 0: nearest, so pixels stay exact
        {"type": "RandomHorizontalFlip"},
        {"type": "RandomVerticalFlip"},
    ]
    transforms = build_transforms(specs, (40, 48), "data.train_transforms")
    image, mask = _pair()
    torch.manual_seed(0)
    for _ in range(10):
        out_image, out_mask = transforms(image, mask)
        assert isinstance(out_mask, tv_tensors.Mask)
        assert out_image.shape[-2:] == out_mask.shape[-2:] == (40, 48)
        from_image = torch.where(out_image[0] == 250, IGNORE_INDEX, out_image[0] // 100).to(torch.uint8)
        assert torch.equal(from_image, out_mask)


def test_label_maps_keep_only_their_values_under_bilinear_resizing_and_photometric_noise() -> None:
    specs = [
        {"type": "RandomResizedCrop", "scale": [0.5, 1.0], "antialias": True},
        {"type": "ColorJitter", "brightness": 0.4, "contrast": 0.4, "saturation": 0.4},
    ]
    transforms = build_transforms(specs, (37, 37), "data.train_transforms")
    image, mask = _pair()
    torch.manual_seed(1)
    for _ in range(10):
        out_image, out_mask = transforms(image, mask)
        assert set(out_mask.unique().tolist()) <= {0, 1, 2, IGNORE_INDEX}
        assert out_image.shape[-2:] == out_mask.shape[-2:] == (37, 37)
    resize = build_transforms([{"type": "Resize", "antialias": False}], (32, 32), "data.val_transforms")
    _, resized = resize(image, mask)
    assert torch.equal(resized, mask[::2, ::2])
