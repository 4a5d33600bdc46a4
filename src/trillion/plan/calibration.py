"""Calibrations of the step-time model: shipped files fitted on measurements, or a user's file.

The default is ``catalog/calibration/a100-vtrain-single.toml`` (fitted on vTrain's single-node
A100 measurements by benchmarks/step_time_vtrain.py). Moving it to another accelerator rescales
``eta_gemm`` by the ratio of the two devices' measured-matmul fractions of peak (MAMF / peak,
stas00/ml-engineering) where both are published, so the framework's efficiency carries over and the
device's own ceiling is respected.
"""

from __future__ import annotations

from dataclasses import fields
from importlib import resources
from pathlib import Path
from typing import Any

from trillion.catalog.hardware import accelerators
from trillion.errors import InputError
from trillion.io.files import read_toml
from trillion.plan.frameworks import PROFILE_KEYS, for_framework
from trillion.plan.perf import Calibration
from trillion.spec.choices import ATTENTION_KERNELS, FRAMEWORKS
from trillion.spec.hardware import Accelerator

DEFAULT = "a100-vtrain-single"
# each framework's calibration: the one fitted on measurements of that stack
FRAMEWORK_CALIBRATION = {
    "megatron": "published-throughput",  # benchmarks/training_published.py
    "fsdp2": "published-throughput",
    "deepspeed": "a100-vtrain-single",  # benchmarks/step_time_vtrain.py (Megatron-DeepSpeed)
}
REFERENCE_DEVICE = "a100-80gb"  # where the default calibration was measured


def load_calibration(path: str | Path | None = None, *, framework: str | None = None) -> Calibration:
    """A `Calibration` from a TOML file (keys = Calibration fields), or the shipped one for
    `framework` (`FRAMEWORK_CALIBRATION`; the vTrain fit when none is named)."""
    if path is None:
        name = FRAMEWORK_CALIBRATION.get(framework or "", DEFAULT)
        path = Path(str(resources.files("trillion.catalog") / "calibration" / f"{name}.toml"))
    path = Path(path)
    where = str(path)
    data = read_toml(path, where=where)
    known = {f.name: f for f in fields(Calibration)}
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key == "name":
            continue
        if key == "framework":
            kwargs["frameworks"] = _framework_tables(value, where)
            continue
        if key not in known or key in ("frameworks", "framework"):
            raise InputError(where, key, f"unknown calibration key; expected one of {sorted(known)}")
        if key in ("attention_kernel", "source", "device"):
            if not isinstance(value, str):
                raise InputError(where, key, f"must be a string, got {value!r}")
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 10:
            raise InputError(where, key, f"must be a number in [0, 10], got {value!r}")
        kwargs[key] = value
    if kwargs.get("attention_kernel", "flash") not in ATTENTION_KERNELS:
        raise InputError(where, "attention_kernel", "must be 'flash' or 'unfused'")
    for key in ("eta_gemm", "eta_hbm", "eta_net"):
        if key in kwargs and not 0 < kwargs[key] <= 1:
            raise InputError(where, key, f"must be in (0, 1], got {kwargs[key]}")
    return Calibration(**kwargs).with_(source=kwargs.get("source", where))


def _framework_tables(value: object, where: str) -> tuple:
    """``[framework.NAME]`` tables -> Calibration.frameworks, each key checked."""
    if not isinstance(value, dict):
        raise InputError(where, "framework", "must be a table of [framework.NAME] tables")
    out = []
    for name, table in value.items():
        if name not in FRAMEWORKS or not isinstance(table, dict):
            raise InputError(where, f"framework.{name}", f"expected a table named one of {list(FRAMEWORKS)}")
        for key, v in table.items():
            if key not in PROFILE_KEYS:
                raise InputError(
                    where, f"framework.{name}.{key}", f"unknown; expected one of {list(PROFILE_KEYS)}"
                )
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 10:
                raise InputError(where, f"framework.{name}.{key}", f"must be a number in [0, 10], got {v!r}")
        out.append((name, tuple((k, float(v)) for k, v in table.items())))
    return tuple(out)


def for_device(cal: Calibration, device: Accelerator, reference: Accelerator, dtype: str) -> Calibration:
    """Carry `cal` from `reference` to `device` via their measured-matmul fractions of peak."""

    def fraction(a: Accelerator) -> float | None:
        key = dtype if dtype in a.measured_flop_per_s else "bf16"
        if key not in a.measured_flop_per_s or key not in a.peak_flop_per_s:
            return None
        return a.measured_flop_per_s[key] / a.peak_flop_per_s[key]

    mine, ref = fraction(device), fraction(reference)
    if mine is None or ref is None or device.name == reference.name:
        return cal
    return cal.with_(eta_gemm=min(1.0, cal.eta_gemm * mine / ref))


def for_run(
    base: Calibration, device: Accelerator, dtype: str, *, framework: str, compiled: bool = False,
    attention_kernel: str = "flash",
) -> Calibration:  # fmt: skip
    """The calibration a run on `device` in `dtype` under `framework` uses: `base` carried from the
    reference device (`for_device`), with the attention kernel and the framework's profile."""
    fitted_on = base.device or REFERENCE_DEVICE
    if fitted_on not in accelerators():
        if not _same_device(fitted_on, device):
            raise InputError(
                "--calibration",
                None,
                f"fitted on {fitted_on!r}, not on {device.name}: a measured efficiency carries only to the"
                " device it was measured on (or from a catalog accelerator); re-fit on this device or use"
                " the shipped calibration",
            )
        return for_framework(base.with_(attention_kernel=attention_kernel), framework, compiled=compiled)
    cal = for_device(base, device, accelerators()[fitted_on], dtype)
    return for_framework(cal.with_(attention_kernel=attention_kernel), framework, compiled=compiled)


def _same_device(name: str, device: Accelerator) -> bool:
    """Whether a free-text device name (as torch reports it) is this catalog accelerator."""
    words = {w for w in name.lower().replace("-", " ").split() if w not in ("nvidia", "amd", "gpu")}
    have = set(f"{device.name} {device.display_name}".lower().replace("-", " ").split())
    return bool(words) and words <= have


def calibration_toml(cal: Calibration, comments: list[str]) -> str:
    """`cal` as the TOML `load_calibration` reads back: `comments` first, every field (the applied
    ``framework`` name excepted), then one ``[framework.NAME]`` table per profile."""
    lines = [f"# {c}" for c in comments]
    for f in fields(Calibration):
        value = getattr(cal, f.name)
        if f.name in ("frameworks", "framework"):
            continue
        lines.append(f"{f.name} = {value!r}" if not isinstance(value, str) else f'{f.name} = "{value}"')
    for name, table in cal.frameworks:
        lines += ["", f"[framework.{name}]", *(f"{k} = {v!r}" for k, v in table)]
    return "\n".join(lines) + "\n"
