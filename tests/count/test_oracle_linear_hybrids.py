"""Oracle for the linear-attention hybrids (`trillion.io.hf_config.linear_hybrids`): Qwen3-Next,
Kimi Linear, MiniMax-01 and MiniMax-M2.

For hypothesis-generated small configs of each model type, and for every catalog entry of the
family, ``count_params(spec).total`` must equal ``sum(p.numel())`` of the model transformers builds
from the same config.json on the meta device; bad configs raise one `InputError` naming the key.
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
from trillion.count import count  # noqa: E402
from trillion.count.params import count_params  # noqa: E402
from trillion.errors import InputError  # noqa: E402
from trillion.io.hf_config import linear_hybrids, spec_from_hf_dict  # noqa: E402

transformers.logging.set_verbosity_error()

MODEL_TYPES = ("qwen3_next", "kimi_linear", "minimax", "minimax_m2")


CATALOG = hf_catalog_entries(linear_hybrids.BUILDERS)  # new entries of these types join
CATALOG_NAMES = tuple(name for name, _ in CATALOG)


def test_the_catalog_has_this_family():
    assert set(CATALOG_NAMES) >= set(("qwen3-next-80b-a3b", "kimi-linear-48b-a3b", "minimax-m2"))


EXAMPLES = 25


def _hf_params(cfg: dict) -> int:
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "config.json").write_text(json.dumps(cfg))
        config = transformers.AutoConfig.from_pretrained(d)
    with torch.device("meta"):
        model = transformers.AutoModelForCausalLM.from_config(config)
    return sum(p.numel() for p in model.parameters())


def _ours(cfg: dict) -> int:
    return count_params(spec_from_hf_dict(cfg, "generated")).total


b = st.booleans()


def _heads(draw) -> tuple[int, int]:
    heads = draw(st.sampled_from([1, 2, 4]))
    return heads, draw(st.sampled_from([k for k in (1, 2, 4) if heads % k == 0]))


@st.composite
def qwen3_next(draw) -> dict:
    heads, kv = _heads(draw)
    layers = draw(st.integers(1, 6))
    k_heads = draw(st.integers(1, 2))
    c = dict(
        model_type="qwen3_next", vocab_size=draw(st.integers(50, 300)), hidden_size=draw(st.sampled_from([16, 32])),
        num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=kv,
        head_dim=draw(st.sampled_from([4, 8])), intermediate_size=draw(st.integers(8, 40)),
        attention_bias=draw(b), tie_word_embeddings=draw(b),
        linear_num_key_heads=k_heads, linear_num_value_heads=k_heads * draw(st.integers(1, 2)),
        linear_key_head_dim=draw(st.sampled_from([4, 8])), linear_value_head_dim=draw(st.sampled_from([4, 6])),
        linear_conv_kernel_dim=draw(st.integers(2, 4)),
        num_experts=draw(st.integers(0, 5)), moe_intermediate_size=draw(st.integers(4, 16)),
        shared_expert_intermediate_size=draw(st.integers(4, 16)), decoder_sparse_step=draw(st.integers(1, 3)),
        mlp_only_layers=draw(st.lists(st.integers(0, layers - 1), unique=True, max_size=2)),
    )  # fmt: skip
    c["num_experts_per_tok"] = draw(st.integers(1, max(c["num_experts"], 1)))
    if draw(b):
        c["layer_types"] = draw(st.lists(st.sampled_from(["linear_attention", "full_attention"]),
                                         min_size=layers, max_size=layers))  # fmt: skip
    else:
        c["full_attention_interval"] = draw(st.integers(1, 4))
    return c


@st.composite
def kimi_linear(draw) -> dict:
    layers = draw(st.integers(1, 6))
    experts = draw(st.integers(1, 5))
    c = dict(
        model_type="kimi_linear", vocab_size=draw(st.integers(50, 300)), pad_token_id=0,
        hidden_size=draw(st.sampled_from([16, 24, 32])), num_hidden_layers=layers,
        num_attention_heads=draw(st.integers(1, 4)), intermediate_size=draw(st.integers(8, 40)),
        moe_intermediate_size=draw(st.integers(4, 16)), kv_lora_rank=draw(st.sampled_from([4, 8])),
        q_lora_rank=draw(st.sampled_from([None, 6])), qk_nope_head_dim=draw(st.sampled_from([4, 8])),
        qk_rope_head_dim=draw(st.sampled_from([2, 4])), v_head_dim=draw(st.sampled_from([4, 6])),
        attention_bias=draw(b), tie_word_embeddings=draw(b), model_max_length=4096,
    )  # fmt: skip
    # the checkpoint's spellings or transformers' (attribute_map aliases)
    c["num_experts" if draw(b) else "num_local_experts"] = experts
    c["num_experts_per_token" if draw(b) else "num_experts_per_tok"] = draw(st.integers(1, experts))
    c["num_shared_experts" if draw(b) else "n_shared_experts"] = draw(st.integers(0, 2))
    dims = dict(num_heads=draw(st.integers(1, 3)), head_dim=draw(st.sampled_from([4, 8])),
                short_conv_kernel_size=draw(st.integers(2, 4)))  # fmt: skip
    lac: dict = {}
    if draw(b):  # the checkpoint's nested linear_attn_config, some keys, over flat keys that it overrides
        lac = {k: v for k, v in dims.items() if draw(b)}
        c.update(linear_num_heads=2, linear_head_dim=6, linear_conv_kernel_dim=3)
    else:
        c.update(linear_num_heads=dims["num_heads"], linear_head_dim=dims["head_dim"],
                 linear_conv_kernel_dim=dims["short_conv_kernel_size"])  # fmt: skip
    kinds = st.sampled_from(["linear_attention", "full_attention"])
    pattern = draw(st.sampled_from(["default", "layer_types", "indices"]))
    if pattern == "layer_types":
        c["layer_types"] = draw(st.lists(kinds, min_size=layers, max_size=layers))
    elif pattern == "indices":  # 1-indexed layer numbers, as the checkpoint gives them
        full = draw(st.lists(st.integers(1, layers), unique=True))
        lac.update(
            full_attn_layers=sorted(full), kda_layers=[i for i in range(1, layers + 1) if i not in full]
        )
    if lac or draw(b):
        c["linear_attn_config"] = lac
    if draw(b):
        c["mlp_layer_types"] = draw(
            st.lists(st.sampled_from(["dense", "sparse"]), min_size=layers, max_size=layers)
        )
    elif draw(b):
        c["first_k_dense_replace"] = draw(st.integers(0, layers))
    return c


@st.composite
def minimax(draw) -> dict:
    heads, kv = _heads(draw)
    layers = draw(st.integers(1, 6))
    experts = draw(st.integers(1, 5))
    c = dict(
        model_type="minimax", vocab_size=draw(st.integers(50, 300)), hidden_size=heads * 8,
        num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=kv,
        intermediate_size=draw(st.integers(8, 40)), num_experts_per_tok=draw(st.integers(1, experts)),
        tie_word_embeddings=draw(b), max_position_embeddings=512,
    )  # fmt: skip
    c["num_local_experts" if draw(b) else "num_experts"] = experts
    if draw(b):
        c["head_dim"] = draw(st.sampled_from([4, 12]))
    if draw(b):
        c["sliding_window"] = draw(st.integers(4, 512))
    types = ["full_attention" if (i + 1) % 2 else "linear_attention" for i in range(layers)]
    if draw(b):
        types = draw(st.lists(st.sampled_from(["linear_attention", "full_attention"]),
                              min_size=layers, max_size=layers))  # fmt: skip
        c["layer_types"] = types
    if draw(b):  # the original checkpoints' spelling, consistent with what transformers builds
        c["attn_type_list"] = [int(t == "full_attention") for t in types]
    return c


@st.composite
def minimax_m2(draw) -> dict:
    heads, kv = _heads(draw)
    experts = draw(st.integers(1, 6))
    c = dict(
        model_type="minimax_m2", vocab_size=draw(st.integers(50, 300)), hidden_size=draw(st.sampled_from([16, 32])),
        num_hidden_layers=draw(st.integers(1, 4)), num_attention_heads=heads, num_key_value_heads=kv,
        intermediate_size=draw(st.integers(8, 40)), num_experts_per_tok=draw(st.integers(1, experts)),
        tie_word_embeddings=draw(b), use_mtp=draw(b), num_mtp_modules=draw(st.integers(0, 3)),
    )  # fmt: skip
    c["num_local_experts" if draw(b) else "num_experts"] = experts
    if draw(b):
        c["head_dim"] = draw(st.sampled_from([4, 8, 12]))
    return c


STRATEGIES = {
    "qwen3_next": qwen3_next,
    "kimi_linear": kimi_linear,
    "minimax": minimax,
    "minimax_m2": minimax_m2,
}


@pytest.mark.parametrize("model_type", MODEL_TYPES)
@settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(data=st.data())
def test_generated_configs_equal_transformers(model_type, data):
    cfg = data.draw(STRATEGIES[model_type]())
    assert _ours(cfg) == _hf_params(cfg), cfg


@pytest.mark.parametrize("name, cfg", CATALOG, ids=CATALOG_NAMES)
def test_catalog_entries_equal_transformers(name, cfg):
    entry = catalog()[name]
    assert count_params(entry.spec).total == _hf_params(cfg)


def test_layers_carry_the_right_mixers_and_state():
    """The per-layer structure and state shapes, beyond the totals: Kimi Linear's 1-indexed layer lists
    and dense first layer, MiniMax's alternation, MiniMax-M2's MTP modules."""
    kimi = catalog()["kimi-linear-48b-a3b"].spec
    full = [i for i, layer in enumerate(kimi.layers) if layer.attention]
    assert full == [3, 7, 11, 15, 19, 23, 26]
    kda = kimi.layers[0].recurrent
    assert kda is not None and (kda.kind, kda.state_heads, kda.state_rows, kda.state_cols) == (
        "kda",
        32,
        128,
        128,
    )
    assert (kda.conv_channels, kda.conv_kernel) == (3 * 32 * 128, 4)
    assert kimi.layers[0].ffns == ("dense",) and all(layer.ffns == ("moe",) for layer in kimi.layers[1:])
    mm = spec_from_hf_dict(dict(model_type="minimax", num_hidden_layers=4), "c.json")
    kinds = [layer.recurrent.kind if layer.recurrent else "softmax" for layer in mm.layers]
    assert kinds == ["softmax", "lightning", "softmax", "lightning"]
    lightning = mm.layers[1].recurrent
    assert lightning is not None and (lightning.state_heads, lightning.state_rows, lightning.conv_kernel) == (
        32,
        128,
        0,
    )
    m2 = catalog()["minimax-m2"].spec
    assert m2.mtp_layers == 3 and not m2.layers and m2.attention.qk_norm == "full"
    c = count(kimi, 4096)
    assert c.total_params > c.active_params.total > 0


KIMI = dict(model_type="kimi_linear", num_hidden_layers=4, hidden_size=32, num_attention_heads=2)
MINIMAX = dict(
    model_type="minimax", num_hidden_layers=4, hidden_size=32, num_attention_heads=4, num_key_value_heads=2
)
BAD = [
    (dict(KIMI, linear_attn_config=[1, 2]), "linear_attn_config"),
    (dict(KIMI, linear_attn_config={"full_attn_layers": [4], "kda_layers": [1, 2]}), "linear_attn_config"),
    (dict(KIMI, linear_attn_config={"full_attn_layers": [0, 4], "kda_layers": [1, 2, 3]}), "linear_attn_config"),
    (dict(KIMI, linear_attn_config={"full_attn_layers": [2], "kda_layers": [1, 2, 3, 4]}), "linear_attn_config"),
    (dict(KIMI, linear_attn_config={"head_dim": 0}), "linear_attn_config.head_dim"),
    (dict(KIMI, layer_types=["full_attention", "sliding_attention", "full_attention", "full_attention"]),
     "layer_types"),
    (dict(KIMI, layer_types=["full_attention"]), "layer_types"),
    (dict(KIMI, mlp_layer_types=["dense", "moe", "sparse", "sparse"]), "mlp_layer_types"),
    (dict(KIMI, num_experts=4, num_experts_per_token=5), "num_experts_per_token"),
    (dict(KIMI, num_experts=4, num_local_experts=8), "num_local_experts"),
    (dict(MINIMAX, num_key_value_heads=3), "num_key_value_heads"),
    (dict(MINIMAX, num_attention_heads=5, num_key_value_heads=5), "num_attention_heads"),
    (dict(MINIMAX, layer_types=["full_attention", "lightning", "full_attention", "linear_attention"]), "layer_types"),
    (dict(MINIMAX, attn_type_list=[0, 0, 0, 1]), "attn_type_list"),
    (dict(MINIMAX, attn_type_list=[1, 0, 2, 0]), "attn_type_list"),
    (dict(MINIMAX, num_local_experts=2, num_experts_per_tok=3), "num_experts_per_tok"),
    (dict(MINIMAX, sliding_window=4096, max_position_embeddings=1024), "sliding_window"),
    (dict(model_type="minimax_m2", num_attention_heads=48, num_key_value_heads=7), "num_key_value_heads"),
    (dict(model_type="minimax_m2", head_dim=0), "head_dim"),
    (dict(model_type="minimax_m2", use_mtp=True, num_mtp_modules=99), "num_mtp_modules"),
    (dict(model_type="qwen3_next", layer_types=["linear_attention"] * 3), "layer_types"),
]  # fmt: skip


@pytest.mark.parametrize("cfg, key", BAD, ids=[f"{c['model_type']}-{k}-{i}" for i, (c, k) in enumerate(BAD)])
def test_bad_configs_name_the_key(cfg, key):
    with pytest.raises(InputError) as info:
        spec_from_hf_dict(cfg, "config.json")
    text = str(info.value)
    assert text.startswith("config.json: ") and f": {key}:" in text and "\n" not in text, text
