"""Bad config.json input: one clear InputError naming the file and the field."""

from __future__ import annotations

import pytest

from trillion.errors import InputError
from trillion.io.hf_config import SUPPORTED_MODEL_TYPES, load_hf_config

GOOD = dict(
    model_type="llama",
    vocab_size=1000,
    hidden_size=64,
    num_hidden_layers=2,
    num_attention_heads=4,
    intermediate_size=128,
)
MOE = dict(GOOD, model_type="mixtral", num_key_value_heads=4, num_local_experts=4, num_experts_per_tok=2)


def _error(write_config, data, raw=False) -> str:
    path = write_config(data, raw=raw)
    with pytest.raises(InputError) as info:
        load_hf_config(path)
    message = str(info.value)
    assert str(path) in message and "\n" not in message
    return message


@pytest.mark.parametrize(
    "data, field",
    [
        (dict(GOOD, hidden_size=-64), "hidden_size"),
        (dict(GOOD, hidden_size=0), "hidden_size"),
        (dict(GOOD, num_hidden_layers=0), "num_hidden_layers"),
        (dict(GOOD, vocab_size=-1), "vocab_size"),
        (dict(GOOD, intermediate_size=0), "intermediate_size"),
        (dict(GOOD, num_attention_heads=0), "num_attention_heads"),
        (dict(GOOD, hidden_size="64"), "hidden_size"),
        (dict(GOOD, hidden_size=64.5), "hidden_size"),
        (dict(GOOD, hidden_size=True), "hidden_size"),
        (dict(GOOD, num_attention_heads=5), "num_attention_heads"),  # 64 % 5 != 0
        (dict(GOOD, num_key_value_heads=3), "num_key_value_heads"),
        (dict(GOOD, num_key_value_heads=8), "num_key_value_heads"),
        (dict(MOE, num_experts_per_tok=5), "num_experts_per_tok"),
        (dict(GOOD, model_type="qwen3_moe", num_experts=4, num_experts_per_tok=9), "num_experts_per_tok"),
        (dict(GOOD, model_type="not_a_model"), "model_type"),
        ({k: v for k, v in GOOD.items() if k != "model_type"}, "model_type"),
        ({k: v for k, v in GOOD.items() if k != "vocab_size"}, "vocab_size"),
        (dict(GOOD, tie_word_embeddings="yes"), "tie_word_embeddings"),
        (dict(model_type="gpt2", n_embd=64, hidden_size=128, n_layer=2, n_head=4), "hidden_size"),
        (
            dict(GOOD, model_type="deepseek_v3", n_routed_experts=4, num_experts_per_tok=8),
            "num_experts_per_tok",
        ),
    ],
)
def test_bad_field_is_named(write_config, data, field):
    assert f": {field}:" in _error(write_config, data)


@pytest.mark.parametrize(
    "text, phrase",
    [
        ("", "empty"),
        ("   \n", "empty"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ("null", "JSON object"),
        ('"text"', "JSON object"),
    ],
)
def test_not_a_config(write_config, text, phrase):
    assert phrase in _error(write_config, text, raw=True)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        load_hf_config(tmp_path / "nope" / "config.json")


def test_unknown_model_type_lists_supported(write_config):
    message = _error(write_config, dict(GOOD, model_type="mamba"))
    assert "unsupported 'mamba'" in message and "llama" in message


def test_every_supported_type_loads_a_minimal_config(write_config):
    base = dict(
        vocab_size=1000,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
        ffn_dim=128,
        num_key_value_heads=4,
        num_experts_per_tok=2,
    )
    # types whose transformers config does not take num_hidden_layers at face value
    layers = {
        "longcat_flash": 1,  # num_hidden_layers counts half-layers: LongCat's setter halves it
        "llama4": 48,  # composite: flat keys are ignored, the default text_config is built
        "nemotron_h": 4,  # the layer pattern decides; transformers' default pattern has 4
    }
    for model_type in SUPPORTED_MODEL_TYPES:
        spec = load_hf_config(write_config(dict(base, model_type=model_type)))
        assert spec.num_layers == layers.get(model_type, 2), model_type
