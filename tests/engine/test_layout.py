"""The engine's import graph, read from the source (ast): no import cycles, imports that follow
the layers, and no engine module importing a plugin (estimators.*, scenarios.*) directly."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "mibench"
PLUGIN_PACKAGES = ("estimators", "scenarios")

#: layer of each top-level part of mibench; a module may import only its own layer or lower ones
LAYERS = {
    "_version": 0, "contracts": 0,
    "registry": 1,
    "planning": 2,
    "execution": 3,
    "analysis": 4,
    "benchmark": 5,
    "userdata": 6, "checking": 6, "figures": 6,
    "commands": 7, "cli": 7,
    "testing": 7, "__init__": 8,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_only(node: ast.AST, parents: dict) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imports(path: Path, modules: set[str]) -> set[str]:
    """Modules imported by ``path`` (top level and inside functions; not TYPE_CHECKING blocks);
    ``from pkg import name`` counts as importing ``pkg.name`` when that is a module."""
    tree = ast.parse(path.read_text())
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if _type_checking_only(node, parents):
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in modules else base)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    paths = sorted(ROOT.rglob("*.py"))
    modules = {module_name(p) for p in paths}
    return {module_name(p): imports(p, modules) for p in paths}


def test_no_engine_module_imports_a_plugin(graph):
    bad = sorted((m, d) for m, deps in graph.items() for d in deps
                 if d.split(".")[0] in PLUGIN_PACKAGES)
    assert bad == []


def test_no_import_cycles(graph):
    engine = {m: {d for d in deps if d in graph and d != m} for m, deps in graph.items()}
    cycles, state = [], {}

    def visit(m, stack):
        state[m] = "open"
        stack.append(m)
        for d in sorted(engine[m]):
            if state.get(d) == "open":
                cycles.append(stack[stack.index(d):] + [d])
            elif d not in state:
                visit(d, stack)
        stack.pop()
        state[m] = "done"

    for m in sorted(engine):
        if m not in state:
            visit(m, [])
    assert cycles == []


def _layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS["__init__" if len(parts) == 1 else parts[1]]


def test_imports_point_down_the_layers(graph):
    upward = sorted((m, d) for m, deps in graph.items() for d in deps
                    if d.startswith("mibench.") and d in graph and _layer(d) > _layer(m))
    assert upward == []


def test_every_part_of_the_engine_has_a_layer(graph):
    assert {m.split(".")[1] for m in graph if "." in m} <= set(LAYERS)


def test_contracts_are_a_leaf(graph):
    leaf = {m: {d for d in deps if d.startswith("mibench")} for m, deps in graph.items()
            if m.startswith("mibench.contracts")}
    assert all(d.startswith("mibench.contracts") for deps in leaf.values() for d in deps), leaf


def test_the_ast_reader_sees_imports(tmp_path, graph):
    """The checks above would pass vacuously if the reader missed imports: it must find known
    edges, including a function-local one."""
    assert "mibench.contracts" in graph["mibench.registry"]
    assert "mibench.benchmark" in graph["mibench.userdata.recommend"]  # imported in a function
    assert "mibench.analysis.reports" in graph["mibench.analysis.reports.run_folder"]


def test_no_module_is_too_long():
    """One idea per module: none much over 400 lines."""
    too_long = sorted((str(p.relative_to(ROOT)), n) for p in ROOT.rglob("*.py")
                      if (n := len(p.read_text().splitlines())) > 450)
    assert too_long == []


def part(module: str) -> str:
    """The part of the engine a module belongs to, as docs/architecture.md draws it."""
    parts = module.split(".")
    if len(parts) == 1:
        return "mibench"
    return {"cli": "commands", "_version": "contracts"}.get(parts[1], parts[1])


def part_graph(graph) -> set[tuple[str, str]]:
    """Edges between parts, transitively reduced (an arrow implied by two others is left out)."""
    edges = {(part(a), part(b)) for a, deps in graph.items() for b in deps
             if b in graph and part(a) != part(b)}
    nodes = {n for e in edges for n in e}

    def reachable(a, skip):
        seen, todo = set(), [b for x, b in edges if x == a and (x, b) != skip]
        while todo:
            b = todo.pop()
            if b not in seen:
                seen.add(b)
                todo.extend(c for x, c in edges if x == b)
        return seen

    assert nodes
    return {(a, b) for a, b in edges if b not in reachable(a, (a, b))}


def test_the_architecture_diagram_is_the_import_graph(graph):
    """docs/architecture.md's mermaid diagram lists exactly the (reduced) imports between parts."""
    doc = (ROOT.parent / "docs" / "architecture.md").read_text()
    block = doc.split("```mermaid", 1)[1].split("```", 1)[0]
    drawn = set()
    for line in block.splitlines():
        if "-->" in line:
            a, b = (s.strip().split("[")[0].split("(")[0] for s in line.split("-->"))
            drawn.add((a, b))
    assert drawn == part_graph(graph)


def test_the_engine_names_no_builtin_estimator():
    """Plugin knowledge lives in the plugins (class attributes) or in data (suites, defaults.toml):
    no engine module outside the paper figure sets names a built-in estimator in its code."""
    import tomllib

    project = tomllib.loads((ROOT.parent / "pyproject.toml").read_text())
    names = set(project["project"]["entry-points"]["mibench.estimators"])
    found = []
    for path in ROOT.rglob("*.py"):
        if path.parent.name == "figures":  # a paper's figure set names the paper's estimators
            continue
        tree = ast.parse(path.read_text())
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                      and n.body and isinstance(n.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                    and node.value.split(":")[0] in names):
                found.append((str(path.relative_to(ROOT)), node.lineno, node.value))
    assert found == []


def test_plugins_import_only_the_public_api():
    """estimators/ and scenarios/ import from mibench only names in ``mibench.__all__`` (or the
    ``mibench.testing`` kit): never an engine module (ruff's TID251 bans the same in the lint)."""
    import mibench

    public = set(mibench.__all__)
    found, bad = 0, []
    for package in PLUGIN_PACKAGES:
        for path in (ROOT.parent / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    mods = [(a.name, None) for a in node.names if a.name.split(".")[0] == "mibench"]
                elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "mibench":
                    mods = [(node.module, a.name) for a in node.names]
                else:
                    continue
                for module, name in mods:
                    found += 1
                    ok = module == "mibench.testing" or (module == "mibench" and name in public)
                    if not ok:
                        bad.append((str(path.relative_to(ROOT.parent)), node.lineno, module, name))
    assert found > 20  # the reader sees the plugins' imports
    assert bad == []
