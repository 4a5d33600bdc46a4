"""One ladder run in its own process: ``python -m trillion.nn.worker LADDER_DIR RUN_ID``.

Used by the torchrun backend (every rank runs this; rank 0 writes the store); Ray tasks call
`trillion.nn.ladder.run_one` directly.
"""

from __future__ import annotations

import sys

from trillion.nn.ladder import run_one

if __name__ == "__main__":
    run_one(sys.argv[1], sys.argv[2])
