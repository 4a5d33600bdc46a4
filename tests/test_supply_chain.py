"""The locks are what every install uses: hash-pinned, complete, the build backend included, and
torch pinned to its CPU wheel so no install can resolve a CUDA build."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCKS = ("requirements.lock", "requirements-test.lock")


def _pins(lock: str) -> dict[str, tuple[str, list[str]]]:
    """name -> (version, hashes) from a pip-compile --generate-hashes file."""
    text = (ROOT / lock).read_text()
    pins: dict[str, tuple[str, list[str]]] = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        m = re.match(r"([A-Za-z0-9_.-]+)==(\S+)", block)
        if m:
            pins[m.group(1).lower().replace("_", "-")] = (
                m.group(2),
                re.findall(r"--hash=sha256:([0-9a-f]{64})", block),
            )
    return pins


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements}


@pytest.mark.parametrize("lock", LOCKS)
def test_every_pin_has_a_hash(lock):
    pins = _pins(lock)
    assert len(pins) > 20
    assert [name for name, (_, hashes) in pins.items() if not hashes] == []


def test_locks_cover_the_declared_dependencies_and_the_build_backend():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    core, test = _pins("requirements.lock"), _pins("requirements-test.lock")
    extras = project["project"]["optional-dependencies"]
    assert _names(project["project"]["dependencies"]) <= set(core)
    assert _names(extras["test"] + extras["nvml"] + extras["torch"]) <= set(test)
    assert "setuptools" in core and "setuptools" in test  # the package builds without isolation
    for name, (version, _) in core.items():  # the test lock never contradicts the core lock
        assert test[name][0] == version, name


def test_torch_is_the_cpu_wheel_and_nothing_pulls_cuda():
    pins = _pins("requirements-test.lock")
    version, hashes = pins["torch"]
    assert version.endswith("+cpu") and len(hashes) == 1
    assert not [n for n in pins if n.startswith(("nvidia-cu", "nvidia-nccl", "nvidia-cudnn", "triton"))]
    assert "torch" not in _pins("requirements.lock")


def test_make_installs_only_through_the_locks():
    lines = [line.strip() for line in (ROOT / "Makefile").read_text().splitlines() if "$(PIP)" in line]
    installs = [line for line in lines if not line.startswith(("PIP", "#"))]
    assert installs and all(
        "--require-hashes" in line or "--no-deps --no-build-isolation" in line for line in installs
    )
