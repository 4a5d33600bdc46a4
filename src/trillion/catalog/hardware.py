"""The hardware catalog: ``accelerators/*.toml`` and ``clusters/*.toml``, parsed with units once.

Quantities are written with their units in the files (``"989 TFLOP/s"``, ``"80 GB"``,
``"400 Gbit/s"``) and parsed by `trillion.units.parse_quantity` against the expected dimension;
a wrong dimension names the file and key.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from trillion.dist import Dist
from trillion.errors import InputError
from trillion.spec.hardware import Accelerator, Cluster
from trillion.units import parse_quantity

# an accelerator's idle draw as a share of its TDP: used by the power model and the serving model
IDLE_OF_TDP = Dist.uniform(
    0.10,
    0.20,
    "secondary: idle ~15% of TDP (nemulai.com GPU table); H200 80.3 W idle of 700 W = 11.5%"
    " (api.serialalice.pt, nvidia-smi)",
)


def _folder(name: str) -> Path:
    return Path(str(resources.files("trillion.catalog") / name))


def _read(path: Path) -> tuple[dict[str, Any], str]:
    where = f"catalog/{path.parent.name}/{path.name}"
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), where
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise InputError(where, None, f"cannot parse: {e}") from None


def _source_text(data: dict[str, Any]) -> tuple[str, str]:
    source = data.get("source", {})
    return str(source.get("title", "")), str(source.get("unverified", ""))


def _accelerator(path: Path) -> tuple[Accelerator, tuple[str, ...]]:
    data, where = _read(path)

    def q(key: str, expect: str, table: dict[str, Any] | None = None, prefix: str = "") -> float:
        return parse_quantity((table or data)[key], expect, where, prefix + key)

    peak = {k: q(k, "flop_per_s", data["peak"], "peak.") for k in data["peak"]}
    measured = {
        k: q(k, "flop_per_s", data.get("measured", {}), "measured.") for k in data.get("measured", {})
    }
    title, unverified = _source_text(data)
    accel = Accelerator(
        name=data["name"],
        display_name=data["display_name"],
        vendor=data["vendor"],
        peak_flop_per_s=peak,
        memory_bytes=q("memory", "byte"),
        memory_bytes_per_s=q("memory_bandwidth", "byte_per_s"),
        tdp_w=q("tdp", "watt") if "tdp" in data else None,
        scale_up_domain=int(data["scale_up_domain"]),
        scale_up_bytes_per_s=q("scale_up_bandwidth", "byte_per_s") if "scale_up_bandwidth" in data else None,
        scale_out_bytes_per_s=q("scale_out_bandwidth", "byte_per_s")
        if "scale_out_bandwidth" in data
        else None,
        measured_flop_per_s=measured,
        block_scaled=_block_scaled(data, where),
        source=title,
        unverified=unverified,
    )
    return accel, tuple(data.get("aliases", ()))


def _block_scaled(data: dict[str, Any], where: str) -> tuple[str, ...]:
    value = data.get("block_scaled", [])
    known = ("mxfp8", "nvfp4")
    if not isinstance(value, list) or any(v not in known for v in value):
        raise InputError(where, "block_scaled", f"must be a list drawn from {list(known)}, got {value!r}")
    return tuple(value)


@cache
def _accelerators() -> dict[str, tuple[Accelerator, tuple[str, ...]]]:
    out = {}
    for path in sorted(_folder("accelerators").glob("*.toml")):
        accel, aliases = _accelerator(path)
        out[accel.name] = (accel, aliases)
    return out


def accelerators() -> dict[str, Accelerator]:
    """Every catalog accelerator by name."""
    return {name: a for name, (a, _) in _accelerators().items()}


def _key(text: str) -> str:
    return text.strip().lower().replace("_", "-").replace(" ", "-")


def find_accelerator(name: str, where: str = "gpu") -> Accelerator:
    """An accelerator by name or alias (case-insensitive); `InputError` listing the choices."""
    wanted = _key(name)
    for accel, aliases in _accelerators().values():
        if wanted == accel.name or wanted in {_key(a) for a in aliases}:
            return accel
    raise InputError(
        where, None, f"unknown accelerator {name!r}; known: {', '.join(sorted(_accelerators()))}"
    )


@cache
def clusters() -> dict[str, Cluster]:
    """Every cluster preset by name."""
    out = {}
    for path in sorted(_folder("clusters").glob("*.toml")):
        data, where = _read(path)
        accel = find_accelerator(data["accelerator"], where)
        out[data["name"]] = Cluster(
            name=data["name"],
            accelerator=accel,
            num_devices=int(data["num_devices"]),
            devices_per_node=int(data["devices_per_node"]),
            scale_up_domain=int(data["scale_up_domain"]),
            scale_up_bytes_per_s=parse_quantity(
                data["scale_up_bandwidth"], "byte_per_s", where, "scale_up_bandwidth"
            ),
            scale_out_bytes_per_s=parse_quantity(
                data["scale_out_bandwidth"], "byte_per_s", where, "scale_out_bandwidth"
            ),
            source=_source_text(data)[0],
        ).validate()
    return out


def find_cluster(name: str) -> Cluster:
    wanted = _key(name)
    if wanted in clusters():
        return clusters()[wanted]
    raise InputError("cluster", None, f"unknown cluster {name!r}; known: {', '.join(sorted(clusters()))}")


def make_cluster(
    accelerator: Accelerator,
    num_devices: int,
    *,
    scale_up_bytes_per_s: float | None = None,
    scale_out_bytes_per_s: float | None = None,
    devices_per_node: int | None = None,
) -> Cluster:
    """A cluster of `num_devices` of one accelerator with its catalog interconnect (or overrides)."""
    up = scale_up_bytes_per_s or accelerator.scale_up_bytes_per_s
    out = scale_out_bytes_per_s or accelerator.scale_out_bytes_per_s
    if up is None:
        raise InputError(
            accelerator.name,
            "scale_up_bandwidth",
            "not published for this device; pass --scale-up-bandwidth (e.g. '400 GB/s')",
        )
    if out is None:
        raise InputError(
            accelerator.name,
            "scale_out_bandwidth",
            "not published for this device; pass --scale-out-bandwidth (e.g. '400 Gbit/s')",
        )
    domain = accelerator.scale_up_domain
    return Cluster(
        name=f"{num_devices}x{accelerator.name}",
        accelerator=accelerator,
        num_devices=num_devices,
        devices_per_node=devices_per_node or min(domain, 8),
        scale_up_domain=domain,
        scale_up_bytes_per_s=up,
        scale_out_bytes_per_s=out,
        source=accelerator.source,
    ).validate()
