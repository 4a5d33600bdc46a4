"""Mutated real configs never crash: every outcome is a valid spec (that counts and renders) or
one `InputError` line naming the file and the field."""

from __future__ import annotations

import json
import tomllib
from importlib import resources
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trillion.count import count
from trillion.errors import InputError
from trillion.io.hf_config import spec_from_hf_dict
from trillion.report.tables import model_tables


def _real_configs() -> list[dict]:
    folder = Path(str(resources.files("trillion.catalog") / "models"))
    out = []
    for path in sorted(folder.glob("*.toml")):
        data = tomllib.loads(path.read_text())
        if "hf_config" in data:
            out.append(data["hf_config"])
    return out


REAL = _real_configs()
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def mutated(draw):
    cfg = dict(draw(st.sampled_from(REAL)))
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(sorted(cfg) + ["num_key_value_heads", "head_dim", "layer_types"]))
        action = draw(st.sampled_from(["replace", "delete", "small"]))
        if action == "delete":
            cfg.pop(key, None)
        elif action == "small":
            cfg[key] = draw(st.integers(-3, 9))
        else:
            cfg[key] = draw(json_values)
    return cfg


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(), st.integers(1, 300_000))
def test_mutated_configs_give_a_spec_or_one_input_error(cfg, seq_len):
    try:
        spec = spec_from_hf_dict(cfg, "fuzz/config.json")
    except InputError as e:
        text = str(e)
        assert text.startswith("fuzz/config.json: ") and "\n" not in text
        return
    c = count(spec, seq_len)
    json.dumps(c.to_dict())
    assert model_tables(c, None)
    assert 0 < c.active_params.total <= c.total_params
