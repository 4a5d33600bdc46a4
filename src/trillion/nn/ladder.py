"""The scaling ladder: a model family (one depth dial sets width and heads) times token budgets,
trained for real, stored in SQLite, fitted, and fed back to the planner.

Family (after nanochat's depth dial): depth L -> d_model 64 L, heads of 32, SwiGLU width 8/3 d
(rounded to 32), byte-level vocabulary; the MoE variant replaces every FFN with 4 experts of a
quarter width, top-2, one shared expert. Runs are identified by a hash of everything that
determines them, so re-running a ladder skips finished runs and resumes interrupted ones.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from trillion.errors import InputError
from trillion.spec.model import MLP, Attention, ModelSpec, MoE

M = 1_000_000


@dataclass(frozen=True)
class Preset:
    runs: tuple[tuple[int, int], ...]  # (depth, tokens)
    family: str = "dense"
    seq_len: int = 128
    batch: int = 16
    lr: float = 2e-3
    tokenizer: str = "byte"
    max_bytes: int = 8 * 2**20
    eval_batches: int = 20
    checkpoint_every_s: float = 10.0
    description: str = ""
    task: str = ""  # "" (language modelling of the corpus) or "addition-<k>d" (`trillion.nn.emergence`)


PRESETS: dict[str, Preset] = {
    "cpu-tiny": Preset(
        runs=((1, M // 2), (1, M), (1, 2 * M), (2, M // 2), (2, M), (2, 2 * M), (3, M // 2), (3, M)),
        description="8 dense models, 80K-1.4M parameters, 0.5-2M tokens of Python stdlib source: ~6 minutes on 2 cores",
    ),
    "cpu-tiny-moe": Preset(
        runs=((1, M // 2), (1, M), (2, M // 2), (2, M)), family="moe",
        description="4 MoE models (4 experts, top-2, one shared expert): ~3 minutes on 2 cores",
    ),
    "micro": Preset(
        runs=((1, 16384), (1, 32768), (2, 16384), (2, 32768)), seq_len=64, batch=8, max_bytes=2**20,
        eval_batches=4, checkpoint_every_s=0.5, description="4 tiny runs for tests and smoke checks (seconds)",
    ),
    "micro-moe": Preset(
        runs=((1, 16384), (2, 16384)), family="moe", seq_len=64, batch=8, max_bytes=2**20, eval_batches=4,
        checkpoint_every_s=0.5, description="2 tiny MoE runs for tests",
    ),
    "emergence-cpu": Preset(
        runs=((1, M // 2), (1, M), (1, 2 * M), (2, M // 2), (2, M), (2, 2 * M), (3, M // 2), (3, M)),
        seq_len=64, lr=1e-2, max_bytes=2 * 2**20, eval_batches=8, task="addition-2d",
        description="8 dense models trained on 2-digit additions, scored two ways (`trillion scaling emergence`): ~7 minutes on 2 cores",
    ),
    "emergence-micro": Preset(
        runs=((1, 16384), (1, 32768), (2, 16384), (2, 32768)), seq_len=64, batch=8, lr=1e-2, max_bytes=2**18,
        eval_batches=2, checkpoint_every_s=0.5, task="addition-2d", description="4 tiny addition runs for tests",
    ),
}  # fmt: skip


def family_spec(depth: int, vocab: int, family: str = "dense") -> ModelSpec:
    """The ladder's model at `depth` (d_model 64 x depth, 32-wide heads)."""
    if not 1 <= depth <= 64:
        raise InputError("depth", None, f"must be between 1 and 64, got {depth}")
    h = 64 * depth
    heads = h // 32
    width = int(round(8 / 3 * h / 32)) * 32
    moe = None
    if family == "moe":
        moe = MoE(num_experts=4, top_k=2, expert=MLP(intermediate_size=max(32, width // 4), gated=True),
                  num_shared_experts=1, shared_intermediate_size=max(32, width // 4))  # fmt: skip
    elif family != "dense":
        raise InputError("family", None, f"must be dense or moe, got {family!r}")
    spec = ModelSpec(name=f"ladder-{family}-d{depth}", vocab_size=vocab, hidden_size=h, num_layers=depth,
                     attention=Attention(num_heads=heads, num_kv_heads=heads, head_dim=32),
                     mlp=MLP(intermediate_size=width, gated=True), moe=moe, max_context=4096)  # fmt: skip
    spec.validate()
    return spec


def find_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise InputError("preset", None, f"unknown preset {name!r} (have: {', '.join(PRESETS)})") from None


def code_version() -> str:
    """A digest of the code that determines a run's result (model, trainer, data pipeline) and the
    package version: a run trained by other code is another run, never resumed or mixed."""
    from trillion._version import __version__

    digest = hashlib.sha256(__version__.encode())
    for module in ("model", "trainer", "data"):
        digest.update((Path(__file__).parent / f"{module}.py").read_bytes())
    return digest.hexdigest()[:12]


def run_configs(
    preset: Preset, vocab: int, seed: int = 0, device: str = "cpu", scale: float = 1.0, data: str = ""
) -> list[dict[str, Any]]:
    """One configuration per run (every budget times `scale`); `InputError` when a budget is less
    than one optimiser step. The id hashes everything that changes a result: the configuration,
    the corpus bytes and tokenizer (`data`, a digest) and the code version."""
    if not 0 < scale <= 1000:
        raise InputError("tokens_scale", None, f"must be in (0, 1000], got {scale}")
    out = []
    for depth, budget in preset.runs:
        tokens_run = int(budget * scale)
        if tokens_run < preset.batch * preset.seq_len:
            raise InputError("tokens_scale", None, f"{tokens_run:,} tokens is less than one step of "
                             f"{preset.batch * preset.seq_len:,} (batch {preset.batch} x seq {preset.seq_len})")  # fmt: skip
        cfg = {"family": preset.family, "depth": depth, "tokens": tokens_run, "seq_len": preset.seq_len,
               "batch": preset.batch, "lr": preset.lr, "vocab": vocab, "tokenizer": preset.tokenizer,
               "eval_batches": preset.eval_batches, "seed": seed, "device": device, "data": data,
               "code": code_version()}  # fmt: skip
        cfg["id"] = hashlib.sha1(json.dumps(cfg, sort_keys=True).encode()).hexdigest()[:12]
        out.append(cfg)
    return out


def run_ladder(preset_name: str, out_dir: str | Path, *, corpus: str | None = None, device: str = "cpu",
               seed: int = 0, progress: bool = False, only: str | None = None,
               tokens_scale: float = 1.0, backend: str = "local", nproc: int = 2) -> list[dict[str, Any]]:  # fmt: skip
    """Train every run of the preset not yet finished (resuming interrupted ones); return all runs.

    Backends: ``local`` (in this process, one run after another), ``torchrun`` (each run data-
    parallel over `nproc` processes on this machine: gloo on CPU, NCCL on GPUs), ``ray`` (runs
    fanned out as tasks over a Ray cluster: ``RAY_ADDRESS``, or a local instance).
    """
    if backend not in ("local", "torchrun", "ray"):
        raise InputError("backend", None, f"must be local, torchrun or ray, got {backend!r}")
    if backend == "torchrun" and not 1 <= nproc <= 64:
        raise InputError("nproc", None, f"must be between 1 and 64, got {nproc}")
    from trillion.nn.data import data_key, load_corpus, prepare, prepared_key
    from trillion.nn.store import Store
    from trillion.nn.trainer import TrainConfig, train_run

    preset = find_preset(preset_name)
    run_configs(preset, 257, seed, device, tokens_scale)  # budgets checked before any work
    out = Path(out_dir)
    with folder_lock(out):
        corpus_data = load_corpus(corpus, preset.max_bytes)
        key = data_key(corpus_data, preset.tokenizer)
        store = Store(out / "ladder.sqlite")
        try:
            old = prepared_key(out / "data")
            if old is not None and old != key and store.runs():
                raise InputError(str(out), "corpus", (
                    f"this folder's runs were trained on {old['corpus']} ({old['files']} files, bytes digest "
                    f"{old['digest'][:12]}, {old['tokenizer']} tokenizer); this run would use {key['corpus']} "
                    f"({key['files']} files, digest {key['digest'][:12]}, {key['tokenizer']}): give a new --dir for "
                    "new data (nothing here was changed)"))  # fmt: skip
            data = prepare(out / "data", corpus, tokenizer=preset.tokenizer, max_bytes=preset.max_bytes,
                           loaded=corpus_data)  # fmt: skip
            digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
            configs = run_configs(preset, data.vocab_size, seed, device, tokens_scale, digest)
            for c in configs:
                full = {**c, "preset": preset_name, "data_source": data.meta["source"], "corpus": corpus}
                store.add_run(c["id"], full)
                _write_run_config(out / "runs" / c["id"], full)
            todo = [
                c for c in configs if (not only or c["id"] == only) and store.status(c["id"]) != "finished"
            ]
            if backend != "local":
                _dispatch(backend, out, [c["id"] for c in todo], nproc)
                return store.runs()
            for c in todo:
                spec = family_spec(c["depth"], c["vocab"], c["family"])
                cfg = TrainConfig(tokens=c["tokens"], seq_len=c["seq_len"], batch=c["batch"], lr=c["lr"],
                                  seed=c["seed"], eval_batches=c["eval_batches"], device=device,
                                  checkpoint_every_s=preset.checkpoint_every_s)  # fmt: skip
                train_run(spec, data, cfg, out / "runs" / c["id"], store, c["id"], progress=progress)
            return store.runs()
        finally:
            store.close()


def _write_run_config(run_dir: Path, config: dict[str, Any]) -> None:
    """``runs/<id>/run.json``: the run's configuration beside its result, so `repair` can rebuild
    the store from the run folders alone."""
    from trillion.io.files import write_file

    path = run_dir / "run.json"
    if not path.exists():
        run_dir.mkdir(parents=True, exist_ok=True)
        write_file(path, json.dumps(config, indent=1, sort_keys=True))


@contextlib.contextmanager
def folder_lock(out: Path) -> Iterator[None]:
    """One writer per ladder folder: a second `ladder run` (or `quantize`, `repair`) on the same
    folder is refused with the holder's pid instead of racing on the same files. The lock is an
    advisory ``flock`` on ``DIR/.lock``, released by the kernel when the holder exits (even by
    SIGKILL), so a crash never leaves the folder locked."""
    import fcntl
    import os

    try:
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(out / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise InputError(str(out), None, f"cannot use as a ladder folder: {e.strerror or e}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "another process"
            raise InputError(str(out), None, f"in use by another trillion ladder command (pid {holder}); "
                             "wait for it to finish, or use another --dir") from None  # fmt: skip
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


def _dispatch(backend: str, out: Path, run_ids: list[str], nproc: int) -> None:
    import os
    import subprocess
    import sys

    if backend == "torchrun":
        env = {**os.environ, "OMP_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // nproc))}
        for run_id in run_ids:
            cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
                   "-m", "trillion.nn.worker", str(out), run_id]  # fmt: skip
            done = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"torchrun failed for run {run_id}: {done.stderr[-2000:]}")
        return
    try:
        import ray
    except ImportError:
        raise InputError("backend", None, "ray needs the ray extra: pip install 'trillion[ray]'") from None
    ray.init(address=os.environ.get("RAY_ADDRESS"), ignore_reinit_error=True, include_dashboard=False)
    task = ray.remote(num_cpus=1)(run_one)
    ray.get([task.remote(str(out), run_id) for run_id in run_ids])


def run_one(directory: str | Path, run_id: str) -> dict:
    """Train one run of a prepared ladder folder (a torchrun rank or a Ray task; the parent holds the lock)."""
    from trillion.nn.data import open_prepared
    from trillion.nn.store import Store
    from trillion.nn.trainer import TrainConfig, train_run

    out = Path(directory)
    run = next((r for r in ladder_summary(out) if r["id"] == run_id), None)
    if run is None:
        raise SystemExit(f"no run {run_id} in {out}")
    if run["status"] == "finished":
        return run["result"]
    c = run["config"]
    preset = find_preset(c["preset"])
    data = open_prepared(out / "data")  # prepared by `run_ladder`, which holds the folder's lock
    cfg = TrainConfig(tokens=c["tokens"], seq_len=c["seq_len"], batch=c["batch"], lr=c["lr"], seed=c["seed"],
                      eval_batches=c["eval_batches"], device=c["device"], checkpoint_every_s=preset.checkpoint_every_s)  # fmt: skip
    store = Store(out / "ladder.sqlite")
    try:
        return train_run(
            family_spec(c["depth"], c["vocab"], c["family"]), data, cfg, out / "runs" / run_id, store, run_id
        )
    finally:
        store.close()


def ladder_summary(out_dir: str | Path) -> list[dict[str, Any]]:
    """Every run in the folder's store, each with ``current``: trained on the folder's present
    data by this code version (only current runs are fitted together)."""
    from trillion.nn.data import prepared_key
    from trillion.nn.store import Store

    path = Path(out_dir) / "ladder.sqlite"
    if not path.exists():
        raise InputError(str(out_dir), None, "no ladder here (run `trillion ladder run` first)")
    store = Store(path)
    try:
        runs = store.runs()
    finally:
        store.close()
    key = prepared_key(Path(out_dir) / "data")
    data = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16] if key else None
    code = code_version()
    for r in runs:
        r["current"] = r["config"].get("data") == data and r["config"].get("code") == code
    return runs


def repair_ladder(out_dir: str | Path) -> dict[str, Any]:
    """The documented way back from a damaged ladder folder, losing no finished run.

    - A store that fails SQLite's check is moved aside (``ladder.sqlite.damaged-TIME``, with its
      WAL files) and rebuilt: every run folder's ``run.json`` (its configuration) and
      ``result.json`` (written when it finished) go back in, plus whatever rows the damaged file
      still yields.
    - A checkpoint that does not verify is moved aside (``checkpoint.pt.damaged-TIME``); its run
      restarts from step 0 on the next `ladder run`.
    Nothing is deleted. Returns what was done.
    """
    import os
    import time

    from trillion.io.files import read_json
    from trillion.nn.store import Store, salvage

    out = Path(out_dir)
    if not out.is_dir():
        raise InputError(str(out), None, "no such ladder folder")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    done: dict[str, Any] = {"store": "ok", "moved": [], "runs_restored": 0, "checkpoints_reset": []}
    with folder_lock(out):
        path = out / "ladder.sqlite"
        rows: list[tuple[Any, ...]] = []
        if path.exists():
            try:
                Store(path).close()
            except InputError as e:
                done["store"] = f"damaged: {e.message}"
                rows = salvage(path)
                for suffix in ("", "-wal", "-shm"):
                    part = Path(str(path) + suffix)
                    if part.exists():
                        target = Path(f"{part}.damaged-{stamp}")
                        os.replace(part, target)
                        done["moved"].append(str(target))
        store = Store(path)
        try:
            for run_id, config, status, result in rows:
                try:
                    store.add_run(run_id, json.loads(config))
                    if status == "finished" and result:
                        store.finish(run_id, json.loads(result))
                except (ValueError, TypeError):
                    continue
            for run_dir in sorted((out / "runs").glob("*")) if (out / "runs").is_dir() else []:
                run_id = run_dir.name
                if (run_dir / "run.json").exists():
                    try:
                        store.add_run(run_id, read_json(run_dir / "run.json", 2**20))
                    except InputError:
                        pass
                if store.status(run_id) is None:
                    continue
                if (run_dir / "result.json").exists() and store.status(run_id) != "finished":
                    try:
                        store.finish(run_id, read_json(run_dir / "result.json", 2**24))
                        done["runs_restored"] += 1
                    except InputError:
                        pass
                ckpt = run_dir / "checkpoint.pt"
                if ckpt.exists():
                    from trillion.nn.checkpoint import checkpoint_problem

                    problem = checkpoint_problem(ckpt)
                    if problem:
                        for part in (ckpt, Path(str(ckpt) + ".sha256")):
                            if part.exists():
                                os.replace(part, Path(f"{part}.damaged-{stamp}"))
                        done["checkpoints_reset"].append({"run": run_id, "why": problem})
            done["data_reset"] = _reset_damaged_tokens(out / "data", stamp)
            done["runs"] = len(store.runs())
            done["finished"] = len(store.runs("finished"))
        finally:
            store.close()
    return done


def _reset_damaged_tokens(data: Path, stamp: str) -> str | None:
    """Move damaged token files (and their data.json) aside so the next `ladder run` prepares them
    again from the corpus; returns why, or None when they are sound or absent."""
    import os

    from trillion.io.files import read_json
    from trillion.nn.data import token_file_problem

    parts = [data / n for n in ("data.json", "train.bin", "val.bin")]
    if not any(p.exists() for p in parts):
        return None
    try:
        meta = read_json(parts[0], 2**20)
        problem = token_file_problem(data, meta) if isinstance(meta, dict) else "data.json is not an object"
    except InputError as e:
        problem = f"data.json: {e.message}"
    if problem:
        for p in parts:
            if p.exists():
                os.replace(p, Path(f"{p}.damaged-{stamp}"))
    return problem


def ladder_quantize(out_dir: str | Path) -> list[dict[str, Any]]:
    """Quantise every finished run's weights (int8, int4) and measure validation loss and bytes."""
    out = Path(out_dir)
    runs = ladder_summary(out)
    with folder_lock(out):
        return _quantize(out, runs)


def _quantize(out: Path, runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from trillion.nn.data import open_prepared
    from trillion.nn.quantize import quantization_experiment
    from trillion.nn.store import Store
    from trillion.nn.trainer import TrainConfig, evaluate, load_checkpoint

    store = Store(out / "ladder.sqlite")
    rows = []
    try:
        data = open_prepared(out / "data")
        for r in runs:
            if r["status"] != "finished" or not r["current"]:  # evaluated on the data it was trained on
                continue
            c = r["config"]
            spec = family_spec(c["depth"], c["vocab"], c["family"])
            weights = out / "runs" / r["id"] / "model.pt"
            if not weights.exists():
                continue
            state = load_checkpoint(weights, "cpu")
            cfg = TrainConfig(
                tokens=c["tokens"], seq_len=c["seq_len"], batch=c["batch"], eval_batches=c["eval_batches"]
            )
            res = quantization_experiment(spec, state, lambda m, cfg=cfg, data=data: evaluate(m, data, cfg))
            for fmt, values in res.items():
                store.save_quantization(r["id"], fmt, values)
                rows.append({"run": r["id"], "depth": c["depth"], "format": fmt, **values})
        return rows
    finally:
        store.close()


def preset_dict(name: str) -> dict[str, Any]:
    return {"name": name, **asdict(find_preset(name))}
