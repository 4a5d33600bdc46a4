"""Bad layer-kind configs, as a user meets them: `trillion model <config.json>` prints one line naming
the file and the field, and exits 2 (an unknown pattern letter, a window past the context, a zero
state size, a layer_types list of the wrong length, a zero chunk)."""

from __future__ import annotations

import pytest

from trillion.cli import main

NEMOTRON = {
    "model_type": "nemotron_h", "vocab_size": 200, "hidden_size": 32, "num_attention_heads": 2,
    "num_key_value_heads": 1, "head_dim": 16, "intermediate_size": 48, "mamba_num_heads": 4,
    "mamba_head_dim": 8, "ssm_state_size": 8, "mamba_n_groups": 2, "mamba_d_conv": 4,
    "hybrid_override_pattern": "M-*-",
}  # fmt: skip
QWEN3_NEXT = {
    "model_type": "qwen3_next", "vocab_size": 200, "hidden_size": 32, "intermediate_size": 48,
    "num_hidden_layers": 4, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 16,
    "linear_num_key_heads": 2, "linear_num_value_heads": 4, "linear_key_head_dim": 8,
    "linear_value_head_dim": 8, "num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 16,
    "shared_expert_intermediate_size": 24,
}  # fmt: skip
GPT_OSS = {
    "model_type": "gpt_oss", "vocab_size": 200, "hidden_size": 32, "num_hidden_layers": 2,
    "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8, "intermediate_size": 24,
    "num_local_experts": 4, "num_experts_per_tok": 2, "sliding_window": 128, "max_position_embeddings": 256,
}  # fmt: skip
GEMMA3 = {
    "model_type": "gemma3_text", "vocab_size": 200, "hidden_size": 32, "num_hidden_layers": 6,
    "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 16, "intermediate_size": 48,
    "sliding_window": 16, "max_position_embeddings": 256,
}  # fmt: skip
LFM2 = {
    "model_type": "lfm2", "vocab_size": 200, "hidden_size": 32, "num_hidden_layers": 4,
    "num_attention_heads": 2, "num_key_value_heads": 1, "intermediate_size": 64,
}  # fmt: skip
LLAMA4 = {
    "model_type": "llama4_text", "vocab_size": 200, "hidden_size": 32, "num_hidden_layers": 4,
    "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8, "attention_chunk_size": 8,
}  # fmt: skip

CASES = {
    "pattern letter": (NEMOTRON, {"hybrid_override_pattern": "M-*X"}, "hybrid_override_pattern", "'X'"),
    "window past the context (gpt-oss)": (GPT_OSS, {"sliding_window": 1024}, "sliding_window", "larger than"),
    "window past the context (gemma3)": (GEMMA3, {"sliding_window": 100_000}, "sliding_window", "larger than"),
    "zero SSM state": (NEMOTRON, {"ssm_state_size": 0}, "ssm_state_size", ">= 1"),
    "zero Mamba heads": (NEMOTRON, {"mamba_num_heads": 0}, "mamba_num_heads", ">= 1"),
    "zero linear key heads": (QWEN3_NEXT, {"linear_num_key_heads": 0}, "linear_num_key_heads", ">= 1"),
    "layer_types too short": (
        QWEN3_NEXT, {"layer_types": ["linear_attention", "full_attention"]}, "layer_types", "(4)"),
    "layer_types unknown entry": (
        QWEN3_NEXT, {"layer_types": ["linear_attention"] * 3 + ["dense"]}, "layer_types", "dense"),
    "layer_types wrong length (lfm2)": (
        LFM2, {"layer_types": ["conv", "full_attention", "conv"]}, "layer_types", "4"),
    "zero chunk": (LLAMA4, {"attention_chunk_size": 0}, "attention_chunk_size", ">= 1"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_layer_kinds_give_one_line_and_exit_2(name, capsys, write_config):
    base, change, field, phrase = CASES[name]
    path = write_config({**base, **change})
    assert main(["model", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert str(path) in err and f"{field}:" in err and phrase in err, err


@pytest.mark.parametrize("base", [NEMOTRON, QWEN3_NEXT, GPT_OSS, GEMMA3, LFM2, LLAMA4])
def test_the_good_configs_load(base, capsys, write_config):
    assert main(["model", str(write_config(base)), "--json"]) == 0
