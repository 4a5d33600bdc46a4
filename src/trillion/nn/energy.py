"""Energy meters for training runs: NVML on NVIDIA GPUs, RAPL (Linux powercap) on CPUs where
readable, otherwise an estimate that says so.

Every reading names its method: ``nvml`` (GPU board energy counter, nvmlDeviceGetTotalEnergyConsumption,
millijoules), ``rapl`` (package energy counter, /sys/class/powercap/intel-rapl:*/energy_uj,
microjoules, wrap-around handled) or ``estimated`` (wall time x an assumed power, stated).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

CPU_WATTS_ASSUMED = 10.0  # per busy core: assumption (trillion), for CPUs whose RAPL is unreadable
RAPL_ROOT = Path("/sys/class/powercap")


class EnergyMeter:
    """``start()`` then ``stop()`` -> joules; ``method`` and ``note`` describe the reading."""

    def __init__(self, device: str = "cpu", gpu_index: int = 0, cores: int | None = None):
        self.device = device
        self.method = "estimated"
        self.note = ""
        self._nvml = None
        self._handle = None
        self._rapl: list[tuple[Path, int]] = []
        self.cores = cores or (os.cpu_count() or 1)
        if device.startswith("cuda"):
            try:
                import pynvml

                pynvml.nvmlInit()
                self._handle = pynvml.nvmlDeviceGetHandleByIndex(gpu_index)
                pynvml.nvmlDeviceGetTotalEnergyConsumption(self._handle)
                self._nvml = pynvml
                self.method = "nvml"
                self.note = f"measured: NVML board energy counter of GPU {gpu_index}"
            except Exception as e:  # no library, no driver, or a GPU without the counter
                self.note = f"estimated: NVML unavailable ({type(e).__name__})"
        else:
            for d in sorted(RAPL_ROOT.glob("intel-rapl:*")):
                f, m = d / "energy_uj", d / "max_energy_range_uj"
                if ":" in d.name[len("intel-rapl:") :]:
                    continue  # sub-zones (core, uncore) are inside the package zone
                try:
                    int(f.read_text())
                    self._rapl.append((f, int(m.read_text()) if m.exists() else 2**63))
                except (OSError, ValueError):
                    continue
            if self._rapl:
                self.method = "rapl"
                self.note = f"measured: RAPL package energy ({len(self._rapl)} zone(s)), CPU only"
        if self.method == "estimated" and not self.note:
            self.note = (f"estimated: {CPU_WATTS_ASSUMED:g} W per busy core x {self.cores} cores x time "
                         "(RAPL not readable here; assumption)")  # fmt: skip

    def _read(self) -> float:
        if self._nvml is not None:
            return self._nvml.nvmlDeviceGetTotalEnergyConsumption(self._handle) / 1e3  # mJ -> J
        return sum(int(f.read_text()) for f, _ in self._rapl) / 1e6  # uJ -> J

    def start(self) -> None:
        self._t0 = time.perf_counter()
        self._e0 = self._read() if self.method != "estimated" else 0.0

    def stop(self) -> float:
        dt = time.perf_counter() - self._t0
        if self.method == "estimated":
            return dt * CPU_WATTS_ASSUMED * self.cores
        e = self._read() - self._e0
        if e < 0 and self.method == "rapl":  # counter wrapped
            e += sum(m for _, m in self._rapl) / 1e6
        return e
