import pytest

from trillion.catalog.hardware import accelerators, clusters, find_accelerator, make_cluster
from trillion.errors import InputError
from trillion.units import parse_quantity

REQUIRED = {
    "v100",
    "a100-40gb",
    "a100-80gb",
    "h100-sxm",
    "h100-pcie",
    "h800",
    "h200",
    "b200",
    "gb200",
    "mi250x",
    "mi300x",
    "mi325x",
    "tpu-v3",
    "tpu-v4",
    "tpu-v5e",
    "tpu-v5p",
    "tpu-v6e",
    "gaudi2",
    "gaudi3",
}


def test_catalog_has_every_required_accelerator_with_a_source():
    acc = accelerators()
    assert REQUIRED <= set(acc)
    for a in acc.values():
        assert a.source and a.peak_flop_per_s and a.memory_bytes > 0 and a.memory_bytes_per_s > 0


def test_peaks_are_dense_not_sparse():
    h100 = find_accelerator("h100")
    assert h100.peak("bf16") == 989e12  # the datasheet's 1979 is "with sparsity"
    assert h100.peak("fp8") == 1979e12
    assert find_accelerator("A100").peak("bf16") == 312e12


def test_missing_datapath_is_an_error_not_zero():
    with pytest.raises(InputError, match="no published dense bf16"):
        find_accelerator("v100").peak("bf16")


def test_units_are_parsed_with_their_dimension():
    assert parse_quantity("400 Gbit/s", "byte_per_s", "x") == 50e9
    assert parse_quantity("80 GiB", "byte", "x") == 80 * 2**30
    with pytest.raises(InputError, match="not in FLOP per second"):
        parse_quantity("989 TFLOP", "flop_per_s", "f.toml", "peak.bf16")


def test_cluster_presets_and_synthesised_clusters():
    assert clusters()["deepseek-v3-h800"].num_devices == 2048
    c = make_cluster(find_accelerator("h800"), 512)
    assert c.scale_up_domain == 8 and c.scale_out_bytes_per_s == 50e9
    with pytest.raises(InputError, match="scale_up_bandwidth"):
        make_cluster(find_accelerator("tpu-v4"), 256)  # no published per-chip ICI figure held


def test_hardware_command(capsys):
    import json

    from trillion.cli import main

    assert main(["hardware", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {a["name"] for a in data["accelerators"]} >= REQUIRED
    assert main(["hardware"]) == 0 and "h800" in capsys.readouterr().out
