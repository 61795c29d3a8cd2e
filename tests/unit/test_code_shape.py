"""The code keeps the shape that tells a newcomer what deploys, read from the real files with `ast`: the product
(functions/, infra/, frontend/) never imports the tools (tools/), the stack model (stack_model/) imports nothing of the
project and is the only code that indexes a template's resources, and no import loop joins the top-level folders.
Sizes are left to review: a module that reads well whole is not split to meet a number."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Final

REPO = Path(__file__).resolve().parents[2]
PACKAGES: Final = sorted(path.parent.name for path in REPO.glob("*/__init__.py"))
PRODUCT: Final = ("functions", "infra", "frontend")
"""What deploys: the Lambdas, the CDK app, the site it builds."""


def _sources(folder: str) -> Iterator[Path]:
    for path in sorted((REPO / folder).rglob("*.py")):
        if "__pycache__" not in path.parts:
            yield path


def _imported_modules(path: Path) -> set[str]:
    """The top-level names of every module a file imports, anywhere in it (function-level imports too)."""
    imported = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            imported.add(node.module.split(".")[0])
    return imported


def _imported_packages(path: Path) -> set[str]:
    """The project's top-level packages a module imports."""
    return _imported_modules(path) & set(PACKAGES)


def _folder_graph() -> dict[str, set[str]]:
    return {
        package: {imported for path in _sources(package) for imported in _imported_packages(path)} - {package}
        for package in PACKAGES
    }


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import loop between folders, as a path that ends where it starts, or None."""
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in visiting:
            return [*visiting[visiting.index(node) :], node]
        if node in done:
            return None
        visiting.append(node)
        for target in sorted(graph[node]):
            if found := visit(target):
                return found
        visiting.pop()
        done.add(node)
        return None

    return next((found for node in sorted(graph) if (found := visit(node))), None)


def _tree(path: Path) -> ast.AST:
    return ast.parse(path.read_text(), str(path))


def test_the_folders_import_each_other_without_a_loop() -> None:
    graph = _folder_graph()
    assert _cycle(graph) is None, f"import loop between folders: {' → '.join(_cycle(graph) or [])}"
    assert "infra" in graph["tests"]  # the graph is read from the real files


def test_what_deploys_never_imports_the_tools() -> None:
    graph = _folder_graph()
    assert {folder: graph[folder] & {"tools", "tests"} for folder in PRODUCT} == {folder: set() for folder in PRODUCT}
    assert "infra" not in graph["functions"]  # a Lambda's asset holds functions/ only


def test_the_stack_model_imports_nothing_of_the_project() -> None:
    assert _folder_graph()["stack_model"] == set()


def test_only_the_stack_model_indexes_a_templates_resources() -> None:
    indexing = sorted(
        path.relative_to(REPO).as_posix()
        for folder in PACKAGES
        if folder != "tests"
        for path in _sources(folder)
        if any(
            isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and node.slice.value == "Resources"
            for node in ast.walk(_tree(path))
        )
    )
    assert [path for path in indexing if not path.startswith("stack_model/")] == []


def test_the_cdk_app_starts_no_process_and_reads_no_emulator() -> None:
    # infra/ is what `cdk synth` runs: it never starts a process, never touches moto, never reads a synthesized template
    imports = {
        path.relative_to(REPO).as_posix(): _imported_modules(path) & {"subprocess", "moto", "stack_model"}
        for path in _sources("infra")
    }
    assert {path: found for path, found in imports.items() if found} == {}


def test_the_cycle_finder_finds_a_loop() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_only_the_outbox_the_table_snapshots_and_the_emulator_read_moto_internals() -> None:
    # NOTE: no public interface lists sent mail without stalling the emulator (tools/local/ses.py says why), nor
    # reads every table's items without a Scan that holds it for a second at 3,000 items (tools/local/state.py), nor
    # exempts the system's own requests from IAM enforcement (tools/local/emulator.py, enforce_iam)
    def internal(node: ast.ImportFrom) -> bool:
        module = node.module or ""
        if module == "moto":
            return any(alias.name != "mock_aws" for alias in node.names)
        return module.startswith("moto.") and not module.startswith("moto.moto_server")

    importers = [
        path.relative_to(REPO).as_posix()
        for folder in ("tools", "stack_model")
        for path in _sources(folder)
        if any(internal(node) for node in ast.walk(_tree(path)) if isinstance(node, ast.ImportFrom))
    ]
    assert sorted(importers) == ["tools/local/emulator.py", "tools/local/ses.py", "tools/local/state.py"]
