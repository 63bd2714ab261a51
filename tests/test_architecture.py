"""The house's shape, checked: imports run one way through the layers, and ARCHITECTURE.md names
only packages and modules that exist."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src"
ARCHITECTURE = Path(__file__).parents[1] / "ARCHITECTURE.md"

#: The layers of ``otel_lint``, lowest first. A module may import modules of its own layer and of
#: the layers before it, never one after. A module belongs to the longest prefix that names it,
#: so the cache's modules each sit just above what they remember.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("otel_lint", "otel_lint.findings"),
    ("otel_lint.cache.plain", "otel_lint.cache.store", "otel_lint.cache.upkeep"),
    ("otel_lint.conventions",),
    ("otel_lint.catalogue",),
    ("otel_lint.cache.keys", "otel_lint.cache.rules"),
    ("otel_lint.config",),
    ("otel_lint.project",),
    ("otel_lint.checks",),
    ("otel_lint.engine",),
    ("otel_lint.cache",),
    ("otel_lint.engine.workers",),
    ("otel_lint.output",),
    ("otel_lint.runner",),
    ("otel_lint.cli", "otel_lint.__main__"),
)
#: What the pytest plugin may use of the linter: its public core and its configuration.
PLUGIN_MAY_IMPORT = ("otel_lint.conventions", "otel_lint.config", "otel_lint.findings")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, at any depth (type-only imports included)."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            # ``from otel_lint.engine import workers`` imports the module engine.workers.
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                if (SRC / candidate.replace(".", "/")).with_suffix(".py").exists():
                    yield candidate


def _graph(package: str) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted((SRC / package).rglob("*.py")):
        graph[_module_name(path)] = {
            name for name in _imports(path) if name.split(".")[0] in ("otel_lint", "otel_testing")
        }
    return graph


def _layer(module: str) -> int:
    best, layer = -1, -1
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            named = module == prefix or module.startswith(prefix + ".")
            if named and len(prefix) > best:
                best, layer = len(prefix), index
    assert layer >= 0, f"{module} is in no layer: add it to LAYERS and to ARCHITECTURE.md"
    return layer


def test_every_import_of_otel_lint_points_down_the_layers() -> None:
    upward = [
        f"{module} (layer {_layer(module)}) imports {name} (layer {_layer(name)})"
        for module, names in _graph("otel_lint").items()
        for name in names
        if name.startswith("otel_lint") and _layer(name) > _layer(module)
    ]
    assert upward == []


@pytest.mark.parametrize("package", ["otel_lint", "otel_testing"])
def test_no_import_cycles(package: str) -> None:
    graph = _graph(package)
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for name in sorted(graph.get(module, ())):
            if name not in graph or name == module:
                continue
            if state.get(name) == 1:
                cycles.append([*path[path.index(name) :], name])
            elif name not in state:
                visit(name, [*path, name])
        state[module] = 2

    for module in graph:
        if module not in state:
            visit(module, [module])
    assert cycles == []


def test_the_linter_never_imports_the_plugin_or_pytest() -> None:
    for path in (SRC / "otel_lint").rglob("*.py"):
        imported = {name.split(".")[0] for name in _imports(path)}
        assert not imported & {"otel_testing", "pytest", "_pytest"}, path


def test_the_plugin_imports_only_the_linters_public_core() -> None:
    reached = {
        name
        for names in _graph("otel_testing").values()
        for name in names
        if name.startswith("otel_lint")
    }
    assert all(name.startswith(PLUGIN_MAY_IMPORT) for name in reached), sorted(reached)


def test_architecture_names_only_what_exists() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:otel_lint|otel_testing)/[\w/]*(?:\.py)?)`", text))
    assert len(named) >= 10, "ARCHITECTURE.md should name the packages it describes"
    missing = sorted(path for path in named if not (SRC / path).exists())
    assert missing == []


def test_architecture_describes_every_package_of_the_linter() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    packages = {
        f"otel_lint/{path.parent.relative_to(SRC / 'otel_lint').as_posix()}/"
        for path in (SRC / "otel_lint").rglob("__init__.py")
        if path.parent != SRC / "otel_lint"
    }
    assert sorted(p for p in packages if f"`{p}`" not in text) == []
