"""The shape of the code: arrows between apps point one way, and no module imports itself back through others.

The wiring modules (URL configuration, the API router, settings, WSGI/ASGI, the freshness dashboard that reads
several apps) are allowed to import every app; `kb` as a library (kb/api, constraints, validators, ...) imports none.
"""

import ast
import graphlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ["kb", "regions", "curation", "sources", "passwords", "procedures", "lookup", "content", "embed", "backup"]
WIRING = {"kb.urls", "kb.api_router", "kb.settings", "kb.settings_test", "kb.wsgi", "kb.asgi", "kb.freshness"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def first_party_imports() -> dict[str, set[str]]:
    modules = {
        module_name(path): path for app in APPS for path in (ROOT / app).rglob("*.py") if "migrations" not in path.parts
    }
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                imported |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, *([base] if base else [])])
                # `from package import module` imports the module; `from module import name` the module itself.
                imported |= {
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names
                }
        graph[name] = {target for target in imported if target in modules and target != name}
    return graph


GRAPH = first_party_imports()


def app_of(module: str) -> str:
    return module.split(".")[0]


def test_the_graph_is_read():
    # A guard against a walker that finds nothing and so passes everything.
    assert "curation.models" in GRAPH["passwords.models"]
    assert "curation.api.viewsets" in GRAPH["procedures.api.views"]


def test_no_module_imports_itself_back():
    try:
        graphlib.TopologicalSorter(GRAPH).prepare()
    except graphlib.CycleError as error:
        pytest.fail(f"an import cycle: {' → '.join(error.args[1])}")


@pytest.mark.parametrize("app", APPS)
def test_no_two_apps_import_each_other(app):
    def imports(a: str, b: str) -> set[str]:
        return {
            f"{source} → {target}"
            for source, targets in GRAPH.items()
            if app_of(source) == a and source not in WIRING
            for target in targets
            if app_of(target) == b
        }

    for other in APPS:
        if other != app:
            assert not (imports(app, other) and imports(other, app)), (imports(app, other), imports(other, app))


def test_kb_as_a_library_imports_no_app():
    used = {
        f"{source} → {target}"
        for source, targets in GRAPH.items()
        if app_of(source) == "kb" and source not in WIRING
        for target in targets
        if app_of(target) != "kb"
    }
    assert used == set()
