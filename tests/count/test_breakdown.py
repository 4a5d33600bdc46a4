from hypothesis import given
from hypothesis import strategies as st

from trillion.count.breakdown import Breakdown

paths = st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3).map("/".join)


def _leaf_only(items):
    """Drop paths that are prefixes of others (a node is a leaf or a parent, not both)."""
    keys = {p for p, _ in items}
    return [(p, v) for p, v in items if not any(k.startswith(p + "/") for k in keys)]


def _check(node):
    if node["children"]:
        assert node["total"] == sum(child["total"] for child in node["children"].values())
        for child in node["children"].values():
            _check(child)


@given(st.lists(st.tuples(paths, st.integers(min_value=0, max_value=10**15)), max_size=20))
def test_parents_equal_the_sum_of_their_children(items):
    b = Breakdown.from_items(_leaf_only(items))
    tree = b.to_tree()
    assert tree["total"] == b.total
    _check(tree)
    for path, total in b.children().items():
        assert b.get(path) == total
    assert sum(b.children().values()) == b.total
