"""The core stays light: torch, transformers and friends are imported only by trillion.nn / tests."""

import subprocess
import sys

HEAVY = ["torch", "transformers", "ray", "matplotlib", "scipy", "pint", "starlette", "uvicorn", "fastapi"]


def test_core_imports_no_heavy_dependency():
    code = (
        "import sys, trillion, trillion.catalog, trillion.io.hf_config, trillion.cli;"
        "trillion.count(trillion.load_model('kimi-k2'));"
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
