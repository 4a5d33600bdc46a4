"""Hostile sizes are refused before any per-layer work: a config.json claiming a billion layers
used to build billion-element layer lists (the sliding-window rule) until memory ran out."""

from __future__ import annotations

import pytest

from trillion.errors import InputError
from trillion.io.hf_config import spec_from_hf_dict
from trillion.spec.model import MAX_LAYERS


@pytest.mark.parametrize("model_type", ["llama", "mistral", "qwen2", "qwen3_moe", "gemma2", "gpt2"])
def test_a_billion_layers_is_one_error(model_type):
    cfg = {"model_type": model_type, "vocab_size": 1000, "hidden_size": 64, "intermediate_size": 128,
           "num_hidden_layers": 10**9, "n_layer": 10**9, "num_attention_heads": 4, "num_key_value_heads": 2,
           "n_head": 4, "n_embd": 64, "head_dim": 16, "sliding_window": 16, "use_sliding_window": True,
           "moe_intermediate_size": 32, "num_experts": 4, "num_experts_per_tok": 2}  # fmt: skip
    with pytest.raises(InputError, match="bounded work") as e:
        spec_from_hf_dict(cfg, "deep.json")
    assert "deep.json" in str(e.value) and "\n" not in str(e.value)


def test_the_deepest_allowed_stack_still_counts():
    from trillion.count import count

    cfg = {"model_type": "mistral", "vocab_size": 1000, "hidden_size": 64, "intermediate_size": 128,
           "num_hidden_layers": MAX_LAYERS, "num_attention_heads": 4, "num_key_value_heads": 2, "sliding_window": 16}  # fmt: skip
    c = count(spec_from_hf_dict(cfg, "deep.json"), 4096)
    assert c.total_params > MAX_LAYERS * 64 * 64
