"""The layout's rules, read from the imports: the service sees only the backend interface."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What the service may import from indexer/: the interface, the factory and the records.
SERVICE_MAY_IMPORT = {"indexer.backends.base", "indexer.backends.factory", "indexer.records"}
# Sub-packages of indexer/ and what each may import from its siblings (imports flow one way).
LAYERS = {
    "indexer.text": {"indexer.records", "indexer.text"},
    "indexer.ingest": {"indexer.records", "indexer.text", "indexer.ingest"},
    "indexer.retrieval": {"indexer.records", "indexer.text", "indexer.retrieval"},
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def _module_of(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _indexer_modules() -> set[str]:
    return {_module_of(p) for p in (ROOT / "indexer").rglob("*.py")} | {
        _module_of(p.parent) for p in (ROOT / "indexer").rglob("__init__.py")
    }


def test_service_imports_only_the_interface_factory_and_records():
    known = _indexer_modules()
    offending = {}
    for path in (ROOT / "service").rglob("*.py"):
        used = {n for n in _imports(path) if n in known and n.startswith("indexer")}
        bad = {n for n in used if n not in SERVICE_MAY_IMPORT and n.rsplit(".", 1)[0] not in SERVICE_MAY_IMPORT}
        bad = {n for n in bad if not any(n == m or m.startswith(n + ".") for m in SERVICE_MAY_IMPORT)}
        if bad:
            offending[str(path.relative_to(ROOT))] = sorted(bad)
    assert offending == {}


def test_indexer_layers_import_one_way():
    known = _indexer_modules()
    offending = {}
    for layer, allowed in LAYERS.items():
        for path in (ROOT / Path(*layer.split("."))).rglob("*.py"):
            used = {n for n in _imports(path) if n in known and n.startswith("indexer.")}
            bad = {n for n in used if not any(n == a or n.startswith(a + ".") for a in allowed)}
            if bad:
                offending[str(path.relative_to(ROOT))] = sorted(bad)
    assert offending == {}


def test_indexer_has_no_import_cycles():
    known = _indexer_modules()
    graph = {}
    for path in (ROOT / "indexer").rglob("*.py"):
        mod = _module_of(path.parent) if path.name == "__init__.py" else _module_of(path)
        graph[mod] = {n for n in _imports(path) if n in known and n != mod and not mod.startswith(n + ".")}
    # package names stand for their __init__; resolve cycles over modules only
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                return [*trail, node, nxt]
            if state.get(nxt) is None and (cycle := visit(nxt, [*trail, node])):
                return cycle
        state[node] = 2
        return None

    for node in graph:
        if state.get(node) is None:
            assert visit(node, []) is None
