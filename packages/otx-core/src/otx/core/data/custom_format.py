"""Dataset readers that task packages add next to Datumaro's, e.g. to fix an importer that loses data."""

import functools
from collections.abc import Callable, Mapping
from pathlib import Path

from attrs import frozen
from datumaro.components.dataset import Dataset

from otx.core.plugin import all_specs, import_object

__all__ = ["DatasetFormat", "installed_formats"]


@frozen(kw_only=True)
class DatasetFormat:
    """A named format: how to recognise a folder of it, and how to read it into a Datumaro dataset.

    A reader named like a Datumaro format replaces Datumaro's importer for that format.
    """

    name: str
    detect: Callable[[Path], bool]
    load: Callable[[Path], Dataset]
    layout: str = ""
    """The folder layout in a few words, for the error when no format matches a folder."""
    supersedes: tuple[str, ...] = ()
    """Datumaro formats left out of a folder's candidates where this reader detects it (same layout, read better)."""
    outranks: tuple[str, ...] = ()
    """Readers that also detect this reader's layouts but read them as another task: this reading is listed first.

    The other reading stays a candidate, chosen with ``--task``.
    """
    guess: Callable[[Path], bool] | None = None
    """Whether this reader's detection of a folder is a guess (it tolerated files it does not read):
    then it is listed after every other reading of the folder, Datumaro's included."""


@functools.cache
def installed_formats() -> Mapping[str, DatasetFormat]:
    """Every reader the installed task packages declare, by format name, in the order they declare them."""
    found: dict[str, DatasetFormat] = {}
    for spec in all_specs().values():
        for dotted in spec.dataset_formats:
            reader = import_object(dotted)
            if not isinstance(reader, DatasetFormat):
                msg = f"{dotted} (declared by task {spec.task.value}) is not a DatasetFormat"
                raise TypeError(msg)
            found[reader.name] = reader
    return found
