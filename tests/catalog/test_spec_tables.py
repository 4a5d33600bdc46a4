"""A ``[spec]`` table with wrong types or keys is one InputError naming the key, never a crash."""

from __future__ import annotations

import pytest

from trillion.catalog import spec_from_table
from trillion.errors import InputError

GOOD = {
    "vocab_size": 100,
    "hidden_size": 32,
    "num_layers": 2,
    "attention": {"kind": "gqa", "num_heads": 4, "num_kv_heads": 2, "head_dim": 8},
    "mlp": {"intermediate_size": 64, "gated": True},
}


def test_good_table():
    assert spec_from_table(GOOD, "t.toml", "t").num_layers == 2


@pytest.mark.parametrize(
    "patch, field",
    [
        ({"attention": 5}, "spec.attention"),
        ({"attention": {"kind": "linear"}}, "spec.attention.kind"),
        ({"attention": {"num_heads": 4}}, "spec.attention"),
        ({"moe": 3}, "spec.moe"),
        ({"moe": {"num_experts": 4, "top_k": 2}}, "spec.moe.expert"),
        ({"moe": {"num_experts": 4, "top_k": 8, "expert": {"intermediate_size": 8, "gated": True}}}, "top_k"),
        ({"tied_embeddings": "no"}, "tied_embeddings"),
        ({"norm": "batchnorm"}, "norm"),
        ({"hidden_size": 2**40}, "hidden_size"),
        ({"sliding_window_layers": [0, 9], "sliding_window": 4}, "sliding_window_layers"),
        ({"colour": "red"}, "spec.colour"),
        ({"mlp": {"intermediate_size": 64, "gated": "yes"}}, "gated"),
    ],
)
def test_bad_tables(patch, field):
    with pytest.raises(InputError) as info:
        spec_from_table({**GOOD, **patch}, "t.toml", "t")
    assert f": {field}:" in str(info.value)
