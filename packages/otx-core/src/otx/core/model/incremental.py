"""Class-incremental weights: start a model for new classes from one trained on some of them.

A model declares its per-class parameters (:meth:`OTXModel.class_axis_params`): for each state
dict key, a :class:`ClassAxis` saying along which dimension its class rows lie. Rows are matched
by label name, not by index: a known class keeps its trained rows wherever it now sits, a new
class keeps its fresh initialisation, a class the new data lacks is dropped. Every other
parameter is copied where its shape is unchanged.

>>> from torch import arange, zeros
>>> axis = ClassAxis(offset=1)  # a background row first, as torchvision detectors have
>>> remap_class_rows(arange(3.0), zeros(4), axis, ["a", "b"], ["b", "c", "a"])
tensor([0., 2., 0., 1.])
"""

from collections.abc import Iterable, Mapping, Sequence

from attrs import frozen
from torch import Tensor, nn

from otx.core.errors import CheckpointError

__all__ = [
    "ClassAxis",
    "IncrementalReport",
    "compare_labels",
    "last_layer_axes",
    "layer_axes",
    "remap_class_rows",
    "transfer_by_label_name",
]


@frozen(kw_only=True)
class ClassAxis:
    """Where a parameter's class rows are along ``dim``.

    The dimension holds ``groups`` equal blocks (anchors); each block has ``offset`` rows that
    belong to no class (background), then ``per_class`` rows per class (e.g. 4 box deltas).
    """

    dim: int = 0
    offset: int = 0
    per_class: int = 1
    groups: int = 1


@frozen(kw_only=True)
class IncrementalReport:
    """What a transfer kept, added and dropped, by label name."""

    kept: tuple[str, ...]
    new: tuple[str, ...]
    dropped: tuple[str, ...]

    def summary(self) -> str:
        """One line, as the run plan prints it."""
        new = f": {', '.join(self.new)}" if self.new else ""
        dropped = ", ".join(self.dropped) or "none"
        return f"incremental: {len(self.kept)} known classes kept, {len(self.new)} new{new}; dropped: {dropped}"


def compare_labels(old_names: Sequence[str], new_names: Sequence[str], source: str) -> IncrementalReport:
    """Kept, new and dropped names; a CheckpointError where the two share none."""
    kept = tuple(name for name in new_names if name in old_names)
    if not kept:
        raise CheckpointError(
            f"The classes of {source} {list(old_names)} share no name with the data's {list(new_names)}; "
            "train from the recipe instead"
        )
    new = tuple(name for name in new_names if name not in old_names)
    return IncrementalReport(kept=kept, new=new, dropped=tuple(name for name in old_names if name not in new_names))


def remap_class_rows(
    old: Tensor, new: Tensor, axis: ClassAxis, old_names: Sequence[str], new_names: Sequence[str]
) -> Tensor:
    """``new`` with the rows of every class also in ``old_names`` (and the offset rows) taken from ``old``."""
    old_blocks = _blocks(old.detach().movedim(axis.dim, 0), axis, len(old_names))
    moved = new.detach().movedim(axis.dim, 0).contiguous().clone()
    new_blocks = _blocks(moved, axis, len(new_names))  # a view of ``moved``
    new_blocks[:, : axis.offset] = old_blocks[:, : axis.offset]
    for target, name in enumerate(new_names):
        if name in old_names:
            source = old_names.index(name)
            rows_new = slice(axis.offset + target * axis.per_class, axis.offset + (target + 1) * axis.per_class)
            rows_old = slice(axis.offset + source * axis.per_class, axis.offset + (source + 1) * axis.per_class)
            new_blocks[:, rows_new] = old_blocks[:, rows_old]
    return moved.movedim(0, axis.dim).contiguous()


def _blocks(moved: Tensor, axis: ClassAxis, num_classes: int) -> Tensor:
    """``moved`` (class dim first) as ``(groups, offset + classes * per_class, ...)``, a view where possible."""
    rows = axis.offset + num_classes * axis.per_class
    if moved.shape[0] != axis.groups * rows:
        msg = f"a class axis of {moved.shape[0]} rows does not hold {axis.groups} x ({rows}) for {num_classes} classes"
        raise CheckpointError(msg)
    return moved.reshape(axis.groups, rows, *moved.shape[1:])


def transfer_by_label_name(
    module: nn.Module,
    axes: Mapping[str, ClassAxis],
    state: Mapping[str, Tensor],
    old_names: Sequence[str],
    new_names: Sequence[str],
) -> None:
    """Load ``state`` (trained for ``old_names``) into ``module`` (built for ``new_names``), rows matched by name."""
    own = module.state_dict()
    loaded: dict[str, Tensor] = {}
    for key, value in own.items():
        if key not in state:
            continue
        if key in axes:
            loaded[key] = remap_class_rows(state[key], value, axes[key], old_names, new_names)
        elif state[key].shape == value.shape:
            loaded[key] = state[key]
    module.load_state_dict(loaded, strict=False)


def last_layer_axes(module: nn.Module, outputs: int, prefix: str = "model.") -> dict[str, ClassAxis]:
    """The weight and bias of ``module``'s last linear or convolution layer with ``outputs`` outputs."""
    found = ""
    for name, layer in module.named_modules():
        width = layer.out_features if isinstance(layer, nn.Linear) else getattr(layer, "out_channels", None)
        if isinstance(layer, nn.Linear | nn.Conv2d) and width == outputs:
            found = name
    if not found:
        return {}
    return {f"{prefix}{found}.{param}": ClassAxis() for param, _ in module.get_submodule(found).named_parameters()}


def layer_axes(module: nn.Module, names: Iterable[str], prefix: str = "model.", **axis: int) -> dict[str, ClassAxis]:
    """The parameters (weight, bias) of ``module``'s layers ``names``, each with ``ClassAxis(**axis)``."""
    return {
        f"{prefix}{name}.{param}": ClassAxis(**axis)
        for name in names
        for param, _ in module.get_submodule(name).named_parameters()
    }
