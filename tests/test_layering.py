"""The import direction of the architecture, enforced: every import statement in src/trillion (inside
functions too) goes down the documented layers, and no package or file imports itself round a
cycle. The core also stays light: torch, transformers and friends only in trillion.nn and tests.

Layers, bottom first (README "Architecture"); a part may import only parts of lower layers, so two
parts of one layer (plan and serve) stay independent of each other.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "trillion"
LAYERS: list[set[str]] = [
    {"errors"},
    {"units", "_version"},
    {"dist", "charts"},
    {"spec"},
    {"io"},
    {"catalog"},
    {"count"},
    {"scaling", "trends"},
    {"plan", "serve"},
    {"footprint"},
    {"nn"},
    {"report"},
    {"web"},
    {"cli", "(root)"},  # (root) is trillion/__init__, the public API over everything
    {"__main__"},  # python -m trillion
]
HEAVY = ["torch", "transformers", "ray", "matplotlib", "scipy", "pint", "starlette", "uvicorn", "fastapi"]


def _modules(root: Path) -> dict[str, Path]:
    mods = {}
    for p in root.rglob("*.py"):
        parts = list(p.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = p
    return mods


def import_graph(root: Path = SRC) -> dict[str, set[str]]:
    """module -> modules of this package it imports (every import statement, at any depth)."""
    mods = _modules(root)

    def resolve(name: str) -> str | None:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        return name or None

    edges: dict[str, set[str]] = {m: set() for m in mods}
    for m, p in mods.items():
        pkg = m if p.name == "__init__.py" else m.rpartition(".")[0]
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    head = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                    base = ".".join(head + ([base] if base else []))
                targets = [base] + [f"{base}.{a.name}" for a in node.names]
            for t in targets:
                if t.startswith("trillion"):
                    r = resolve(t)
                    if r and r != m:
                        edges[m].add(r)
    return edges


def part(module: str) -> str:
    return module.split(".")[1] if "." in module else "(root)"


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        x = stack.pop()
                        on.discard(x)
                        comp.append(x)
                        if x == v:
                            break
                    if len(comp) > 1:
                        out.append(sorted(comp))
            elif w not in index:
                index[w] = low[w] = counter
                counter += 1
                stack.append(w)
                on.add(w)
                work.append((w, iter(sorted(graph.get(w, ())))))
            elif w in on:
                low[v] = min(low[v], index[w])
    return out


def layering_problems(root: Path = SRC) -> list[str]:
    graph = import_graph(root)
    mods = _modules(root)
    layer = {name: i for i, group in enumerate(LAYERS) for name in group}
    problems = []
    parts_graph: dict[str, set[str]] = {}
    for m, targets in graph.items():
        for t in targets:
            a, b = part(m), part(t)
            if a == b:
                continue
            parts_graph.setdefault(a, set()).add(b)
            if a not in layer or b not in layer:
                problems.append(f"{m} -> {t}: part {a if a not in layer else b!r} is not in LAYERS")
            elif layer[b] >= layer[a]:
                problems.append(f"{m} -> {t}: {a} (layer {layer[a]}) may not import {b} (layer {layer[b]})")
    # a package's __init__ importing its own children is not a cycle
    files = {
        m: {t for t in ts if not (mods[t].name == "__init__.py" and m.startswith(t + "."))}
        for m, ts in graph.items()
    }
    problems += [f"import cycle between parts: {' <-> '.join(c)}" for c in cycles(parts_graph)]
    problems += [f"import cycle between files: {' <-> '.join(c)}" for c in cycles(files)]
    return problems


def test_imports_follow_the_layers_and_nothing_imports_itself_round_a_cycle():
    assert layering_problems() == []


def test_the_check_catches_a_cycle_and_an_upward_import(tmp_path):
    """The checker itself on a tiny package: an upward import and a cycle inside a function."""
    pkg = tmp_path / "trillion"
    (pkg / "spec").mkdir(parents=True)
    (pkg / "count").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "errors.py").write_text("")
    (pkg / "spec" / "__init__.py").write_text("")
    (pkg / "count" / "__init__.py").write_text("")
    (pkg / "spec" / "model.py").write_text("def f():\n    from trillion.count.flop import g\n")
    (pkg / "count" / "flop.py").write_text("from trillion.spec.model import f\n")
    found = layering_problems(pkg)
    assert any("spec (layer 3) may not import count" in p for p in found)
    assert any("cycle between files" in p and "trillion.count.flop" in p for p in found)


def test_core_imports_no_heavy_dependency():
    code = (
        "import sys, trillion, trillion.catalog, trillion.io.hf_config, trillion.cli;"
        "trillion.count(trillion.load_model('kimi-k2'));"
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
