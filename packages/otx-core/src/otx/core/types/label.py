"""Label information shared by datasets, models and checkpoints."""

from collections.abc import Sequence

from attrs import field, frozen

__all__ = ["LabelGroup", "LabelHierarchy", "LabelInfo"]


@frozen(kw_only=True)
class LabelGroup:
    """Labels of one group: an exclusive group allows at most one of them per image."""

    name: str
    labels: tuple[str, ...]
    exclusive: bool = True


@frozen(kw_only=True)
class LabelHierarchy:
    """Label groups and parent relations of hierarchical classification."""

    groups: tuple[LabelGroup, ...]
    parents: tuple[tuple[str, str], ...] = ()
    """``(child, parent)`` pairs; a label appears at most once as a child."""


@frozen
class LabelInfo:
    """The ordered class names of a dataset; a label index is a position in ``label_names``."""

    label_names: tuple[str, ...]
    hierarchy: LabelHierarchy | None = field(default=None, kw_only=True)
    """Groups and parents, for tasks that have them (hierarchical classification)."""

    @classmethod
    def from_names(cls, names: Sequence[str], hierarchy: LabelHierarchy | None = None) -> "LabelInfo":
        """Build from any sequence of names."""
        return cls(label_names=tuple(names), hierarchy=hierarchy)

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return len(self.label_names)
