"""Oracle for the SSM-hybrid importers (trillion.io.hf_config.ssm_hybrids): Nemotron-H, Falcon-H1,
Jamba, Granite 4 (granitemoehybrid) and LFM2. For hypothesis-generated small configs, varying every
key each builder reads, and for the catalog entries of these types, ``count_params(spec).total``
must equal ``sum(p.numel())`` of the model transformers builds on the meta device."""

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
from trillion.io.hf_config import spec_from_hf_dict  # noqa: E402

transformers.logging.set_verbosity_error()
TYPES = ("nemotron_h", "falcon_h1", "jamba", "granitemoehybrid", "lfm2")


def _hf_params(cfg: dict) -> int:
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "config.json").write_text(json.dumps(cfg))
        config = transformers.AutoConfig.from_pretrained(d)
    with torch.device("meta"):
        model = transformers.AutoModelForCausalLM.from_config(config)
    return sum(p.numel() for p in model.parameters())


def _attention(draw) -> dict:
    heads = draw(st.sampled_from([1, 2, 4]))
    return dict(
        vocab_size=draw(st.integers(50, 400)),
        num_attention_heads=heads,
        num_key_value_heads=draw(st.sampled_from([h for h in (1, 2, 4) if heads % h == 0])),
        tie_word_embeddings=draw(st.booleans()),
    )


def _divisor(draw, n: int) -> int:
    return draw(st.sampled_from([d for d in (1, 2, 4, 8) if n % d == 0]))


@st.composite
def nemotron_h(draw) -> dict:
    c = _attention(draw)
    b = st.booleans()
    hidden = draw(st.sampled_from([16, 32, 48]))
    m_heads = draw(st.sampled_from([2, 4, 8]))
    width = 4 * draw(st.integers(1, 8))  # a multiple of 4, so that every latent below divides
    c.update(
        model_type="nemotron_h",
        hidden_size=hidden,
        intermediate_size=draw(st.integers(4, 64)),
        mlp_bias=draw(b),
        use_bias=draw(b),
        mamba_num_heads=m_heads,
        mamba_head_dim=draw(st.sampled_from([2, 4, 8])),
        ssm_state_size=draw(st.sampled_from([2, 4, 8])),
        moe_intermediate_size=width,
        moe_shared_expert_intermediate_size=draw(st.integers(4, 40)),
        num_nextn_predict_layers=draw(st.sampled_from([0, 1])),  # MTP: not built by transformers
    )
    # legacy spellings (NemotronHConfig.__post_init__) or the current ones
    groups = _divisor(draw, m_heads)
    c["mamba_n_groups" if draw(b) else "n_groups"] = groups
    c["mamba_d_conv" if draw(b) else "conv_kernel"] = draw(st.integers(2, 4))
    c["mamba_conv_bias" if draw(b) else "use_conv_bias"] = draw(b)
    if draw(b):
        c["head_dim"] = draw(st.sampled_from([4, 8, 16]))  # else transformers' 128
    experts = draw(st.integers(1, 6))
    c.update(n_routed_experts=experts, num_experts_per_tok=draw(st.integers(1, experts)))
    latent = draw(st.sampled_from([None, hidden // 2, hidden // 4]))
    if latent is not None:
        c["moe_latent_size"] = latent
    layers = draw(st.text(alphabet="M*-E", min_size=1, max_size=7))
    form = draw(st.sampled_from(["pattern", "list", "legacy list", "default"]))
    names = {"M": "linear_attention", "*": "full_attention", "-": "mlp", "E": "moe"}
    legacy = {"M": "mamba", "*": "attention", "-": "mlp", "E": "moe"}
    if form == "pattern":
        c["hybrid_override_pattern"] = layers
        c["num_hidden_layers"] = len(layers)
    elif form == "list":
        c["layers_block_type"] = [names[ch] for ch in layers]
    elif form == "legacy list":
        c["layers_block_type"] = [legacy[ch] for ch in layers]
    return c


@st.composite
def falcon_h1(draw) -> dict:
    c = _attention(draw)
    b = st.booleans()
    hidden = c["num_attention_heads"] * draw(st.sampled_from([8, 16]))
    d_ssm = draw(st.sampled_from([None, 16, 24, 32]))
    inner = d_ssm if d_ssm is not None else 2 * hidden
    m_heads = draw(st.sampled_from([h for h in (2, 4, 8) if inner % h == 0]))
    c.update(
        model_type="falcon_h1",
        hidden_size=hidden,
        num_hidden_layers=draw(st.integers(1, 3)),
        intermediate_size=draw(st.integers(4, 64)),
        attention_bias=draw(b),
        mlp_bias=draw(b),
        mamba_d_ssm=d_ssm,
        mamba_expand=2,
        mamba_n_heads=m_heads,
        mamba_n_groups=_divisor(draw, m_heads),
        mamba_d_state=draw(st.sampled_from([2, 4, 8])),
        mamba_d_conv=draw(st.integers(2, 4)),
        mamba_conv_bias=draw(b),
        mamba_proj_bias=draw(b),
        projectors_bias=draw(b),
        mamba_rms_norm=draw(b),
    )
    if draw(b):
        c["mamba_d_head"] = inner // m_heads
    if draw(b):
        c["head_dim"] = draw(st.sampled_from([4, 8, 32]))  # else hidden / heads
    return c


@st.composite
def jamba(draw) -> dict:
    c = _attention(draw)
    b = st.booleans()
    attn_period = draw(st.integers(1, 4))
    expert_period = draw(st.integers(1, 3))
    experts = draw(st.integers(1, 5))
    c.update(
        model_type="jamba",
        hidden_size=c["num_attention_heads"] * draw(st.sampled_from([4, 8])),
        num_hidden_layers=draw(st.integers(1, 6)),
        intermediate_size=draw(st.integers(4, 48)),
        attn_layer_period=attn_period,
        attn_layer_offset=draw(st.integers(0, attn_period - 1)),
        expert_layer_period=expert_period,
        expert_layer_offset=draw(st.integers(0, expert_period - 1)),
        num_experts=experts,
        num_experts_per_tok=draw(st.integers(1, experts)),
        mamba_d_state=draw(st.sampled_from([2, 4, 8])),
        mamba_d_conv=draw(st.integers(2, 4)),
        mamba_expand=draw(st.integers(1, 2)),
        mamba_dt_rank=draw(st.sampled_from(["auto", 1, 3])),
        mamba_conv_bias=draw(b),
        mamba_proj_bias=draw(b),
    )
    return c


@st.composite
def granitemoehybrid(draw) -> dict:
    c = _attention(draw)
    b = st.booleans()
    hidden = c["num_attention_heads"] * draw(st.sampled_from([4, 8]))
    layers = draw(st.integers(1, 4))
    expand = draw(st.integers(1, 2))
    m_heads = draw(st.sampled_from([h for h in (1, 2, 4, 8) if (expand * hidden) % h == 0]))
    experts = draw(st.integers(0, 4))
    c.update(
        model_type="granitemoehybrid",
        hidden_size=hidden,
        num_hidden_layers=layers,
        intermediate_size=draw(st.integers(4, 48)),
        shared_intermediate_size=draw(st.integers(4, 48)),
        num_local_experts=experts,
        num_experts_per_tok=draw(st.integers(1, max(experts, 1))),
        attention_bias=draw(b),
        mamba_expand=expand,
        mamba_n_heads=m_heads,
        mamba_n_groups=_divisor(draw, m_heads),
        mamba_d_state=draw(st.sampled_from([2, 4, 8])),
        mamba_d_conv=draw(st.integers(2, 4)),
        mamba_conv_bias=draw(b),
        mamba_proj_bias=draw(b),
        position_embedding_type=draw(st.sampled_from([None, "rope"])),
    )
    form = draw(st.sampled_from(["new", "legacy", "default"]))
    kinds = draw(st.lists(st.booleans(), min_size=layers, max_size=layers))
    if form == "new":
        c["layer_types"] = ["full_attention" if k else "linear_attention" for k in kinds]
    elif form == "legacy":
        c["layer_types"] = ["attention" if k else "mamba" for k in kinds]
    if draw(b):
        c["mamba_d_head"] = expand * hidden // m_heads
    if draw(b):
        c["num_key_value_heads"] = None  # transformers: all heads
    return c


@st.composite
def lfm2(draw) -> dict:
    c = _attention(draw)
    b = st.booleans()
    layers = draw(st.integers(1, 4))
    c.update(
        model_type="lfm2",
        hidden_size=c["num_attention_heads"] * draw(st.sampled_from([4, 8])),
        num_hidden_layers=layers,
        conv_bias=draw(b),
        conv_L_cache=draw(st.integers(2, 4)),
        block_auto_adjust_ff_dim=draw(b),
        block_ffn_dim_multiplier=draw(st.sampled_from([1, 1.0, 1.3, 0.75])),
        block_multiple_of=draw(st.sampled_from([1, 8, 16])),
    )
    c["block_ff_dim" if draw(b) else "intermediate_size"] = draw(st.integers(6, 96))
    if draw(b):
        c["tie_embedding"] = not c["tie_word_embeddings"]  # the legacy key wins
    form = draw(st.sampled_from(["layer_types", "full_attn_idxs", "default"]))
    if form == "layer_types":
        c["layer_types"] = draw(
            st.lists(st.sampled_from(["conv", "full_attention"]), min_size=layers, max_size=layers)
        )
    elif form == "full_attn_idxs":
        c["full_attn_idxs"] = draw(st.lists(st.integers(0, layers - 1), unique=True, max_size=layers))
    if draw(b):
        c["head_dim"] = draw(st.sampled_from([4, 16]))
    return c


STRATEGIES = {
    "nemotron_h": nemotron_h,
    "falcon_h1": falcon_h1,
    "jamba": jamba,
    "granitemoehybrid": granitemoehybrid,
    "lfm2": lfm2,
}


@pytest.mark.slow
@pytest.mark.parametrize("model_type", TYPES)
@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_configs_equal_transformers(model_type, data):
    cfg = data.draw(STRATEGIES[model_type]())
    assert count_params(spec_from_hf_dict(cfg, "generated")).total == _hf_params(cfg), cfg


CATALOG = hf_catalog_entries(TYPES)


def test_the_family_has_catalog_entries():
    assert "nemotron-h-8b" in {name for name, _ in CATALOG}


@pytest.mark.slow
@pytest.mark.parametrize("name, cfg", CATALOG, ids=[name for name, _ in CATALOG])
def test_catalog_entries_equal_transformers(name, cfg):
    assert count_params(catalog()[name].spec).total == _hf_params(cfg)


def test_nemotron_h_8b_layers_and_state():
    """The 8B's 52 blocks: 24 Mamba-2 (128 heads of a 128 x 64 state, a convolution over
    8192 + 2 x 8 x 128 channels), 4 attention, 24 squared-ReLU MLPs; one norm each."""
    spec = catalog()["nemotron-h-8b"].spec
    mamba = [x for x in spec.layers if x.recurrent is not None]
    assert len(spec.layers) == 52 and len(mamba) == 24
    assert sum(x.attention for x in spec.layers) == 4
    assert sum(x.ffns == ("dense",) for x in spec.layers) == 24
    r = mamba[0].recurrent
    assert (r.kind, r.state_heads, r.state_rows, r.state_cols) == ("mamba2", 128, 128, 64)
    assert (r.conv_channels, r.conv_kernel) == (8192 + 2 * 8 * 128, 4)
    assert all(x.norms == 1 for x in spec.layers)
    assert spec.mlp is not None and not spec.mlp.gated


NEMOTRON = dict(
    model_type="nemotron_h",
    vocab_size=100,
    hidden_size=32,
    hybrid_override_pattern="M*E-",
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=8,
    intermediate_size=24,
    mamba_num_heads=4,
    mamba_head_dim=8,
    n_groups=2,
    ssm_state_size=8,
    n_routed_experts=4,
    num_experts_per_tok=2,
    moe_intermediate_size=8,
    moe_shared_expert_intermediate_size=8,
)
FALCON = dict(model_type="falcon_h1", vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, intermediate_size=24, mamba_d_ssm=32, mamba_n_heads=4)  # fmt: skip
JAMBA = dict(model_type="jamba", vocab_size=100, hidden_size=32, num_hidden_layers=4, num_attention_heads=4,
             num_key_value_heads=2, intermediate_size=24, num_experts=4)  # fmt: skip
GRANITE = dict(model_type="granitemoehybrid", vocab_size=100, hidden_size=32, num_hidden_layers=2,
               num_attention_heads=4, intermediate_size=24, mamba_n_heads=4)  # fmt: skip
LFM2 = dict(model_type="lfm2", vocab_size=100, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
            num_key_value_heads=2, block_ff_dim=48)  # fmt: skip


@pytest.mark.parametrize(
    "cfg, key",
    [
        (dict(NEMOTRON, hybrid_override_pattern="M*X"), "hybrid_override_pattern"),
        (dict(NEMOTRON, hybrid_override_pattern=""), "hybrid_override_pattern"),
        (dict(NEMOTRON, layers_block_type=["mamba", "sliding"]), "layers_block_type"),
        (dict(NEMOTRON, num_experts_per_tok=5), "num_experts_per_tok"),
        (dict(NEMOTRON, n_groups=3), "n_groups"),
        (dict(NEMOTRON, ssm_state_size=0), "ssm_state_size"),
        (dict(NEMOTRON, moe_latent_size=7), "moe_latent_size"),  # 8 x 7 is not a multiple of 32
        (dict(NEMOTRON, num_key_value_heads=3), "num_key_value_heads"),
        (dict(FALCON, mamba_n_heads=5), "mamba_n_heads"),
        (dict(FALCON, mamba_d_head=4), "mamba_d_head"),
        (dict(JAMBA, attn_layer_offset=8, attn_layer_period=8), "attn_layer_offset"),
        (dict(JAMBA, num_experts_per_tok=5), "num_experts_per_tok"),
        (dict(JAMBA, mamba_dt_rank="big"), "mamba_dt_rank"),
        (dict(GRANITE, layer_types=["mamba"]), "layer_types"),
        (dict(GRANITE, layer_types=["mamba", "conv"]), "layer_types"),
        (dict(GRANITE, num_local_experts=2, num_experts_per_tok=3), "num_experts_per_tok"),
        (dict(LFM2, layer_types=["conv", "mamba"]), "layer_types"),
        (dict(LFM2, block_ff_dim=1, block_auto_adjust_ff_dim=True), "block_ff_dim"),
        (dict(LFM2, block_ffn_dim_multiplier=None), "block_ffn_dim_multiplier"),
        (dict(LFM2, block_ffn_dim_multiplier=-1.0), "block_ffn_dim_multiplier"),
    ],
)
def test_bad_configs_name_the_key(cfg, key):
    with pytest.raises(InputError) as info:
        spec_from_hf_dict(cfg, "config.json")
    text = str(info.value)
    assert text.startswith("config.json: ") and f": {key}:" in text, text
