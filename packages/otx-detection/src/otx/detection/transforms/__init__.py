"""Augmentation pipelines of other libraries, as torchvision v2 transforms a recipe names by class path.

Each wraps a whole pipeline of its library and converts at the boundary, so that the image, the
boxes, their labels and their masks leave it together:

- :class:`~otx.detection.transforms.albumentations.Albumentations` (extra ``otx-detection[albumentations]``);
- :class:`~otx.detection.transforms.mmdet.MMDetTransforms` (extra ``otx-detection[mmdet]``).
"""
