"""Label information shared by datasets, models and checkpoints."""

from collections.abc import Sequence

from attrs import frozen

__all__ = ["LabelInfo"]


@frozen
class LabelInfo:
    """The ordered class names of a dataset; a label index is a position in ``label_names``."""

    label_names: tuple[str, ...]

    @classmethod
    def from_names(cls, names: Sequence[str]) -> "LabelInfo":
        """Build from any sequence of names."""
        return cls(label_names=tuple(names))

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return len(self.label_names)
