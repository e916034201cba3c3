"""Label hierarchies: read from Datumaro categories, checked, and laid out as classification heads.

Exclusive groups of two or more labels become one softmax head each; every other label (a
single-label group, a non-exclusive group, no group) is a yes/no output of the multi-label part.
The network predicts one logit per label in label order; :class:`HeadLayout` says which belong to
which head, and resolves predictions as OpenVINO Model API's greedy resolver does: the best label
of each head and the multi-label outputs above 0.5 are candidates, and a candidate is predicted
when all of its ancestors are candidates too.
"""

import json
from collections.abc import Sequence

import torch
from attrs import frozen
from datumaro.components.annotation import GroupType, LabelCategories
from torch import Tensor

from otx.core.errors import DataError
from otx.core.types.label import LabelGroup, LabelHierarchy, LabelInfo

__all__ = ["HeadLayout", "check_hierarchy", "hierarchy_from_categories"]


def hierarchy_from_categories(categories: LabelCategories) -> LabelHierarchy:
    """The groups and parents of Datumaro label categories, checked."""
    groups = tuple(
        LabelGroup(name=g.name, labels=tuple(g.labels), exclusive=g.group_type == GroupType.EXCLUSIVE)
        for g in categories.label_groups
    )
    parents = tuple((label.name, label.parent) for label in categories.items if label.parent)
    hierarchy = LabelHierarchy(groups=groups, parents=parents)
    check_hierarchy([label.name for label in categories.items], hierarchy)
    return hierarchy


def check_hierarchy(names: Sequence[str], hierarchy: LabelHierarchy) -> None:
    """A one-line DataError for unknown labels, a label in two exclusive groups, or a cycle of parents."""
    known = set(names)
    owner: dict[str, str] = {}
    for group in hierarchy.groups:
        for label in group.labels:
            if label not in known:
                raise DataError(f"Label group '{group.name}' names an unknown label '{label}' (labels: {list(names)})")
            if group.exclusive and label in owner:
                raise DataError(f"Label '{label}' is in two exclusive groups, '{owner[label]}' and '{group.name}'")
            if group.exclusive:
                owner[label] = group.name
    parent_of = dict(hierarchy.parents)
    for child, parent in hierarchy.parents:
        if child not in known or parent not in known:
            raise DataError(f"Parent relation '{child}' -> '{parent}' names an unknown label (labels: {list(names)})")
    for start, first_parent in parent_of.items():
        chain, label = [start], first_parent
        while label in parent_of and label not in chain:
            chain.append(label)
            label = parent_of[label]
        if label in chain:
            raise DataError(f"The label hierarchy has a cycle: {' -> '.join([*chain, label])}")


@frozen
class HeadLayout:
    """Which label indices form each exclusive head and the multi-label part, and each label's parent."""

    names: tuple[str, ...]
    heads: tuple[tuple[int, ...], ...]
    multilabel: tuple[int, ...]
    parents: tuple[int, ...]
    """The parent's index of each label, -1 for a root."""

    @classmethod
    def of(cls, label_info: LabelInfo) -> "HeadLayout":
        """The layout of ``label_info``'s hierarchy (every label multi-label where it has none)."""
        names = label_info.label_names
        hierarchy = label_info.hierarchy or LabelHierarchy(groups=())
        index = {name: i for i, name in enumerate(names)}
        heads = tuple(
            tuple(index[label] for label in group.labels)
            for group in hierarchy.groups
            if group.exclusive and len(group.labels) > 1
        )
        in_heads = {i for head in heads for i in head}
        parent_of = dict(hierarchy.parents)
        parents = tuple(index[parent_of[name]] if name in parent_of else -1 for name in names)
        multilabel = tuple(i for i in range(len(names)) if i not in in_heads)
        return cls(names=tuple(names), heads=heads, multilabel=multilabel, parents=parents)

    @property
    def output_order(self) -> list[int]:
        """Label indices in the exported order: each head's labels, then the multi-label part."""
        return [i for head in self.heads for i in head] + list(self.multilabel)

    def depth_order(self) -> list[int]:
        """Label indices with every parent before its children."""
        depth = []
        for i in range(len(self.names)):
            d, parent = 0, self.parents[i]
            while parent >= 0:
                d, parent = d + 1, self.parents[parent]
            depth.append(d)
        return sorted(range(len(self.names)), key=depth.__getitem__)

    def with_ancestors(self, multi_hot: Tensor) -> Tensor:
        """``multi_hot`` ``(B, C)`` with the ancestors of every present label set."""
        out = multi_hot.clone()
        for i in reversed(self.depth_order()):
            if self.parents[i] >= 0:
                out[:, self.parents[i]] |= out[:, i]
        return out

    def head_targets(self, multi_hot: Tensor) -> list[Tensor]:
        """Per head, the position of the image's label in it, or -1 where it has none."""
        targets = []
        for head in self.heads:
            part = multi_hot[:, list(head)]
            targets.append(torch.where(part.any(dim=1), part.argmax(dim=1), -1))
        return targets

    def scores(self, logits: Tensor) -> Tensor:
        """Softmax within each head, sigmoid for the multi-label part, in label order."""
        scores = torch.empty_like(logits)
        for head in self.heads:
            scores[:, list(head)] = logits[:, list(head)].softmax(dim=1)
        if self.multilabel:
            scores[:, list(self.multilabel)] = logits[:, list(self.multilabel)].sigmoid()
        return scores

    def resolve(self, scores: Tensor, threshold: float = 0.5) -> Tensor:
        """Predicted labels ``(B, C)`` as 0/1: candidates whose ancestors are all candidates."""
        candidates = torch.zeros_like(scores, dtype=torch.bool)
        for head in self.heads:
            best = scores[:, list(head)].argmax(dim=1)
            candidates[torch.arange(len(scores)), torch.tensor(head, device=scores.device)[best]] = True
        if self.multilabel:
            candidates[:, list(self.multilabel)] = scores[:, list(self.multilabel)] > threshold
        chosen = candidates.clone()
        for i in self.depth_order():
            if self.parents[i] >= 0:
                chosen[:, i] &= chosen[:, self.parents[i]]
        return chosen.long()

    def model_api_config(self) -> str:
        """The ``hierarchical_config`` JSON that Model API's classification wrapper reads."""
        ranges, start = {}, 0
        for number, head in enumerate(self.heads):
            ranges[str(number)] = [start, start + len(head)]
            start += len(head)
        groups = [[self.names[i] for i in head] for head in self.heads] + [[self.names[i]] for i in self.multilabel]
        class_to_group = {
            name: [number, position] for number, group in enumerate(groups) for position, name in enumerate(group)
        }
        info = {
            "num_multiclass_heads": len(self.heads),
            "num_multilabel_classes": len(self.multilabel),
            "head_idx_to_logits_range": ranges,
            "num_single_label_classes": start,
            "class_to_group_idx": class_to_group,
            "all_groups": groups,
            "label_to_idx": {name: i for i, name in enumerate(self.names)},
            "empty_multiclass_head_indices": {},
        }
        edges = [[self.names[i], self.names[p]] for i, p in enumerate(self.parents) if p >= 0]
        return json.dumps({"cls_heads_info": info, "label_tree_edges": edges})
