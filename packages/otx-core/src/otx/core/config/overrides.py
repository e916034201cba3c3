"""``--set KEY=VALUE`` command-line overrides as a mapping of dotted keys to YAML values."""

from collections.abc import Sequence
from typing import Any

from otx.core.config.safe_yaml import safe_load
from otx.core.errors import ConfigError

__all__ = ["parse_overrides"]


def parse_overrides(items: Sequence[str]) -> dict[str, Any]:
    """Parse ``KEY=VALUE`` items into ``{"KEY": value}``, each value read as YAML (``8`` is an int).

    The value is everything after the first ``=``, so it may contain ``=`` itself; a later item
    overrides an earlier one with the same key. Checking the keys against the config is
    :func:`~otx.core.config.structure.structure`'s job.
    """
    overrides: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--set expects KEY=VALUE, got '{item}'")
        overrides[key] = safe_load(value, f"--set {key}: '{value[:80]}'")
    return overrides
