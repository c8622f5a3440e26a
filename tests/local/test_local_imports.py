"""local/ has no import cycle: the provisioning model, the engine, the resource families and the table that joins
them import one way; the HTTP server takes a handler and imports nothing of the cloud's."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

pytestmark = pytest.mark.local

LOCAL = Path(__file__).resolve().parents[2] / "local"


def module_name(path: Path) -> str:
    parts = ["local", *path.relative_to(LOCAL).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def local_imports(path: Path, name: str, modules: set[str]) -> set[str]:
    """Every local module `path` imports, anywhere in it (function-level and TYPE_CHECKING imports count too)."""
    imported: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from local import cloud` imports the module local.cloud; `from local.cloud import X` local.cloud.
            submodules = {f"{node.module}.{alias.name}" for alias in node.names} & modules
            imported |= submodules or {node.module}
    return (imported & modules) - {name, "local"}


def import_graph() -> dict[str, set[str]]:
    files = sorted(LOCAL.rglob("*.py"))
    modules = {module_name(path) for path in files}
    return {module_name(path): local_imports(path, module_name(path), modules) for path in files}


def test_local_has_no_import_cycle():
    graph = import_graph()
    assert {"local.cloud", "local.provision", "local.model", "local.resources_compute"} <= set(graph)
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as error:
        pytest.fail(f"import cycle in local/: {' -> '.join(error.args[1])}")


def test_the_cycle_check_sees_a_cycle(tmp_path):
    # The check must be able to fail: two modules importing each other, one of them only inside a function.
    (tmp_path / "a.py").write_text("from local import b\n")
    (tmp_path / "b.py").write_text("def f():\n    from local.a import x\n")
    modules = {"local.a", "local.b"}
    graph = {name: local_imports(tmp_path / f"{name[6:]}.py", name, modules) for name in modules}
    with pytest.raises(CycleError):
        TopologicalSorter(graph).prepare()


def test_resource_families_and_the_server_depend_only_on_the_model_and_helpers():
    graph = import_graph()
    engine_side = {"local.provision", "local.resources", "local.cloud", "local.router"}
    for family in (name for name in graph if name.startswith("local.resources_")):
        assert not graph[family] & engine_side, family
    assert graph["local.model"].isdisjoint(engine_side | {n for n in graph if n.startswith("local.resources")})
    assert graph["local.server"].isdisjoint({"local.cloud", "local.router"})
