"""Train one model for a token budget: AdamW with warm-up and cosine decay, gradient accumulation,
bf16 autocast on CUDA, atomic checkpoints and exact resume, and measurements — tokens/s, achieved
FLOP/s and MFU against the device's peak, peak memory, energy (NVML / RAPL / labelled estimate).

Model FLOP per token are the accounting module's (3 x forward, causal attention), so measured MFU
and the planner's MFU use one convention. Batches are a pure function of (seed, step), so a
resumed run sees exactly the data the uninterrupted run would have.
"""

from __future__ import annotations

import math
import os
import platform
import subprocess
import time
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from trillion.count.flop import forward_flop
from trillion.count.params import count_params, embedding_params
from trillion.errors import InputError
from trillion.io.files import dumps_strict, write_file
from trillion.nn.checkpoint import checkpoint_problem, write_sidecar
from trillion.nn.data import TokenData
from trillion.nn.energy import EnergyMeter
from trillion.nn.model import build_model
from trillion.nn.store import Store
from trillion.spec.model import ModelSpec

AUX_LOSS_WEIGHT = 0.01  # Switch Transformer's load-balancing coefficient (Fedus et al. 2022 Sec 2.2)


@dataclass(frozen=True)
class TrainConfig:
    tokens: int
    seq_len: int = 128
    batch: int = 16
    grad_accum: int = 1
    lr: float = 3e-3
    min_lr_ratio: float = 0.1
    warmup_frac: float = 0.05
    weight_decay: float = 0.1
    eval_batches: int = 20
    seed: int = 0
    device: str = "cpu"
    checkpoint_every_s: float = 10.0
    log_every: int = 10

    @property
    def tokens_per_step(self) -> int:
        return self.batch * self.seq_len * self.grad_accum

    @property
    def steps(self) -> int:
        return self.tokens // self.tokens_per_step


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up, then cosine decay to ``min_lr_ratio * lr``."""
    warm = max(1, int(cfg.warmup_frac * cfg.steps))
    if step < warm:
        return cfg.lr * (step + 1) / warm
    progress = (step - warm) / max(1, cfg.steps - warm)
    return cfg.lr * (cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * progress)))


@cache
def cpu_matmul_flop_per_s(size: int = 512, seconds: float = 0.3) -> float:
    """Measured fp32 matmul throughput of this CPU (the 'peak' CPU MFU is reported against)."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        a @ b
        n += 1
    return 2 * size**3 * n / (time.perf_counter() - t0)


def device_peak(device: str) -> tuple[float, str]:
    """(peak FLOP/s, where it comes from) for the training device."""
    if device.startswith("cuda"):
        from trillion.catalog.hardware import accelerators

        name = torch.cuda.get_device_name(device).lower()
        for acc in accelerators().values():
            key = acc.name.split("-")[0]
            if key in name.replace(" ", "-") and "bf16" in acc.peak_flop_per_s:
                return acc.peak("bf16"), f"catalog dense bf16 peak of {acc.name}"
        return float("nan"), f"{name} not in the catalog"
    return cpu_matmul_flop_per_s(), "measured fp32 matmul throughput of this CPU (512x512, torch)"


@cache
def cpu_memory_bytes_per_s(size: int = 2**24, seconds: float = 0.3) -> float:
    """Measured streaming bandwidth of this CPU: bytes read plus written by copying a 64 MiB tensor."""
    a = torch.empty(size, dtype=torch.float32)
    b = torch.empty_like(a)
    b.copy_(a)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        b.copy_(a)
        n += 1
    return 2 * 4 * size * n / (time.perf_counter() - t0)


def device_memory_bandwidth(device: str) -> tuple[float, str]:
    """(memory bytes/s, where it comes from) for the training device (the planner's eta_hbm base)."""
    if device.startswith("cuda"):
        from trillion.catalog.hardware import accelerators

        name = torch.cuda.get_device_name(device).lower()
        for acc in accelerators().values():
            if acc.name.split("-")[0] in name.replace(" ", "-"):
                return acc.memory_bytes_per_s, f"catalog HBM bandwidth of {acc.name}"
        return float("nan"), f"{name} not in the catalog"
    return cpu_memory_bytes_per_s(), "measured copy bandwidth of this CPU (64 MiB tensor, torch)"


def provenance(cfg: TrainConfig) -> dict[str, Any]:
    from trillion._version import __version__

    try:
        commit = subprocess.run(["git", "-C", str(Path(__file__).parent), "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=5).stdout.strip() or "unknown"  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        commit = "unknown"
    dev = (
        torch.cuda.get_device_name(cfg.device)
        if cfg.device.startswith("cuda")
        else platform.processor() or platform.machine()
    )
    return {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__,
            "trillion": __version__, "git_commit": commit, "seed": cfg.seed,
            "device": cfg.device, "device_name": dev, "threads": torch.get_num_threads(), "host": platform.node()}  # fmt: skip


def _peak_memory(device: str) -> int:
    if device.startswith("cuda"):
        return int(torch.cuda.max_memory_allocated(device))
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024  # KiB on Linux


def _atomic_save(obj: Any, path: Path) -> None:
    """Save through a temporary file, fsync and rename, with the digest sidecar of
    `trillion.nn.checkpoint` written before the rename."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    write_sidecar(path, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: Path, device: str) -> dict[str, Any]:
    """A verified checkpoint; `InputError` naming the file (and the repair command) otherwise."""
    problem = checkpoint_problem(path)
    if problem is None:
        try:
            return torch.load(path, weights_only=True, map_location=device)
        except Exception as e:  # torch's loader raises assorted errors on a damaged archive
            problem = f"cannot be loaded ({e.__class__.__name__})"
    folder = path.parent.parent.parent
    raise InputError(str(path), None, f"is damaged: {problem}; `trillion ladder repair --dir {folder}` moves it "
                     "aside so this run restarts from step 0 (finished runs are untouched)")  # fmt: skip


def evaluate(model: torch.nn.Module, data: TokenData, cfg: TrainConfig) -> float:
    model.eval()
    losses = []
    with torch.no_grad():
        for i in range(cfg.eval_batches):
            x, y = data.batch("val", i, cfg.batch, cfg.seq_len, seed=12345)
            logits = model(torch.from_numpy(x).to(cfg.device))
            losses.append(
                F.cross_entropy(
                    logits.float().flatten(0, 1), torch.from_numpy(y).to(cfg.device).flatten()
                ).item()
            )
    model.train()
    return float(np.mean(losses))


def train_run(spec: ModelSpec, data: TokenData, cfg: TrainConfig, run_dir: str | Path, store: Store | None = None,
              run_id: str = "run", progress: bool = False) -> dict[str, Any]:  # fmt: skip
    """Train `spec` on `data` for ``cfg.tokens`` tokens in `run_dir` (resuming its checkpoint if any)."""
    if cfg.steps < 1:
        raise InputError("budget", "tokens", f"{cfg.tokens:,} tokens is less than one step of {cfg.tokens_per_step:,} "
                         f"(batch {cfg.batch} x seq {cfg.seq_len} x accumulation {cfg.grad_accum})")  # fmt: skip
    if spec.vocab_size < data.vocab_size:
        raise InputError(spec.name, "vocab_size", f"{spec.vocab_size} < the tokenizer's {data.vocab_size}")
    run = Path(run_dir)
    run.mkdir(parents=True, exist_ok=True)
    world, rank = int(os.environ.get("WORLD_SIZE", "1")), int(os.environ.get("RANK", "0"))
    if world > 1:  # launched by torchrun: data parallel, rank 0 writes
        import torch.distributed as dist

        if not dist.is_initialized():
            dist.init_process_group("nccl" if cfg.device.startswith("cuda") else "gloo")
        if cfg.device.startswith("cuda"):
            cfg = TrainConfig(**{**asdict(cfg), "device": f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"})
        cfg = TrainConfig(**{**asdict(cfg), "tokens": cfg.tokens // world})  # the budget is shared
    lead = rank == 0
    if not lead:
        store = None
    if cfg.steps < 1:
        raise InputError(
            "budget", "tokens", f"{cfg.tokens * world:,} tokens is less than one step on {world} ranks"
        )
    torch.manual_seed(cfg.seed)
    model = build_model(spec).to(cfg.device)
    decay = [p for n, p in model.named_parameters() if p.ndim >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.ndim < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=cfg.lr, betas=(0.9, 0.95))  # fmt: skip
    core = model
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(model)  # type: ignore[assignment]
    ckpt = run / "checkpoint.pt"
    state = {"step": 0, "elapsed_s": 0.0, "energy_j": 0.0}
    if ckpt.exists():
        saved = load_checkpoint(ckpt, cfg.device)
        core.load_state_dict(saved["model"])
        opt.load_state_dict(saved["optim"])
        state = {k: saved[k] for k in state}
    if store is not None:
        store.start(run_id, provenance(cfg))
    meter = EnergyMeter(cfg.device)
    autocast = (
        torch.autocast("cuda", dtype=torch.bfloat16)
        if cfg.device.startswith("cuda")
        else torch.autocast("cpu", enabled=False)
    )
    flop_per_token = 3 * forward_flop(spec, cfg.seq_len).total
    bar = None
    if progress:
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        bar = Progress(TextColumn(f"{run_id}"), BarColumn(), TextColumn("{task.completed}/{task.total} steps {task.fields[info]}"),
                       TimeRemainingColumn(), transient=True)  # fmt: skip
        task = bar.add_task("train", total=cfg.steps, completed=int(state["step"]), info="")
        bar.start()
    if cfg.device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats(cfg.device)
    pending: list[tuple[int, dict[str, Any]]] = []
    meter.start()
    t0 = time.perf_counter()
    last_ckpt = t0
    step = int(state["step"])
    try:
        while step < cfg.steps:
            for group in opt.param_groups:
                group["lr"] = lr_at(step, cfg)
            total = 0.0
            for micro in range(cfg.grad_accum):
                index = (step * cfg.grad_accum + micro) * world + rank
                x, y = data.batch("train", index, cfg.batch, cfg.seq_len, cfg.seed)
                with autocast:
                    logits = model(torch.from_numpy(x).to(cfg.device))
                    loss = F.cross_entropy(
                        logits.float().flatten(0, 1), torch.from_numpy(y).to(cfg.device).flatten()
                    )
                    full = loss + AUX_LOSS_WEIGHT * core.aux_loss if spec.moe else loss
                (full / cfg.grad_accum).backward()
                total += loss.item() / cfg.grad_accum
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            step += 1
            pending.append((step, {"loss": total, "lr": lr_at(step - 1, cfg)}))
            if bar is not None:
                bar.update(task, completed=step, info=f"loss {total:.3f}")
            now = time.perf_counter()
            if store is not None and (len(pending) >= cfg.log_every or step == cfg.steps):
                store.log(run_id, pending)
                pending = []
            if lead and now - last_ckpt >= cfg.checkpoint_every_s and step < cfg.steps:
                if store is not None:
                    store.log(run_id, pending)
                    pending = []
                _atomic_save({"model": core.state_dict(), "optim": opt.state_dict(), "step": step,
                              "elapsed_s": state["elapsed_s"] + now - t0,
                              "energy_j": state["energy_j"] + meter.stop()}, ckpt)  # fmt: skip
                last_ckpt = time.perf_counter()
    finally:
        if bar is not None:
            bar.stop()
    elapsed = state["elapsed_s"] + time.perf_counter() - t0
    energy = (state["energy_j"] + meter.stop()) * world  # each rank's device (same kind) used as much
    val_loss = evaluate(core, data, cfg)
    peak, peak_source = device_peak(cfg.device)
    bandwidth, bandwidth_source = device_memory_bandwidth(cfg.device)
    tokens = cfg.steps * cfg.tokens_per_step * world
    flop = flop_per_token * tokens
    params = count_params(spec).total
    recent = [v["loss"] for _, v in (store.metrics(run_id)[-10:] if store is not None else [])]
    result = {
        "val_loss": val_loss,
        "train_loss_last": float(np.mean(recent)) if recent else None,
        "params": params,
        "non_embedding_params": params - embedding_params(spec),
        "tokens": tokens,
        "steps": cfg.steps,
        "train_flop": flop,
        "time_s": elapsed,
        "tokens_per_s": tokens / elapsed,
        "achieved_flop_per_s": flop / elapsed,
        "peak_flop_per_s": peak,
        "peak_source": peak_source,
        "memory_bytes_per_s": bandwidth,
        "memory_bandwidth_source": bandwidth_source,
        "mfu": flop / elapsed / (peak * world) if peak == peak else None,
        "world_size": world,
        "peak_memory_bytes": torch.cuda.max_memory_allocated(cfg.device)
        if cfg.device.startswith("cuda")
        else None,
        "energy_j": energy,
        "energy_method": meter.method,
        "energy_note": meter.note,
        "config": asdict(cfg),
    }
    if lead:
        _atomic_save(core.state_dict(), run / "model.pt")
        write_file(run / "result.json", dumps_strict(result, indent=1))
        if store is not None:
            store.finish(run_id, result)
        ckpt.unlink(missing_ok=True)
        Path(str(ckpt) + ".sha256").unlink(missing_ok=True)
    if world > 1:
        import torch.distributed as dist

        dist.barrier()
    return result
