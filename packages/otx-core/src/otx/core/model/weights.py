"""Loading pretrained weights from a local file or a URL into a network."""

from collections.abc import Collection
from pathlib import Path

import torch
from torch import Tensor, nn

from otx.core.errors import CheckpointError
from otx.core.model.weight_files import WeightFile, first_line

__all__ = ["load_pretrained"]


def load_pretrained(module: nn.Module, source: str, heads: Collection[str] = ()) -> None:
    """Load a state dict from ``source`` (path or URL) into ``module``.

    A URL is read from the weights folder or a cache, or downloaded (see :mod:`otx.core.model.weight_files`).
    Files are read with ``weights_only=True`` (``.safetensors`` with safetensors). Keys in ``heads``
    (the class layers, trained for other classes) are skipped when their shapes differ; any other key
    whose shape differs is an error naming the file and the key. Keys the file lacks keep their
    initial values; keys the module lacks are ignored; a file that matches nothing is an error.
    """
    path = WeightFile(source).fetch() if "://" in source else Path(source).expanduser()
    if not path.is_file():
        raise CheckpointError(f"Pretrained weights not found: {path}")
    state = _read(path)
    own = module.state_dict()
    if not own.keys() & state.keys():
        state = {key.removeprefix("model."): value for key, value in state.items()}  # an OTX checkpoint
    for key, value in state.items():
        if key in own and own[key].shape != value.shape and key not in heads:
            raise CheckpointError(
                f"Weights {path} do not fit the model: '{key}' has shape {tuple(value.shape)} in the file, "
                f"{tuple(own[key].shape)} in the model; are they for another architecture?"
            )
    matching = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    if not matching:
        raise CheckpointError(f"No weights in {path} match the model; is it for another architecture?")
    module.load_state_dict(matching, strict=False)


def _read(path: Path) -> dict[str, Tensor]:
    """The state dict in ``path`` (a Lightning checkpoint's ``state_dict`` unwrapped); errors name the file."""
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(path)
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"Cannot load pretrained weights {path}: {first_line(exc)}") from None
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise CheckpointError(f"{path} does not hold a state dict")
    return state
