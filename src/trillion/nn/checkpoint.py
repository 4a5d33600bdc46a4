"""Checkpoint integrity without torch: a digest sidecar beside every checkpoint, so a truncated or
altered file is refused by name instead of half-loaded (PyTorch's archive reader does not check
its own CRCs). Used by the trainer (torch) and by `trillion ladder repair` (no torch needed).

``PATH.sha256`` lists two digests: the new file's and the previous file's, written before the
new file is renamed into place, so whichever of the two a crash leaves at PATH verifies.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_sidecar(path: Path, new: Path) -> None:
    """Write ``PATH.sha256`` for the file `new` about to replace `path` (atomically)."""
    previous = sha256_file(path) if path.exists() else ""
    sidecar = Path(str(path) + ".sha256")
    tmp = Path(str(sidecar) + ".tmp")
    tmp.write_text(f"{sha256_file(new)}\n{previous}\n")
    os.replace(tmp, sidecar)


def checkpoint_problem(path: Path) -> str | None:
    """Why the checkpoint at `path` cannot be trusted, or None when its digest verifies."""
    sidecar = Path(str(path) + ".sha256")
    try:
        if not sidecar.exists():
            return f"{sidecar.name} is missing (the file cannot be verified)"
        known = set(sidecar.read_text(errors="replace").split())
        if sha256_file(path) not in known:
            return f"its sha256 matches none in {sidecar.name} (truncated or altered)"
    except OSError as e:
        return f"cannot be read ({e.strerror or e})"
    return None
