"""Build torchvision v2 pipelines from recipe specs such as ``{"type": "RandomHorizontalFlip", "p": 0.5}``."""

import difflib
import inspect
from collections.abc import Sequence

from torchvision.transforms import v2

from otx.core.config.recipe import TransformSpec
from otx.core.errors import ConfigError
from otx.core.plugin import import_class

__all__ = ["build_transforms"]


def _transform_class(name: str) -> type[v2.Transform]:
    if "." in name or ":" in name:
        return import_class(name, v2.Transform, "transform", packages=("torchvision",))
    candidate = getattr(v2, name, None)
    if candidate is None:
        names = [n for n in dir(v2) if isinstance(getattr(v2, n), type)]
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        raise ConfigError(f"Unknown transform '{name}' (torchvision.transforms.v2).{hint}")
    if not (isinstance(candidate, type) and issubclass(candidate, v2.Transform)):
        raise ConfigError(f"'{name}' is not a torchvision v2 transform")
    return candidate


def build_transforms(specs: Sequence[TransformSpec], input_size: tuple[int, int], where: str) -> v2.Transform:
    """Compose the transforms in ``specs`` (none: the identity); ``size`` defaults to ``input_size``."""
    transforms = []
    for i, spec in enumerate(specs):
        kwargs = dict(spec)
        name = kwargs.pop("type", None)
        if not isinstance(name, str):
            raise ConfigError(f"'{where}[{i}]' needs a 'type' naming the transform")
        cls = _transform_class(name)
        if "size" in inspect.signature(cls).parameters and "size" not in kwargs:
            kwargs["size"] = list(input_size)
        try:
            transforms.append(cls(**kwargs))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"Invalid arguments for '{where}[{i}]' ({name}): {exc}") from None
    return v2.Compose(transforms) if transforms else v2.Identity()
