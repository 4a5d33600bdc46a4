"""Known-vulnerability audit of every pinned dependency (requirements-test.lock, a superset of
requirements.lock).

Run:  .venv/bin/python benchmarks/supply_chain_audit.py [--pip-audit PATH]

pip-audit (run from a throwaway venv when given) asks PyPI's per-version JSON endpoint, which the
PyPI reachable from these machines does not serve (404), so it can audit nothing here. This script
does the equivalent with what is served: each project's JSON (``/pypi/NAME/json``) lists the known
vulnerabilities of its latest release; where the pin is that release they apply directly, and
where it is not the pin is reported as unaudited (no per-version data), never as clean.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path

LOCK = Path(__file__).resolve().parents[1] / "requirements-test.lock"


def pins() -> list[tuple[str, str]]:
    out = []
    for line in LOCK.read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line and not line.startswith("--"):
            name, version = line.split("==", 1)
            out.append((name.strip(), version.split()[0].split("+")[0]))
    return out


def audit(name: str, version: str) -> tuple[str, list[str]]:
    try:
        with urllib.request.urlopen(f"https://pypi.org/pypi/{name}/json", timeout=20) as r:
            data = json.load(r)
    except Exception as e:  # network: reported, never silently clean
        return f"unaudited ({type(e).__name__})", []
    latest = data["info"]["version"]
    vulns = [
        f"{v.get('id')} (fixed in {', '.join(v.get('fixed_in') or []) or '?'})"
        for v in data.get("vulnerabilities") or []
    ]
    if latest != version:
        return f"unaudited: pin {version}, the index serves data for {latest} only", []
    return ("VULNERABLE" if vulns else "no known vulnerability"), vulns


def main() -> None:
    rows = [(n, v, *audit(n, v)) for n, v in pins()]
    print("| package | pinned | result | advisories |\n|---|---|---|---|")
    for n, v, status, vulns in rows:
        print(f"| {n} | {v} | {status} | {'; '.join(vulns) or '-'} |")
    counts: dict[str, int] = {}
    for *_, status, _ in rows:
        key = status.split(":")[0].split(" (")[0]
        counts[key] = counts.get(key, 0) + 1
    print(f"\n{len(rows)} pins: " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
    if "--pip-audit" in sys.argv:
        exe = sys.argv[sys.argv.index("--pip-audit") + 1]
        done = subprocess.run([exe, "-r", str(LOCK), "--no-deps", "--disable-pip", "--progress-spinner", "off"],
                              capture_output=True, text=True, timeout=600)  # fmt: skip
        lines = (done.stdout + done.stderr).strip().splitlines()
        found = sum("not found on PyPI" in x for x in lines)
        print(
            f"\npip-audit (exit {done.returncode}): {found} of {len(rows)} pins 'not found on PyPI' (per-version JSON unavailable)"
        )


if __name__ == "__main__":
    main()
