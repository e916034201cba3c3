"""YAML for files and flags the user hands in: the safe loader, with a cap on size and on expansion.

Aliases let a kilobyte of YAML stand for gigabytes once expanded ("billion laughs"): the safe loader
shares the aliased objects, but whatever walks the data later expands them. A document is refused
when its nodes, counted with every alias expanded, exceed :data:`MAX_NODES`.
"""

from typing import Any

import yaml

from otx.core.errors import ConfigError

__all__ = ["MAX_NODES", "MAX_YAML_BYTES", "safe_load"]

MAX_YAML_BYTES = 1 << 20
"""The largest YAML document read (1 MiB); recipes and run configs are a few kilobytes."""

MAX_NODES = 100_000
"""The most values a document may expand to; a recipe holds a few hundred."""


def _expanded_size(node: yaml.Node, sizes: dict[int, int]) -> int:
    """Values under ``node`` with aliases expanded; shared (aliased) nodes are weighed once."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    sizes[id(node)] = 1  # a node reached again while being weighed (a recursive alias) counts once
    if isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(child, sizes) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, sizes) + _expanded_size(v, sizes) for k, v in node.value)
    else:
        size = 1
    sizes[id(node)] = size
    return size


def safe_load(text: str, where: str) -> Any:
    """Parse ``text`` with the safe loader and the caps; errors are one line naming ``where``."""
    if len(text.encode("utf-8", "surrogateescape")) > MAX_YAML_BYTES:
        raise ConfigError(f"{where} is larger than {MAX_YAML_BYTES >> 20} MiB; this is not a config")
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, {}) > MAX_NODES:
            raise ConfigError(f"{where} expands to more than {MAX_NODES} values through its aliases; refused")
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where} is not valid YAML: {exc}".replace("\n", " ")) from None
    finally:
        loader.dispose()
