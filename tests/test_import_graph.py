"""The import structure of ``core/`` and ``schemas/``, read from the source (the AST, so an import written inside a
function counts as much as one at the top):

- no import cycle: every cycle is printed, module by module;
- ``core/`` never imports ``pages/``, and nothing in ``core/`` outside ``core/ui/`` imports streamlit or ``core.ui``
  (checked in the source and, in a fresh interpreter, in what ``import`` really loads);
- the layers of ``core/``: the platform at the bottom, then one package per business area in the order of
  ``LAYERS``; a module imports its own package, the platform and the areas below its own, never one above, and
  nothing in the layers imports the composition (``core.app``, ``core.registry``, ...), ``core.demo`` or ``core.ui``;
- an import inside a function says why in a comment (an optional heavy dependency, start-up cost).
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("core", "schemas")


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if _is_package(module) else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _imports(module: str, source: str | None = None) -> list[tuple[str, ast.stmt, bool]]:
    """(imported module name, the statement, whether it sits inside a function) for every import in ``module``
    (or in ``source`` read as that module); ``from package import name`` names the submodule when it is one."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8") if source is None else source)
    out = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                out.extend((alias.name, child, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                target = _resolve(module, child)
                for alias in child.names:
                    sub = f"{target}.{alias.name}"
                    out.append((sub if sub in MODULES else target, child, in_function))
            visit(child, inner)

    visit(tree, False)
    return out


def _graph() -> dict[str, set[str]]:
    """module -> the modules of core/ and schemas/ it imports (packages' ``__init__`` left out as targets: an empty
    namespace docstring that imports nothing cannot close a cycle, and every ``from core import x`` touches it)."""
    graph = {}
    for module in MODULES:
        targets = set()
        for name, _node, _inner in _imports(module):
            while name and name not in MODULES:  # import core.x.y -> the nearest module we know
                name = name.rpartition(".")[0]
            if name and name != module and not _is_package(name):
                targets.add(name)
        graph[module] = targets
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan), as a path a -> b -> ... -> a."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []
    counter = [0]

    def connect(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(set(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(graph):
        if v not in index:
            connect(v)

    cycles = []
    for component in components:
        start = min(component)
        # shortest way back to start inside the component (breadth first)
        previous, frontier = {start: None}, [start]
        found = None
        while frontier and not found:
            nxt = []
            for v in frontier:
                for w in sorted(graph[v] & component):
                    if w == start:
                        found = v
                        break
                    if w not in previous:
                        previous[w] = v
                        nxt.append(w)
                if found:
                    break
            frontier = nxt
        path = [start]
        v = found
        while v is not None and v != start:
            path.insert(1, v)
            v = previous[v]
        cycles.append(path + [start] + ([f"(and {len(component)} modules in all: {', '.join(sorted(component))})"]
                                        if len(component) > len(path) else []))
    return cycles


def test_the_graph_sees_imports_inside_functions_and_relative_ones():
    source = ("import core.platform.db\nfrom core.platform import audit, config as c\nfrom . import records\n"
              "def f():\n    from ..ui import text\n    return lambda: __import__('x')\n"
              "class K:\n    def m(self):\n        import schemas.base\n")
    found = [(name, inner) for name, _node, inner in _imports("core.platform.excel", source)]
    assert found == [("core.platform.db", False), ("core.platform.audit", False), ("core.platform.config", False),
                     ("core.platform.records", False), ("core.ui.text", True), ("schemas.base", True)]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_in_core_and_schemas():
    cycles = _cycles(_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


# core/'s packages, bottom to top. Beside them: core.ui (the screens' helpers), core.demo (the demo builders, which
# may use any area) and the composition modules at core/'s top (app, registry, domain, checks, navigation, manage).
LAYERS = ("platform", "orgs", "intake", "review", "monitoring", "incubation", "resources", "notify", "dashboards", "documents")


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "core" and len(parts) > 1 else None


def test_the_layout_is_the_architecture():
    """Every module of core/ sits in a layer, beside them only ui, demo and the composition; no layer
    imports one above it, the demo builders or the composition."""
    composition = {"core", "core.app", "core.registry", "core.domain", "core.checks", "core.navigation", "core.manage"}
    stray = [m for m in MODULES if m.startswith("core") and m not in composition
             and _layer(m) not in (*LAYERS, "ui", "demo", "migrations")]
    assert not stray, f"modules outside core/'s packages: {stray}"
    assert {_layer(m) for m in MODULES if m.startswith("core.")} >= set(LAYERS)
    upward = []
    for module in MODULES:
        if _layer(module) not in LAYERS or module == f"core.{_layer(module)}":
            continue
        mine = LAYERS.index(_layer(module))
        for name, node, _inner in _imports(module):
            target = _layer(name) if name.startswith("core.") else None
            if name in composition or target in ("ui", "demo") or (
                    target in LAYERS and LAYERS.index(target) > mine):
                upward.append(f"{module}:{node.lineno} imports {name}")
    assert not upward, "imports against the layers (" + " < ".join(LAYERS) + "):\n" + "\n".join(upward)


FORBIDDEN_BELOW_UI = ("streamlit", "pages", "core.ui", "streamlit_authenticator", "Home")


def test_core_outside_ui_imports_neither_streamlit_nor_pages_nor_the_ui_in_its_source():
    found = []
    for module in MODULES:
        if module.startswith("core.ui") or not module.startswith("core"):
            continue
        for name, node, _inner in _imports(module):
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN_BELOW_UI):
                found.append(f"{module}:{node.lineno} imports {name}")
    assert not found, "\n".join(found)


def test_core_ui_never_imports_pages():
    found = [f"{m}:{node.lineno} imports {name}" for m in MODULES if m.startswith("core.ui")
             for name, node, _inner in _imports(m) if name == "pages" or name.startswith("pages.")]
    assert not found, "\n".join(found)


def test_importing_and_starting_core_loads_no_streamlit_and_no_page(tmp_path):
    """In a fresh interpreter: every module of core/ outside core/ui/ and every schema imported, and the
    start-up run (``core.app.bootstrap``: migrations, the configuration checks, the first account): neither
    streamlit nor a page module is loaded."""
    names = sorted(m for m in MODULES if not m.startswith("core.ui"))
    code = ("import importlib, sys\n"
            "def bad():\n"
            "    return sorted(m for m in sys.modules if m in ('streamlit', 'pages', 'streamlit_authenticator')"
            " or m.startswith(('pages.', 'core.ui')))\n"
            f"for name in {names!r}:\n"
            "    importlib.import_module(name)\n"
            "    assert not bad(), f'import {name} loaded {bad()}'\n"
            "from core import app, registry\n"
            "assert registry.all_entities()\n"
            "app.bootstrap()\n"
            "app.reset_for_tests()\n"
            "assert not bad(), f'core.app.bootstrap() loaded {bad()}'\n")
    env = dict(os.environ, HUBDESK_DB=str(tmp_path / "hub.duckdb"), HUBDESK_DEMO="0",
               HUBDESK_SECRETS=str(tmp_path / "secrets.toml"), HUBDESK_BACKUP_ON_START="0",
               HUBDESK_BACKUP_EVERY_HOURS="0", HUBDESK_BCRYPT_ROUNDS="4")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr.strip().splitlines()[-1]


def _function_level_imports() -> list[str]:
    """Imports inside functions of core/ and schemas/ with no comment on their line or the line just above."""
    out = []
    for module, path in MODULES.items():
        lines = path.read_text(encoding="utf-8").splitlines()
        seen = set()
        for name, node, inner in _imports(module):
            if not inner or node.lineno in seen:
                continue
            seen.add(node.lineno)
            here = lines[node.lineno - 1]
            above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
            if "#" not in here and not above.startswith("#"):
                out.append(f"{module}:{node.lineno} {here.strip()}")
    return out


def test_an_import_inside_a_function_says_why():
    unexplained = _function_level_imports()
    assert not unexplained, ("imports inside functions without a comment saying why (move them to the top, or say "
                             "why they must wait):\n" + "\n".join(unexplained))


if __name__ == "__main__":  # python tests/test_import_graph.py: the cycles and the unexplained imports
    for cycle in _cycles(_graph()):
        print(" -> ".join(cycle))
    print("\n".join(_function_level_imports()))
    pytest.main([__file__, "-q"])
