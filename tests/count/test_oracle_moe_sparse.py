"""Oracles for the moe_sparse family (GLM-4.5 ``glm4_moe``, DeepSeek-V3.2 ``deepseek_v32``,
LongCat-Flash ``longcat_flash``, Ling 2.0 ``bailing_moe``): trillion's parameter count against the
model transformers builds on the meta device from the same config.json, for hypothesis-generated
small configs and for the catalog entries.

Two documented departures from a plain ``sum(p.numel())``:

- LongCat-Flash: transformers 5.x allocates ``experts.gate_up_proj`` with a row block for every
  zero-computation expert too (``total_experts``), rows its forward never reads (an index at or past
  ``n_routed_experts`` takes ``nn.Identity``) and the checkpoint does not hold. The oracle subtracts
  exactly those rows, measured from the built model (zero if transformers ever sizes it by the
  routed experts alone), and the test pins their size so a change shows.
- Ling 2.0 (``bailing_moe``): transformers has no implementation, so there is no oracle to build;
  ``_bailing_hand_count`` counts, tensor by tensor, what inclusionAI's ``modeling_bailing_moe_v2.py``
  (github.com/inclusionAI/Ling-V2, ``models/``) registers.
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
from trillion.count.params import count_params, mtp_tensors  # noqa: E402
from trillion.errors import InputError  # noqa: E402
from trillion.io.hf_config import spec_from_hf_dict  # noqa: E402

transformers.logging.set_verbosity_error()
TRANSFORMERS_TYPES = ("glm4_moe", "deepseek_v32", "longcat_flash")
EXAMPLES = 30


def _hf_model(cfg: dict):
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "config.json").write_text(json.dumps(cfg))
        config = transformers.AutoConfig.from_pretrained(d)
    with torch.device("meta"):
        return transformers.AutoModelForCausalLM.from_config(config)


def _unused_zero_expert_rows(model) -> int:
    """Elements of LongCat-Flash's gate_up_proj beyond its down_proj's experts (see module docstring)."""
    unused = 0
    for module in model.modules():
        if type(module).__name__ == "LongcatFlashExperts" and module.gate_up_proj is not None:
            rows = module.gate_up_proj.shape[0] - module.down_proj.shape[0]
            unused += rows * module.gate_up_proj.shape[1] * module.gate_up_proj.shape[2]
    return unused


def _oracle(cfg: dict) -> int:
    model = _hf_model(cfg)
    return sum(p.numel() for p in model.parameters()) - _unused_zero_expert_rows(model)


def _ours(cfg: dict) -> int:
    return count_params(spec_from_hf_dict(cfg, "generated")).total


# --- generated configs -------------------------------------------------------------------------

b = st.booleans()


def _experts(draw, max_experts: int = 8) -> tuple[int, int]:
    e = draw(st.integers(1, max_experts))
    return e, draw(st.integers(1, e))


@st.composite
def glm4_moe_configs(draw):
    heads = draw(st.sampled_from([1, 2, 4, 8]))
    layers = draw(st.integers(1, 4))
    e, k = _experts(draw)
    c = dict(
        model_type="glm4_moe",
        vocab_size=draw(st.integers(50, 500)),
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=draw(st.sampled_from([h for h in (1, 2, 4, 8) if heads % h == 0])),
        intermediate_size=draw(st.integers(8, 64)),
        moe_intermediate_size=draw(st.integers(4, 32)),
        n_routed_experts=e,
        num_experts_per_tok=k,
        n_shared_experts=draw(st.integers(0, 2)),
        first_k_dense_replace=draw(st.integers(0, layers)),
        attention_bias=draw(b),
        use_qk_norm=draw(b),
        tie_word_embeddings=draw(b),
        num_nextn_predict_layers=draw(st.integers(0, 2)),
    )
    if draw(b):  # explicit head_dim (GLM-4.5: 128 with 96 heads on 5120) or hidden / heads
        c.update(hidden_size=draw(st.sampled_from([24, 40, 64])), head_dim=draw(st.sampled_from([8, 12, 24])))
    else:
        c["hidden_size"] = heads * draw(st.sampled_from([8, 16]))
    return c


@st.composite
def deepseek_v32_configs(draw):
    heads = draw(st.sampled_from([1, 2, 4]))
    layers = draw(st.integers(1, 4))
    e, k = _experts(draw)
    c = dict(
        model_type="deepseek_v32",
        vocab_size=draw(st.integers(50, 500)),
        hidden_size=draw(st.sampled_from([16, 32, 48])),
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        intermediate_size=draw(st.integers(8, 64)),
        moe_intermediate_size=draw(st.integers(4, 32)),
        n_routed_experts=e,
        num_experts_per_tok=k,
        n_shared_experts=draw(st.integers(0, 2)),
        n_group=1,
        topk_group=1,
        q_lora_rank=draw(st.sampled_from([8, 16, 24])),
        kv_lora_rank=draw(st.sampled_from([8, 16])),
        qk_nope_head_dim=draw(st.sampled_from([4, 8])),
        qk_rope_head_dim=draw(st.sampled_from([4, 8])),
        v_head_dim=draw(st.sampled_from([4, 8, 12])),
        index_n_heads=draw(st.integers(1, 4)),
        index_head_dim=draw(st.sampled_from([8, 16])),
        index_topk=draw(st.integers(1, 64)),
        attention_bias=draw(b),
        tie_word_embeddings=draw(b),
        num_nextn_predict_layers=draw(st.integers(0, 2)),
    )
    if draw(b):
        c["mlp_layer_types"] = draw(
            st.lists(st.sampled_from(["dense", "sparse"]), min_size=layers, max_size=layers)
        )
    else:
        c["first_k_dense_replace"] = draw(st.integers(0, layers))
    if draw(st.booleans()) and draw(st.booleans()):  # __post_init__: num_experts overrides n_routed_experts
        c["num_experts"] = draw(st.integers(k, 8))
    return c


@st.composite
def longcat_flash_configs(draw):
    heads = draw(st.sampled_from([1, 2, 4]))
    e, k = _experts(draw, 6)
    c = dict(
        model_type="longcat_flash",
        vocab_size=draw(st.integers(50, 500)),
        hidden_size=draw(st.sampled_from([16, 32, 48])),
        num_attention_heads=heads,
        q_lora_rank=draw(st.sampled_from([8, 16])),
        kv_lora_rank=draw(st.sampled_from([8, 16])),
        qk_nope_head_dim=draw(st.sampled_from([4, 8])),
        qk_rope_head_dim=draw(st.sampled_from([4, 8])),
        v_head_dim=draw(st.sampled_from([4, 8])),
        n_routed_experts=e,
        zero_expert_num=draw(st.integers(0, 4)),
        router_bias=draw(b),
        attention_bias=draw(b),
        tie_word_embeddings=draw(b),
    )
    # the layer count as num_layers, or as num_hidden_layers (the property: twice num_layers)
    if draw(b):
        c["num_layers"] = draw(st.integers(1, 3))
    else:
        c["num_hidden_layers"] = draw(st.integers(2, 6))
    # the canonical keys or their attribute_map aliases
    alias = draw(b)
    c["intermediate_size" if alias else "ffn_hidden_size"] = draw(st.integers(8, 64))
    c["moe_intermediate_size" if alias else "expert_ffn_hidden_size"] = draw(st.integers(4, 32))
    c["num_experts_per_tok" if alias else "moe_topk"] = k
    return c


STRATEGIES = {
    "glm4_moe": glm4_moe_configs(),
    "deepseek_v32": deepseek_v32_configs(),
    "longcat_flash": longcat_flash_configs(),
}


@pytest.mark.parametrize("model_type", TRANSFORMERS_TYPES)
@settings(
    max_examples=EXAMPLES, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(data=st.data())
def test_generated_configs_equal_transformers(model_type, data):
    cfg = data.draw(STRATEGIES[model_type])
    assert _ours(cfg) == _oracle(cfg), cfg


def test_longcat_unused_rows_are_exactly_the_zero_experts():
    """Pins what the oracle subtracts: one (2 x expert width, hidden) block per zero expert per layer."""
    cfg = dict(model_type="longcat_flash", vocab_size=64, hidden_size=16, num_layers=3, num_attention_heads=2,
               ffn_hidden_size=24, expert_ffn_hidden_size=8, n_routed_experts=4, zero_expert_num=5,
               moe_topk=2, q_lora_rank=8, kv_lora_rank=8, qk_nope_head_dim=4, qk_rope_head_dim=4,
               v_head_dim=4)  # fmt: skip
    assert _unused_zero_expert_rows(_hf_model(cfg)) == 3 * 5 * 2 * 8 * 16


def test_glm_mtp_layers_default_to_transformers():
    """num_nextn_predict_layers (alias num_mtp_layers) defaults to 1, as Glm4MoeConfig's field."""
    base = dict(
        model_type="glm4_moe", vocab_size=64, hidden_size=32, num_attention_heads=8, num_hidden_layers=2
    )
    assert spec_from_hf_dict(base, "c").mtp_layers == 1
    assert spec_from_hf_dict(dict(base, num_mtp_layers=0), "c").mtp_layers == 0
    assert spec_from_hf_dict(dict(base, num_nextn_predict_layers=2), "c").mtp_layers == 2


# --- Ling 2.0 (bailing_moe): a count by hand of modeling_bailing_moe_v2.py -------------------------


def _bailing_hand_count(cfg: dict) -> tuple[int, int]:
    """(main model, MTP layers) parameters of inclusionAI's BailingMoeV2ForCausalLM, written out from
    its modules: BailingMoeV2Attention (query_key_value, query/key_layernorm, dense),
    BailingMoeV2MLP, BailingMoeV2Gate (weight; expert_bias is a buffer), BailingMoeV2SparseMoeBlock
    (experts, gate, shared_experts), BailingMoeV2DecoderLayer, BailingMoeV2MTPLayer and the model's
    word_embeddings, norm and lm_head (tied when tie_word_embeddings)."""
    g = {
        "intermediate_size": 5120, "num_key_value_heads": 4, "use_qkv_bias": False, "use_bias": False,
        "tie_word_embeddings": False, "num_experts": 256, "num_shared_experts": 1,
        "moe_intermediate_size": 512, "first_k_dense_replace": 1, "head_dim": 128, "use_qk_norm": True,
        "num_nextn_predict_layers": 0, **cfg,
    }  # fmt: skip
    h, v = g["hidden_size"], g["vocab_size"]
    heads, kv = g["num_attention_heads"], g["num_key_value_heads"]
    hd = g["head_dim"] or h // heads

    def attention() -> int:
        n = h * (heads + 2 * kv) * hd + (heads + 2 * kv) * hd * g["use_qkv_bias"]
        n += 2 * hd * g["use_qk_norm"]
        return n + heads * hd * h + h * g["use_bias"]

    def mlp(width: int) -> int:
        return 3 * h * width

    def moe() -> int:
        e, w = g["num_experts"], g["moe_intermediate_size"]
        return e * mlp(w) + e * h + mlp(w * g["num_shared_experts"])

    layers = sum(
        attention() + 2 * h + (moe() if i >= g["first_k_dense_replace"] else mlp(g["intermediate_size"]))
        for i in range(g["num_hidden_layers"])
    )
    main = v * h + layers + h + (0 if g["tie_word_embeddings"] else v * h)
    # BailingMoeV2MTPLayer: input/post-attention norms, enorm, hnorm, final_layernorm, eh_proj, attention, MoE
    mtp = g["num_nextn_predict_layers"] * (5 * h + 2 * h * h + attention() + moe())
    return main, mtp


@st.composite
def bailing_moe_configs(draw):
    heads = draw(st.sampled_from([1, 2, 4, 8]))
    layers = draw(st.integers(1, 4))
    e, k = _experts(draw)
    c = dict(
        model_type="bailing_moe",
        vocab_size=draw(st.integers(50, 500)),
        hidden_size=heads * draw(st.sampled_from([8, 16])),
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=draw(st.sampled_from([h for h in (1, 2, 4, 8) if heads % h == 0])),
        intermediate_size=draw(st.integers(8, 64)),
        moe_intermediate_size=draw(st.integers(4, 32)),
        num_experts=e,
        num_experts_per_tok=k,
        num_shared_experts=draw(st.integers(0, 2)),
        first_k_dense_replace=draw(st.integers(0, layers)),
        use_qkv_bias=draw(b),
        use_bias=draw(b),
        use_qk_norm=draw(b),
        tie_word_embeddings=draw(b),
        num_nextn_predict_layers=draw(st.integers(0, 2)),
    )
    head_dim = draw(st.sampled_from([None, "null", 8, 24]))
    if head_dim == "null":
        c["head_dim"] = None  # `head_dim or hidden // heads`
    elif head_dim is not None:
        c["head_dim"] = head_dim
    if draw(b):
        c["architectures"] = ["BailingMoeV2ForCausalLM"]
    return c


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None)
@given(cfg=bailing_moe_configs())
def test_bailing_moe_equals_a_count_by_hand_of_inclusionai_code(cfg):
    spec = spec_from_hf_dict(cfg, "generated")
    main, mtp = _bailing_hand_count(cfg)
    assert count_params(spec).total == main, cfg
    # trillion's MTP module is a copy of the last layer: Bailing's is always MoE, so they agree
    # whenever the last main layer is MoE
    if cfg["first_k_dense_replace"] < cfg["num_hidden_layers"]:
        assert sum(t.numel for t in mtp_tensors(spec)) == mtp, cfg


# --- catalog entries ---------------------------------------------------------------------------


CATALOG = hf_catalog_entries((*TRANSFORMERS_TYPES, "bailing_moe"))


def test_the_catalog_has_this_family():
    assert {name for name, _ in CATALOG} >= {"glm-4.5", "glm-4.5-air", "deepseek-v3.2", "longcat-flash"}


@pytest.mark.parametrize("name, cfg", CATALOG, ids=[n for n, _ in CATALOG])
def test_catalog_counts_equal_transformers(name, cfg):
    ours = count_params(catalog()[name].spec).total
    if cfg["model_type"] == "bailing_moe":
        assert ours == _bailing_hand_count(cfg)[0]
    else:
        assert ours == _oracle(cfg)


# --- bad input ---------------------------------------------------------------------------------

GLM = dict(
    model_type="glm4_moe",
    vocab_size=64,
    hidden_size=32,
    num_attention_heads=4,
    num_key_value_heads=2,
    num_hidden_layers=2,
)
V32 = dict(
    model_type="deepseek_v32", vocab_size=64, hidden_size=32, num_attention_heads=4, num_hidden_layers=2
)
LONGCAT = dict(model_type="longcat_flash", vocab_size=64, hidden_size=32, num_attention_heads=4, num_layers=2)
LING = dict(
    model_type="bailing_moe", vocab_size=64, hidden_size=32, num_attention_heads=4, num_hidden_layers=2
)

BAD = {
    "glm kv heads not dividing": (dict(GLM, num_key_value_heads=3), "num_key_value_heads"),
    "glm top-k over experts": (dict(GLM, n_routed_experts=4, num_experts_per_tok=5), "num_experts_per_tok"),
    "glm hidden not divisible, no head_dim": (dict(GLM, hidden_size=30), "num_attention_heads"),
    "glm negative shared experts": (dict(GLM, n_shared_experts=-1), "n_shared_experts"),
    "v32 null q_lora_rank": (dict(V32, q_lora_rank=None), "q_lora_rank"),
    "v32 mlp_layer_types wrong length": (dict(V32, mlp_layer_types=["dense"]), "mlp_layer_types"),
    "v32 mlp_layer_types unknown entry": (dict(V32, mlp_layer_types=["dense", "moe"]), "mlp_layer_types"),
    "v32 zero index heads": (dict(V32, index_n_heads=0), "index_n_heads"),
    "longcat one hidden layer": (dict(LONGCAT, num_layers=None, num_hidden_layers=1), "num_hidden_layers"),
    "longcat qk_head_dim mismatch": (dict(LONGCAT, qk_head_dim=7), "qk_head_dim"),
    "longcat top-k over routed experts": (dict(LONGCAT, n_routed_experts=4, moe_topk=6), "moe_topk"),
    "longcat alias contradiction": (
        dict(LONGCAT, ffn_hidden_size=64, intermediate_size=32),
        "intermediate_size",
    ),
    "ling 1.x architecture": (dict(LING, architectures=["BailingMoeForCausalLM"]), "architectures"),
    "ling shared width unlike the code": (dict(LING, moe_shared_expert_intermediate_size=7), "moe_shared"),
    "ling top-k over experts": (dict(LING, num_experts=4, num_experts_per_tok=6), "num_experts_per_tok"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_configs_raise_input_error_naming_the_key(name):
    cfg, key = BAD[name]
    with pytest.raises(InputError) as err:
        spec_from_hf_dict(cfg, "config.json")
    assert str(err.value).startswith("config.json: "), str(err.value)
    assert key in str(err.value), str(err.value)
