"""A breakdown tree of exact integer counts, keyed by slash paths.

Only leaves are stored; every parent is computed as the sum of its children, so "parents equal the
sum of their children" holds by construction and `to_tree()` lets a test check it independently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Breakdown:
    """Leaf path -> int. ``total`` is the root; ``get("layers/attention")`` any subtree's sum."""

    leaves: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_items(cls, items: Iterable[tuple[str, int]]) -> Breakdown:
        leaves: dict[str, int] = {}
        for path, value in items:
            assert isinstance(value, int), (path, value)
            leaves[path] = leaves.get(path, 0) + value
        for path in leaves:
            prefix = path + "/"
            assert not any(p.startswith(prefix) for p in leaves), f"{path} is both leaf and parent"
        return cls(leaves)

    @property
    def total(self) -> int:
        return sum(self.leaves.values())

    def get(self, path: str) -> int:
        """Sum of the leaf `path` or of every leaf under it; 0 when absent."""
        prefix = path.rstrip("/") + "/"
        return sum(v for p, v in self.leaves.items() if p == path or p.startswith(prefix))

    def children(self, path: str = "") -> dict[str, int]:
        """Direct children of `path` (the root when empty) with their sums."""
        prefix = path.rstrip("/") + "/" if path else ""
        out: dict[str, int] = {}
        for p, v in self.leaves.items():
            if not p.startswith(prefix):
                continue
            head = p[len(prefix) :].split("/", 1)[0]
            out[prefix + head] = out.get(prefix + head, 0) + v
        return out

    def to_tree(self) -> dict:
        """Nested dicts: every node is ``{"total": int, "children": {name: node}}``."""
        root: dict = {"total": 0, "children": {}}
        for path, value in self.leaves.items():
            node = root
            node["total"] += value
            for part in path.split("/"):
                node = node["children"].setdefault(part, {"total": 0, "children": {}})
                node["total"] += value
        return root
