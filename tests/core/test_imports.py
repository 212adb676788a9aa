"""The shape of the code, checked: plugins import only the SDK, and the core has no import cycle.

Imports are read from the source (every ``import`` statement, at module level or inside a
function, except those under ``if TYPE_CHECKING:``), so a lazy import cannot hide a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: source folder -> import name prefix (setuptools ``package-dir``)
FOLDERS = {"autolog": "autolog", "integrations": "autolog.integrations", "backends": "autolog.backends"}


def _module_name(path: Path) -> str:
    folder, *rest = path.relative_to(ROOT).with_suffix("").parts
    parts = [FOLDERS[folder], *rest]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources(folder: str) -> dict[str, Path]:
    return {_module_name(path): path for path in sorted((ROOT / folder).rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, module: str) -> set[str]:
    """Absolute names of the autolog modules ``path`` imports (``from x import y`` counts as ``x``
    and, when ``x.y`` is a module, ``x.y``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parent = package.rsplit(".", child.level - 1)[0] if child.level > 1 else package
                    base = f"{parent}.{base}" if base else parent
                found.add(base)
                found.update(f"{base}.{alias.name}" for alias in child.names)
            visit(child)

    visit(tree)
    return {name for name in found if name == "autolog" or name.startswith("autolog.")}


def test_built_in_integrations_and_backends_import_only_the_sdk():
    offenders = []
    for folder in ("integrations", "backends"):
        for module, path in _sources(folder).items():
            own = ".".join(module.split(".")[:3])  # autolog.integrations.sklearn
            allowed = ("autolog.sdk", own)
            if module.startswith("autolog.backends.local"):
                allowed += ("autolog.store",)  # the local backend is the store's writer
            for name in _imports(path, module):
                if name in ("autolog.integrations", "autolog.backends"):
                    continue  # the namespace packages themselves
                if not any(name == prefix or name.startswith(prefix + ".") for prefix in allowed):
                    offenders.append(f"{module} imports {name}")
    assert offenders == []


def test_the_core_has_no_import_cycle():
    modules = _sources("autolog")
    graph = {
        module: {name for name in _imports(path, module) if name in modules and name != module}
        for module, path in modules.items()
    }
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def walk(module: str, path: list[str]) -> None:
        state[module] = 1
        for dependency in sorted(graph[module]):
            if dependency == "autolog" or module.startswith(dependency + "."):
                continue  # importing a parent package is how Python imports any submodule
            if state.get(dependency) == 1:
                cycles.append(" -> ".join([*path[path.index(dependency):], dependency]))
            elif dependency not in state:
                walk(dependency, [*path, dependency])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])
    assert cycles == []


def test_the_sdk_names_every_export_and_each_resolves():
    import autolog.sdk as sdk

    missing = [name for name in sdk.__all__ if getattr(sdk, name, None) is None]
    assert missing == []
    assert "Backend" in sdk.__all__ and "start_autologged_run" in sdk.__all__
