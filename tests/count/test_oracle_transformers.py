"""Oracles: transformers' own modules (parameter counts) and torch's FLOP counter (matmul FLOP).

Every catalog model of the classic types, and hypothesis-generated small configs of every classic
model_type, must give exactly ``sum(p.numel())`` of the model transformers builds on the meta device
from the same config.json. The 2025-2026 families have their own oracle files
(``test_oracle_<family>.py``) with generators that know each family's keys and catalog entries.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch", reason="torch is a test extra: pip install -e '.[test]'")
transformers = pytest.importorskip("transformers", reason="transformers is a test extra")
pytestmark = pytest.mark.torch

from catalog_configs import hf_catalog_entries  # noqa: E402  (tests/count, beside this file)

from trillion.catalog import catalog  # noqa: E402
from trillion.count.flop import forward_flop  # noqa: E402
from trillion.count.params import count_params  # noqa: E402
from trillion.io.hf_config import classic, spec_from_hf_dict  # noqa: E402

transformers.logging.set_verbosity_error()
# model types transformers knows under another name
HF_TYPE = {"kimi_k2": "deepseek_v3"}
CLASSIC_TYPES = tuple(sorted(classic.BUILDERS))


def _hf_model(cfg: dict, *, meta: bool = True, **kwargs):
    cfg = dict(cfg, model_type=HF_TYPE.get(cfg["model_type"], cfg["model_type"]))
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "config.json").write_text(json.dumps(cfg))
        config = transformers.AutoConfig.from_pretrained(d)
    if meta:
        with torch.device("meta"):
            return transformers.AutoModelForCausalLM.from_config(config, **kwargs)
    torch.manual_seed(0)
    return transformers.AutoModelForCausalLM.from_config(config, **kwargs).eval()


def _hf_params(cfg: dict) -> int:
    return sum(p.numel() for p in _hf_model(cfg).parameters())


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, cfg", hf_catalog_entries(CLASSIC_TYPES), ids=lambda x: x if isinstance(x, str) else ""
)
def test_catalog_counts_equal_transformers(name, cfg):
    assert count_params(catalog()[name].spec).total == _hf_params(cfg)


@pytest.mark.slow
def test_encoder_decoder_moe_equals_switch_transformers():
    """Switch-C's structure (encoder-decoder, cross-attention, T5 relative bias per stack,
    top-1 experts in every FFN, untied head) against transformers' SwitchTransformers."""
    import dataclasses

    switch_c = catalog()["switch-c"].spec
    small = dataclasses.replace(
        switch_c,
        vocab_size=300,
        hidden_size=40,
        num_layers=3,
        num_encoder_layers=3,
        attention=dataclasses.replace(switch_c.attention, num_heads=3, num_kv_heads=3, head_dim=8),
        moe=dataclasses.replace(
            switch_c.moe, num_experts=4, expert=dataclasses.replace(switch_c.moe.expert, intermediate_size=24)
        ),
    )
    config = transformers.SwitchTransformersConfig(
        vocab_size=300,
        d_model=40,
        d_kv=8,
        d_ff=24,
        num_layers=3,
        num_decoder_layers=3,
        num_heads=3,
        num_experts=4,
        num_sparse_encoder_layers=3,
        num_sparse_decoder_layers=3,
        relative_attention_num_buckets=32,
        tie_word_embeddings=False,
    )
    with torch.device("meta"):
        model = transformers.SwitchTransformersForConditionalGeneration(config)
    hf_total = sum(p.numel() for p in model.parameters())
    # transformers 5 unties encoder/decoder.embed_tokens from `shared` along with the head when
    # tie_word_embeddings is false; Switch-C (like T5) feeds both stacks from one input table
    copies = {n for n, _ in model.named_parameters() if n.endswith("embed_tokens.weight")}
    assert copies == {"encoder.embed_tokens.weight", "decoder.embed_tokens.weight"}
    assert count_params(small).total == hf_total - 2 * 300 * 40


# --- generated configs: every supported model_type -------------------------------------------


def _common(draw, kv_key="num_key_value_heads"):
    heads = draw(st.sampled_from([1, 2, 4, 8]))
    head_dim = draw(st.sampled_from([8, 16]))
    kv = draw(st.sampled_from([h for h in (1, 2, 4, 8) if heads % h == 0]))
    return dict(
        vocab_size=draw(st.integers(50, 700)),
        hidden_size=heads * head_dim,
        num_hidden_layers=draw(st.integers(1, 4)),
        num_attention_heads=heads,
        intermediate_size=draw(st.integers(8, 96)),
        tie_word_embeddings=draw(st.booleans()),
        **{kv_key: kv},
    )


@st.composite
def configs(draw, model_type):
    c = _common(draw)
    b = st.booleans()
    if model_type == "llama":
        c.update(attention_bias=draw(b), mlp_bias=draw(b))
        if draw(b):
            c["head_dim"] = draw(st.sampled_from([8, 24]))
    elif model_type in ("qwen3", "gemma2"):
        c.update(attention_bias=draw(b), head_dim=draw(st.sampled_from([8, 16, 32])))
    elif model_type in ("mixtral",):
        e = draw(st.integers(1, 8))
        c.update(num_local_experts=e, num_experts_per_tok=draw(st.integers(1, e)))
    elif model_type in ("qwen2_moe", "qwen3_moe"):
        e = draw(st.integers(1, 8))
        layers = c["num_hidden_layers"]
        c.update(
            num_experts=e,
            num_experts_per_tok=draw(st.integers(1, e)),
            moe_intermediate_size=draw(st.integers(4, 48)),
            decoder_sparse_step=draw(st.integers(1, 3)),
            mlp_only_layers=draw(st.lists(st.integers(0, layers - 1), unique=True, max_size=2)),
        )
        if model_type == "qwen2_moe":
            c.update(shared_expert_intermediate_size=draw(st.integers(4, 48)), qkv_bias=draw(b))
        else:
            c.update(attention_bias=draw(b), head_dim=draw(st.sampled_from([8, 16])))
    elif model_type in ("deepseek_v2", "deepseek_v3", "kimi_k2"):
        e = draw(st.integers(1, 8))
        c.update(
            num_key_value_heads=c["num_attention_heads"],
            n_routed_experts=e,
            num_experts_per_tok=draw(st.integers(1, e)),
            n_group=1,
            topk_group=1,
            moe_intermediate_size=draw(st.integers(4, 48)),
            n_shared_experts=draw(st.integers(0, 2)),
            first_k_dense_replace=draw(st.integers(0, c["num_hidden_layers"])),
            q_lora_rank=draw(st.sampled_from([None, 8, 24]))
            if model_type == "deepseek_v2"
            else draw(st.sampled_from([8, 24])),
            kv_lora_rank=draw(st.sampled_from([8, 16])),
            qk_rope_head_dim=draw(st.sampled_from([4, 8])),
            qk_nope_head_dim=draw(st.sampled_from([8, 16])),
            v_head_dim=draw(st.sampled_from([8, 16])),
            attention_bias=draw(b),
        )
    elif model_type == "gpt2":
        c = dict(
            vocab_size=c["vocab_size"],
            n_embd=c["hidden_size"],
            n_layer=c["num_hidden_layers"],
            n_head=c["num_attention_heads"],
            n_positions=draw(st.integers(8, 256)),
            n_inner=draw(st.sampled_from([None, 40])),
            tie_word_embeddings=c["tie_word_embeddings"],
        )
    elif model_type == "gpt_neox":
        c.update(attention_bias=draw(b))
        c.pop("num_key_value_heads")
    elif model_type == "falcon":
        c.pop("num_key_value_heads")
        new = draw(b)
        c.update(
            new_decoder_architecture=new,
            bias=draw(b),
            parallel_attn=draw(b),
            ffn_hidden_size=c.pop("intermediate_size"),
        )
        if new:
            c["num_kv_heads"] = draw(
                st.sampled_from([h for h in (1, 2, 4) if c["num_attention_heads"] % h == 0])
            )
        else:
            c["multi_query"] = draw(b)
    elif model_type == "opt":
        c.pop("num_key_value_heads")
        c.update(
            ffn_dim=c.pop("intermediate_size"),
            enable_bias=draw(b),
            max_position_embeddings=draw(st.integers(8, 128)),
            do_layer_norm_before=draw(b),
            word_embed_proj_dim=c["hidden_size"],
        )
    elif model_type == "bloom":
        c = dict(
            vocab_size=c["vocab_size"],
            hidden_size=c["hidden_size"],
            n_layer=c["num_hidden_layers"],
            n_head=c["num_attention_heads"],
            tie_word_embeddings=c["tie_word_embeddings"],
        )
    c["model_type"] = model_type
    return c


@pytest.mark.slow
@pytest.mark.parametrize("model_type", CLASSIC_TYPES)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_configs_equal_transformers(model_type, data):
    cfg = data.draw(configs(model_type))
    assert count_params(spec_from_hf_dict(cfg, "generated")).total == _hf_params(cfg), cfg


# --- FLOP: torch's counter on tiny instantiated models ----------------------------------------

FLOP_CASES = {
    "llama (dense GQA)": dict(
        model_type="llama",
        vocab_size=500,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        intermediate_size=96,
    ),
    "gpt2 (dense, tied head, biases)": dict(
        model_type="gpt2", vocab_size=500, n_embd=64, n_layer=2, n_head=4, n_positions=64
    ),
    "mixtral (MoE)": dict(
        model_type="mixtral",
        vocab_size=500,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        intermediate_size=96,
        num_local_experts=4,
        num_experts_per_tok=2,
    ),
    "qwen2_moe (MoE + shared expert)": dict(
        model_type="qwen2_moe",
        vocab_size=500,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        intermediate_size=96,
        num_experts=6,
        num_experts_per_tok=2,
        moe_intermediate_size=32,
        shared_expert_intermediate_size=48,
    ),
    "deepseek_v3 (MLA + MoE)": dict(
        model_type="deepseek_v3",
        vocab_size=500,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        intermediate_size=96,
        n_routed_experts=8,
        num_experts_per_tok=2,
        moe_intermediate_size=32,
        n_shared_experts=1,
        first_k_dense_replace=1,
        q_lora_rank=24,
        kv_lora_rank=16,
        qk_rope_head_dim=8,
        qk_nope_head_dim=16,
        v_head_dim=16,
        n_group=1,
        topk_group=1,
    ),
}


@pytest.mark.parametrize("name", list(FLOP_CASES))
def test_forward_flop_equals_torch_flop_counter(name):
    """Linear layers (aten.mm/addmm) equal our matmul FLOP exactly; eager attention's two batched
    matmuls (aten.bmm) compute the whole masked S x S score matrix, so they equal our attention
    FLOP under the "full" convention; the default "causal" convention counts (S+1)/(2S) of it."""
    from torch.utils.flop_counter import FlopCounterMode

    cfg = FLOP_CASES[name]
    seq_len = 24
    model = _hf_model(cfg, meta=False, attn_implementation="eager", experts_implementation="eager")
    ids = torch.randint(0, cfg["vocab_size"], (1, seq_len))
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(ids)
    by_op = {str(op): n for op, n in counter.get_flop_counts()["Global"].items()}
    spec = spec_from_hf_dict(cfg, name)
    full = forward_flop(spec, seq_len, "full")
    assert by_op.get("aten.mm", 0) + by_op.get("aten.addmm", 0) == full.get("matmul") * seq_len
    assert by_op["aten.bmm"] == full.get("attention") * seq_len
    causal = forward_flop(spec, seq_len, "causal")
    assert causal.get("attention") * 2 * seq_len == full.get("attention") * (seq_len + 1)
