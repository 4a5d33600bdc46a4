"""Oracle for the 2024-2025 MoE importers (`trillion.io.hf_config.moe_2025`): gpt-oss, Llama 4 (text
and the multimodal wrapper), OLMoE and ERNIE 4.5 MoE.

For hypothesis-generated small configs of each model type, and for every catalog entry of the
family, ``count_params(spec).total`` must equal ``sum(p.numel())`` of the model transformers builds
from the same config.json on the meta device, and the per-layer structure (MoE layers, sliding
windows, attention chunks) must be the one the built modules carry; bad configs raise one
`InputError` naming the key.
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
from trillion.io.hf_config import moe_2025, spec_from_hf_dict  # noqa: E402

transformers.logging.set_verbosity_error()

MODEL_TYPES = ("gpt_oss", "llama4_text", "llama4", "olmoe", "ernie4_5_moe")


CATALOG = hf_catalog_entries(moe_2025.BUILDERS)  # new entries of these types join
CATALOG_NAMES = tuple(name for name, _ in CATALOG)


def test_the_catalog_has_this_family():
    assert set(CATALOG_NAMES) >= set(
        ("gpt-oss-120b", "gpt-oss-20b", "llama-4-scout", "llama-4-maverick", "ernie-4.5-21b-a3b")
    )


EXAMPLES = 25


def _hf_model(cfg: dict):
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "config.json").write_text(json.dumps(cfg))
        config = transformers.AutoConfig.from_pretrained(d)
    with torch.device("meta"):
        return transformers.AutoModelForCausalLM.from_config(config)


def _params(model) -> int:
    return sum(p.numel() for p in model.parameters())


b = st.booleans()


def _heads(draw) -> tuple[int, int]:
    heads = draw(st.sampled_from([1, 2, 4]))
    return heads, draw(st.sampled_from([k for k in (1, 2, 4) if heads % k == 0]))


def _experts(draw, c: dict, experts_key: str, top_k_key: str, most: int = 4) -> None:
    c[experts_key] = draw(st.integers(1, most))
    c[top_k_key] = draw(st.integers(1, c[experts_key]))


@st.composite
def gpt_oss(draw) -> dict:
    heads, kv = _heads(draw)
    layers = draw(st.integers(1, 4))
    c = dict(
        model_type="gpt_oss", vocab_size=draw(st.integers(50, 300)),
        hidden_size=draw(st.sampled_from([16, 24])),
        num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=kv,
        head_dim=draw(st.sampled_from([4, 8])), intermediate_size=draw(st.integers(4, 24)),
        attention_bias=draw(b), tie_word_embeddings=draw(b), max_position_embeddings=256,
    )  # fmt: skip
    _experts(draw, c, draw(st.sampled_from(["num_local_experts", "num_experts"])), "num_experts_per_tok")
    window = draw(st.sampled_from(["absent", "null", "small"]))
    if window != "absent":
        c["sliding_window"] = None if window == "null" else draw(st.integers(2, 16))
    if draw(b):
        c["layer_types"] = draw(st.lists(st.sampled_from(["sliding_attention", "full_attention"]),
                                         min_size=layers, max_size=layers))  # fmt: skip
    return c


def _llama4_text_keys(draw) -> dict:
    heads, kv = _heads(draw)
    layers = draw(st.integers(1, 5))
    c = dict(
        vocab_size=draw(st.integers(50, 300)), hidden_size=draw(st.sampled_from([16, 24])),
        num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=kv,
        head_dim=draw(st.sampled_from([4, 8])), intermediate_size=draw(st.integers(4, 24)),
        intermediate_size_mlp=draw(st.integers(4, 32)), attention_bias=draw(b), tie_word_embeddings=draw(b),
        use_qk_norm=draw(b), max_position_embeddings=256,
    )  # fmt: skip
    _experts(draw, c, "num_local_experts", "num_experts_per_tok")
    if draw(b):
        c["moe_layers"] = draw(st.lists(st.integers(0, layers - 1), unique=True, max_size=layers))
    else:
        c["interleave_moe_layer_step"] = draw(st.integers(1, 3))
    if draw(b):
        c["no_rope_layers"] = draw(st.lists(st.sampled_from([0, 1]), min_size=layers, max_size=layers))
    else:
        c["no_rope_layer_interval"] = draw(st.integers(1, 4))
    c["attention_chunk_size"] = draw(st.sampled_from([None, 4, 16]))
    if draw(b):
        kinds = ["full_attention"] + (["chunked_attention"] if c["attention_chunk_size"] else [])
        c["layer_types"] = draw(st.lists(st.sampled_from(kinds), min_size=layers, max_size=layers))
    return c


@st.composite
def llama4_text(draw) -> dict:
    return dict(_llama4_text_keys(draw), model_type="llama4_text")


@st.composite
def llama4(draw) -> dict:
    c: dict = dict(model_type="llama4", text_config=dict(_llama4_text_keys(draw), model_type="llama4_text"))
    if draw(b):
        c["tie_word_embeddings"] = draw(b)  # the wrapper's own flag: the text model ignores it
    return c


@st.composite
def olmoe(draw) -> dict:
    heads, kv = _heads(draw)
    head_dim = draw(st.sampled_from([4, 8]))
    c = dict(
        model_type="olmoe", vocab_size=draw(st.integers(50, 300)), hidden_size=heads * head_dim,
        num_hidden_layers=draw(st.integers(1, 4)), num_attention_heads=heads,
        intermediate_size=draw(st.integers(4, 24)), attention_bias=draw(b), tie_word_embeddings=draw(b),
        hidden_act=draw(st.sampled_from(["silu", "gelu"])),
    )  # fmt: skip
    kv_choice = draw(st.sampled_from(["absent", "null", "given"]))  # absent or null: every head
    if kv_choice != "absent":
        c["num_key_value_heads"] = None if kv_choice == "null" else kv
    _experts(draw, c, draw(st.sampled_from(["num_experts", "num_local_experts"])), "num_experts_per_tok", 6)
    return c


@st.composite
def ernie4_5_moe(draw) -> dict:
    heads, kv = _heads(draw)
    layers = draw(st.integers(1, 5))
    c = dict(
        model_type="ernie4_5_moe", vocab_size=draw(st.integers(50, 300)),
        hidden_size=draw(st.sampled_from([16, 24])),
        num_hidden_layers=layers, num_attention_heads=heads, num_key_value_heads=kv,
        intermediate_size=draw(st.integers(4, 24)), moe_intermediate_size=draw(st.integers(4, 16)),
        moe_num_shared_experts=draw(st.integers(0, 2)), use_bias=draw(b), tie_word_embeddings=draw(b),
        moe_layer_start_index=draw(st.integers(-1, 3)), moe_layer_end_index=draw(st.integers(-1, layers)),
        moe_layer_interval=draw(st.integers(1, 3)),
    )  # fmt: skip
    if draw(b):
        c["head_dim"] = draw(st.sampled_from([4, 6]))
    if draw(b):
        c["num_nextn_predict_layers"] = 1  # MTP: transformers does not build it, trillion counts it apart
    keys = draw(st.sampled_from([("moe_num_experts", "moe_k"), ("num_experts", "num_experts_per_tok")]))
    _experts(draw, c, *keys)
    return c


STRATEGIES = {"gpt_oss": gpt_oss, "llama4_text": llama4_text, "llama4": llama4, "olmoe": olmoe,
              "ernie4_5_moe": ernie4_5_moe}  # fmt: skip


def _check_structure(spec, model) -> None:
    """The spec's per-layer choices are those of the modules transformers built."""
    config, layers = model.config, model.model.layers
    kind = config.model_type
    for i, (ours, theirs) in enumerate(zip(spec.layer_list(), layers, strict=True)):
        if kind == "gpt_oss":
            assert ours.window == theirs.self_attn.sliding_window, i
        elif kind == "llama4_text":
            assert ("moe" in ours.ffns) == theirs.is_moe_layer, i
            chunked = config.layer_types[i] == "chunked_attention"
            assert ours.chunk == (config.attention_chunk_size if chunked else None), i
        elif kind == "ernie4_5_moe":
            assert ("moe" in ours.ffns) == hasattr(theirs.mlp, "experts"), i


@pytest.mark.slow
@pytest.mark.parametrize("model_type", MODEL_TYPES)
@settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
@given(data=st.data())
def test_generated_configs_equal_transformers(model_type, data):
    cfg = data.draw(STRATEGIES[model_type]())
    spec = spec_from_hf_dict(cfg, "generated")
    model = _hf_model(cfg)
    assert count_params(spec).total == _params(model), cfg
    _check_structure(spec, model)
    if model_type == "ernie4_5_moe":
        assert spec.mtp_layers == cfg.get("num_nextn_predict_layers", 0)


@pytest.mark.slow
@pytest.mark.parametrize("name, cfg", CATALOG, ids=CATALOG_NAMES)
def test_catalog_entries_equal_transformers(name, cfg):
    entry = catalog()[name]
    model = _hf_model(cfg)
    assert count_params(entry.spec).total == _params(model)
    _check_structure(entry.spec, model)


# Llama 4's vision tower as published with Scout (meta-llama/Llama-4-Scout-17B-16E config.json,
# vision_config): with the catalog's text configs, the whole multimodal model gives the totals the
# tolerance notes cite (Hugging Face safetensors totals of the released checkpoints).
LLAMA4_VISION = dict(
    hidden_act="gelu", hidden_size=1408, image_size=336, intermediate_size=5632,
    multi_modal_projector_bias=False,
    norm_eps=1e-05, num_attention_heads=16, num_channels=3, num_hidden_layers=34, patch_size=14,
    pixel_shuffle_ratio=0.5, projector_input_dim=4096, projector_output_dim=4096, vision_output_dim=4096,
)  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize(
    "name, total", [("llama-4-scout", 108_641_793_536), ("llama-4-maverick", 401_583_781_376)]
)
def test_llama4_language_model_is_the_published_total_less_the_vision_tower(name, total):
    text = dict(CATALOG)[name]["text_config"]
    config = transformers.Llama4Config(text_config=text, vision_config=LLAMA4_VISION)
    with torch.device("meta"):
        full = _params(transformers.Llama4ForConditionalGeneration(config))
    assert full == total
    vision_and_projector = 871_932_416
    assert count(catalog()[name].spec).total_params == total - vision_and_projector


@pytest.mark.parametrize(
    "name, published_active",
    [("gpt-oss-120b", 5_132_849_472), ("gpt-oss-20b", 3_608_307_264)],
)
def test_gpt_oss_active_count_excludes_the_input_embedding(name, published_active):
    """OpenAI's active figures (5.13B, 3.61B) are trillion's active count less the token-embedding
    table (201088 x 2880): the convention the tolerance notes state."""
    assert count(catalog()[name].spec).active_params.total - 201088 * 2880 == published_active


def test_ernie_counts_its_score_correction_parameter():
    """transformers registers moe_statics.e_score_correction_bias as an nn.Parameter (1, E) per MoE
    layer, and the checkpoint stores it: the 21B-A3B safetensors total includes it."""
    assert count(catalog()["ernie-4.5-21b-a3b"].spec).total_params == 21_825_437_888


BASE = dict(vocab_size=64, hidden_size=16, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
            intermediate_size=8)  # fmt: skip
BAD = [
    ("gpt_oss", dict(layer_types=["chunked_attention", "full_attention"]), "layer_types"),
    ("gpt_oss", dict(layer_types=["full_attention"]), "layer_types"),
    ("gpt_oss", dict(num_local_experts=2, num_experts_per_tok=3), "num_experts_per_tok"),
    ("gpt_oss", dict(num_local_experts=2, num_experts=3), "num_experts"),
    ("gpt_oss", dict(num_key_value_heads=3), "num_key_value_heads"),
    ("gpt_oss", dict(head_dim=None), "head_dim"),
    ("llama4_text", dict(num_key_value_heads=None), "num_key_value_heads"),
    ("ernie4_5_moe", dict(num_key_value_heads=None), "num_key_value_heads"),
    ("llama4_text", dict(moe_layers=[0, 5]), "moe_layers"),
    ("llama4_text", dict(no_rope_layers=[1]), "no_rope_layers"),
    (
        "llama4_text",
        dict(attention_chunk_size=None, layer_types=["chunked_attention"] * 2),
        "attention_chunk_size",
    ),
    ("llama4_text", dict(interleave_moe_layer_step=0), "interleave_moe_layer_step"),
    ("llama4_text", dict(no_rope_layer_interval=0), "no_rope_layer_interval"),
    ("llama4", dict(text_config=[1, 2]), "text_config"),
    ("llama4", dict(text_config=dict(BASE, num_key_value_heads=3)), "text_config.num_key_value_heads"),
    ("olmoe", dict(head_dim=8), "head_dim"),
    ("olmoe", dict(num_attention_heads=3, num_key_value_heads=1), "num_attention_heads"),
    ("ernie4_5_moe", dict(moe_layer_interval=0), "moe_layer_interval"),
    ("ernie4_5_moe", dict(moe_num_experts=2, moe_k=3), "moe_k"),
    ("ernie4_5_moe", dict(num_nextn_predict_layers=99), "num_nextn_predict_layers"),
    ("ernie4_5_moe", dict(moe_num_shared_experts=-1), "moe_num_shared_experts"),
]


@pytest.mark.parametrize("model_type, change, key", BAD, ids=[f"{t}-{k}" for t, _, k in BAD])
def test_bad_configs_name_the_key(model_type, change, key):
    cfg = dict(BASE, model_type=model_type, **change)
    with pytest.raises(InputError) as err:
        spec_from_hf_dict(cfg, "config.json")
    assert str(err.value).startswith(f"config.json: {key}: "), str(err.value)
