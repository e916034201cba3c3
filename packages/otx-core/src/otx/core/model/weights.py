"""Loading pretrained weights from a local file or a URL into a network."""

from pathlib import Path

import torch
from torch import nn

from otx.core.errors import CheckpointError

__all__ = ["load_pretrained"]


def load_pretrained(module: nn.Module, source: str) -> None:
    """Load a state dict from ``source`` (path or URL) into ``module``, skipping shape-mismatched heads.

    Files are read with ``weights_only=True``. Keys whose shapes differ (a classifier head trained
    for other classes) are left at their initial values; missing or unexpected keys are an error
    when nothing at all matches.
    """
    if "://" in source:
        state = torch.hub.load_state_dict_from_url(source, map_location="cpu", weights_only=True)
    else:
        path = Path(source).expanduser()
        if not path.is_file():
            raise CheckpointError(f"Pretrained weights not found: {path}")
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise CheckpointError(f"Cannot load pretrained weights {path}: {exc}") from None
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    if not isinstance(state, dict):
        raise CheckpointError(f"{source} does not hold a state dict")
    own = module.state_dict()
    if not own.keys() & state.keys():
        state = {key.removeprefix("model."): value for key, value in state.items()}  # an OTX checkpoint
    matching = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    if not matching:
        raise CheckpointError(f"No weights in {source} match the model; is it for another architecture?")
    module.load_state_dict(matching, strict=False)
