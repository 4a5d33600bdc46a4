"""Oracle for the 2025 dense decoders (`trillion.io.hf_config.dense_2025`): Gemma 3 (text and
multimodal), OLMo 3, SmolLM3, Seed-OSS, EXAONE 4 and Apertus.

For hypothesis-generated small configs of each model type, and for the family's catalog entries,
``count_params(spec).total`` must equal ``sum(p.numel())`` of the model transformers builds from the
same config.json on the meta device (for the multimodal ``gemma3``, which AutoModelForCausalLM builds
as Gemma3ForConditionalGeneration, the parameters outside the vision tower and projector), and every
layer's sliding window must equal the one its attention module uses. Bad configs raise one
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
from trillion.count.params import count_params  # noqa: E402
from trillion.errors import InputError  # noqa: E402
from trillion.io.hf_config import dense_2025, spec_from_hf_dict  # noqa: E402

transformers.logging.set_verbosity_error()

EXAMPLES = 25
VISION_PARTS = ("model.vision_tower.", "model.multi_modal_projector.")
# a small SigLIP tower for multimodal Gemma 3 (4 patches a side pooled to 2: mm_tokens_per_image 4)
VISION = dict(model_type="siglip_vision_model", hidden_size=16, intermediate_size=24, num_hidden_layers=1,
              num_attention_heads=2, image_size=32, patch_size=8)  # fmt: skip


def _hf_model(cfg: dict):
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "config.json").write_text(json.dumps(cfg))
        config = transformers.AutoConfig.from_pretrained(d)
    with torch.device("meta"):
        return transformers.AutoModelForCausalLM.from_config(config)


def _language_params(model) -> int:
    """Every parameter but a multimodal model's vision tower and projector (tied ones once)."""
    return sum(p.numel() for n, p in model.named_parameters() if not n.startswith(VISION_PARTS))


def _hf_windows(model) -> list[int | None]:
    """The window each decoder layer's attention applies (EXAONE 4 keeps the size on every layer and
    applies it where ``is_sliding``)."""
    inner = model.model.language_model if hasattr(model.model, "language_model") else model.model
    out = []
    for layer in inner.layers:
        attn = layer.self_attn
        window = getattr(attn, "sliding_window", None)
        if hasattr(attn, "is_sliding") and not attn.is_sliding:
            window = None
        out.append(window)
    return out


def _check(cfg: dict) -> None:
    spec = spec_from_hf_dict(cfg, "generated")
    model = _hf_model(cfg)
    assert count_params(spec).total == _language_params(model), cfg
    assert [layer.window for layer in spec.layer_list()] == _hf_windows(model), cfg


b = st.booleans()


@st.composite
def _base(draw, *, head_dim_key: bool = True) -> dict:
    """Dimensions every family reads: heads dividing by kv heads, an explicit head_dim or hidden / heads."""
    heads = draw(st.sampled_from([1, 2, 4]))
    c = dict(
        vocab_size=draw(st.integers(50, 300)), hidden_size=draw(st.sampled_from([16, 32])),
        num_hidden_layers=draw(st.integers(1, 7)), num_attention_heads=heads,
        num_key_value_heads=draw(st.sampled_from([k for k in (1, 2, 4) if heads % k == 0])),
        intermediate_size=draw(st.integers(8, 40)), tie_word_embeddings=draw(b), pad_token_id=0,
        max_position_embeddings=4096,
    )  # fmt: skip
    if head_dim_key and draw(b):
        c["head_dim"] = draw(st.sampled_from([4, 8, 12]))
    return c


def _types(draw, layers: int) -> list[str]:
    return draw(
        st.lists(st.sampled_from(["sliding_attention", "full_attention"]), min_size=layers, max_size=layers)
    )


@st.composite
def gemma3_text(draw) -> dict:
    c = draw(_base(head_dim_key=False))
    c.update(model_type="gemma3_text", head_dim=draw(st.sampled_from([4, 8])), attention_bias=draw(b),
             sliding_window=draw(st.sampled_from([None, 8, 33])),
             hidden_activation=draw(st.sampled_from(["gelu_pytorch_tanh", "silu", "xielu"])))  # fmt: skip
    if c["sliding_window"] is not None:
        c["use_bidirectional_attention"] = draw(b)
    if draw(b):
        c["layer_types"] = _types(draw, c["num_hidden_layers"])
    elif draw(b):
        c["sliding_window_pattern"] = draw(st.integers(1, 4))
    return c


@st.composite
def gemma3(draw) -> dict:
    text = draw(gemma3_text())
    top = dict(model_type="gemma3", vision_config=VISION, mm_tokens_per_image=4)
    top["tie_word_embeddings"] = text.pop("tie_word_embeddings")
    if draw(b):  # ignored: the top-level key ties Gemma3ForConditionalGeneration
        text["tie_word_embeddings"] = draw(b)
    text.pop("model_type")
    if draw(b):
        text["model_type"] = "gemma3_text"
    return dict(top, text_config=text)


@st.composite
def olmo3(draw) -> dict:
    c = draw(_base())
    c.update(model_type="olmo3", attention_bias=draw(b), sliding_window=draw(st.sampled_from([None, 8, 33])))
    if draw(b):
        c["num_key_value_heads"] = None  # all heads
    if draw(b):
        c["layer_types"] = _types(draw, c["num_hidden_layers"])
    return c


@st.composite
def smollm3(draw) -> dict:
    c = draw(_base())
    layers = c["num_hidden_layers"]
    c.update(model_type="smollm3", attention_bias=draw(b), mlp_bias=draw(b), use_sliding_window=draw(b),
             sliding_window=draw(st.sampled_from([None, 8, 33])))  # fmt: skip
    if draw(b):
        c["no_rope_layers"] = draw(st.lists(st.integers(0, 1), min_size=layers, max_size=layers))
    else:
        c["no_rope_layer_interval"] = draw(st.integers(1, 4))
    if draw(b):
        c["layer_types"] = _types(draw, layers)
    return c


@st.composite
def seed_oss(draw) -> dict:
    c = draw(_base(head_dim_key=False))
    c.update(model_type="seed_oss", attention_bias=draw(b), attention_out_bias=draw(b), mlp_bias=draw(b),
             head_dim=draw(st.sampled_from([None, 4, 8])))  # fmt: skip
    return c


@st.composite
def exaone4(draw) -> dict:
    c = draw(_base())
    c.update(model_type="exaone4", sliding_window=draw(st.sampled_from([None, 8, 33])),
             hidden_act=draw(st.sampled_from(["silu", "gelu", "prelu"])))  # fmt: skip
    if draw(b) or c["sliding_window"] is None:  # transformers 5 cannot derive types without a window
        c["layer_types"] = _types(draw, c["num_hidden_layers"])
    else:
        c["sliding_window_pattern"] = draw(st.integers(1, 4))
    return c


@st.composite
def apertus(draw) -> dict:
    c = draw(_base())
    c.update(model_type="apertus", attention_bias=draw(b),
             hidden_act=draw(st.sampled_from(["xielu", "xielu", "relu2", "gelu", "silu"])))  # fmt: skip
    if draw(b):
        c.pop("num_key_value_heads")  # all heads
    return c


STRATEGIES = {
    "gemma3_text": gemma3_text, "gemma3": gemma3, "olmo3": olmo3, "smollm3": smollm3, "seed_oss": seed_oss,
    "exaone4": exaone4, "apertus": apertus,
}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("model_type", list(STRATEGIES))
@settings(
    max_examples=EXAMPLES, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(data=st.data())
def test_generated_configs_equal_transformers(model_type, data):
    _check(data.draw(STRATEGIES[model_type]()))


def test_defaults_equal_transformers():
    """Every absent key takes the configuration class's default."""
    for cfg in (
        dict(model_type="gemma3_text"),
        dict(model_type="gemma3"),
        dict(model_type="olmo3"),
        dict(model_type="smollm3", pad_token_id=0),
        dict(model_type="seed_oss"),
        dict(model_type="exaone4"),
        dict(model_type="apertus"),
    ):
        assert count_params(spec_from_hf_dict(cfg, "config.json")).total == _language_params(
            _hf_model(cfg)
        ), cfg


def test_a_window_past_the_context_is_the_whole_context():
    """OLMo 3's defaults: a 4096 window in a 2048 context, which transformers accepts; it never binds."""
    spec = spec_from_hf_dict(dict(model_type="olmo3", num_hidden_layers=4), "config.json")
    assert [layer.window for layer in spec.layers] == [2048, 2048, 2048, None]


def test_exaone4_pattern_string_is_the_documented_layout():
    """The pattern "LLG" is local, local, global, repeating from layer 0 (Exaone4Config's docstring).
    transformers 5 reads a string pattern only through layer_types: the count is checked with that list."""
    cfg = dict(model_type="exaone4", num_hidden_layers=5, hidden_size=16, num_attention_heads=2,
               num_key_value_heads=1, intermediate_size=24, vocab_size=64, sliding_window=8,
               max_position_embeddings=64, sliding_window_pattern="LLG")  # fmt: skip
    spec = spec_from_hf_dict(cfg, "config.json")
    assert [layer.window for layer in spec.layers] == [8, 8, None, 8, 8]
    types = ["sliding_attention" if layer.window else "full_attention" for layer in spec.layers]
    listed = dict(cfg, layer_types=types)
    assert count_params(spec).total == _language_params(_hf_model(listed))
    assert spec_from_hf_dict(dict(cfg, sliding_window_pattern=3), "config.json").layers == spec.layers


def test_apertus_declares_the_xielu_constants():
    spec = spec_from_hf_dict(dict(model_type="apertus", num_hidden_layers=3), "config.json")
    assert not spec.mlp.gated
    assert [(w.path, w.shape) for w in spec.layers[0].weights] == [
        ("mlp/act_fn/alpha_p", (1,)),
        ("mlp/act_fn/alpha_n", (1,)),
    ]


# --- catalog entries -----------------------------------------------------------------------------


CATALOG = hf_catalog_entries(dense_2025.BUILDERS)  # new entries of these types join
CATALOG_NAMES = tuple(name for name, _ in CATALOG)


def test_the_catalog_has_this_family():
    assert set(CATALOG_NAMES) >= set(("gemma-3-27b", "olmo-3-7b"))


# google/gemma-3-27b-pt config.json as published (architectures and token ids left out): the catalog
# holds its text_config; the whole multimodal form must count the same language model
GEMMA3_27B = {
    "model_type": "gemma3", "mm_tokens_per_image": 256, "boi_token_index": 255999, "eoi_token_index": 256000,
    "image_token_index": 262144,
    "text_config": {
        "head_dim": 128, "hidden_size": 5376, "intermediate_size": 21504, "model_type": "gemma3_text",
        "num_attention_heads": 32, "num_hidden_layers": 62, "num_key_value_heads": 16,
        "query_pre_attn_scalar": 168, "rope_scaling": {"factor": 8.0, "rope_type": "linear"},
        "sliding_window": 1024,
    },
    "vision_config": {
        "hidden_size": 1152, "image_size": 896, "intermediate_size": 4304,
        "model_type": "siglip_vision_model",
        "num_attention_heads": 16, "num_hidden_layers": 27, "patch_size": 14, "vision_use_head": False,
    },
}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("name, cfg", CATALOG, ids=CATALOG_NAMES)
def test_catalog_entries_equal_transformers(name, cfg):
    model = _hf_model(cfg)
    spec = catalog()[name].spec
    assert count_params(spec).total == _language_params(model)
    assert [layer.window for layer in spec.layer_list()] == _hf_windows(model)


@pytest.mark.slow
def test_gemma3_27b_multimodal_config_counts_its_language_model():
    spec = spec_from_hf_dict(GEMMA3_27B, "config.json")
    model = _hf_model(GEMMA3_27B)
    assert type(model).__name__ == "Gemma3ForConditionalGeneration"
    assert (
        count_params(spec).total
        == _language_params(model)
        == count_params(catalog()["gemma-3-27b"].spec).total
    )
    windows = [layer.window for layer in spec.layers]
    assert windows == _hf_windows(model) and windows.count(None) == 10  # 62 layers: 5 local, 1 global


# --- bad input -----------------------------------------------------------------------------------

G = dict(model_type="gemma3_text", num_hidden_layers=4, hidden_size=16, num_attention_heads=2,
         num_key_value_heads=1, head_dim=8)  # fmt: skip
O3 = dict(model_type="olmo3", num_hidden_layers=4, hidden_size=16, num_attention_heads=2,
          max_position_embeddings=8192)  # fmt: skip
S3 = dict(
    model_type="smollm3", num_hidden_layers=4, hidden_size=16, num_attention_heads=2, num_key_value_heads=2
)
E4 = dict(model_type="exaone4", num_hidden_layers=4, hidden_size=16, num_attention_heads=2,
          num_key_value_heads=2, max_position_embeddings=8192)  # fmt: skip
BAD = [
    (dict(G, hidden_size=18, num_attention_heads=4), "num_attention_heads"),
    (dict(G, num_key_value_heads=3), "num_key_value_heads"),
    (dict(G, num_key_value_heads=None), "num_key_value_heads"),
    (dict(G, layer_types=["sliding_attention"] * 3), "layer_types"),
    (dict(G, layer_types=["sliding_attention", "chunked", "full_attention", "full_attention"]),
     "layer_types"),
    (dict(G, sliding_window_pattern=0), "sliding_window_pattern"),
    (dict(G, sliding_window=None, use_bidirectional_attention=True), "sliding_window"),
    (dict(G, hidden_activation="swiglu"), "hidden_activation"),
    (dict(model_type="gemma3", text_config=[1]), "text_config"),
    (dict(model_type="gemma3", text_config=dict(G, model_type="gemma2")), "text_config"),
    (dict(model_type="gemma3", text_config=dict(G, num_key_value_heads=3)),
     "text_config.num_key_value_heads"),
    (dict(O3, num_key_value_heads=3), "num_key_value_heads"),
    (dict(O3, head_dim=None), "head_dim"),
    (dict(O3, hidden_size=15), "num_attention_heads"),
    (dict(O3, layer_types=["linear_attention"] * 4), "layer_types"),
    (dict(O3, sliding_window=0), "sliding_window"),
    (dict(S3, no_rope_layers=[1, 1, 0]), "no_rope_layers"),
    (dict(S3, no_rope_layer_interval=0), "no_rope_layer_interval"),
    (dict(S3, hidden_act="nope"), "hidden_act"),
    (dict(model_type="seed_oss", num_attention_heads=80, num_key_value_heads=7), "num_key_value_heads"),
    (dict(model_type="seed_oss", head_dim=0), "head_dim"),
    (dict(E4, sliding_window_pattern="LLXG"), "sliding_window_pattern"),
    (dict(E4, sliding_window_pattern=""), "sliding_window_pattern"),
    (dict(E4, sliding_window_pattern=0), "sliding_window_pattern"),
    (dict(E4, layer_types=["full_attention"] * 5), "layer_types"),
    (dict(E4, num_key_value_heads=None), "num_key_value_heads"),
    (dict(model_type="apertus", hidden_act="xielu2"), "hidden_act"),
    (dict(model_type="apertus", num_attention_heads=32, num_key_value_heads=5), "num_key_value_heads"),
]  # fmt: skip


@pytest.mark.parametrize("cfg, key", BAD, ids=[f"{c['model_type']}-{k}-{i}" for i, (c, k) in enumerate(BAD)])
def test_bad_configs_name_the_key(cfg, key):
    with pytest.raises(InputError) as info:
        spec_from_hf_dict(cfg, "config.json")
    text = str(info.value)
    assert text.startswith("config.json: ") and f": {key}:" in text and "\n" not in text, text
