"""The shape of the code: no import cycle, one place that chooses run-now or background,
services that never reach for the task queue, modules small enough to hold in one's head."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("config", "projects_app", "sessions_app", "migration_app", "bench")
MAX_LINES = 450


def python_files(*roots: str):
    for root in roots:
        for path in sorted((ROOT / root).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The project modules `path` imports at module level (function-level imports, made
    lazily on purpose, are not edges of the import graph)."""
    found = set()
    for node in ast.parse(path.read_text()).body:
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        for name in names:
            if name in modules:
                found.add(name)
    return found


def test_no_module_imports_itself_back():
    paths = list(python_files(*PACKAGES))
    modules = {module_name(path): path for path in paths}
    graph = {name: imports_of(path, set(modules)) - {name} for name, path in modules.items()}
    cycles = []

    def visit(node, stack, on_stack, done):
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target in on_stack:
                cycles.append(stack[stack.index(target) :] + [target])
            elif target not in done:
                visit(target, stack, on_stack, done)
        on_stack.discard(stack.pop())
        done.add(node)

    done: set[str] = set()
    for name in sorted(graph):
        if name not in done:
            visit(name, [], set(), done)
    # A package's __init__ re-exporting its own modules is not a cycle worth a name.
    real = [c for c in cycles if not all(m.startswith(c[0] + ".") or m == c[0] for m in c[1:])]
    assert real == []


def test_only_the_dispatch_queues_work_or_reads_the_sync_limit():
    queueing, limit = [], []
    for path in python_files("projects_app", "sessions_app", "migration_app"):
        text = path.read_text()
        if ".enqueue" in text:
            queueing.append(module_name(path))
        if "SESSIONHUB_SYNC_ACTION_LIMIT" in text:
            limit.append(module_name(path))
    assert queueing == ["migration_app.dispatch"]
    assert set(limit) <= {"migration_app.dispatch", "migration_app.admin.migrate_to_project"}


def test_services_never_import_the_task_module():
    for path in python_files("projects_app", "sessions_app", "migration_app/services"):
        if "services" not in path.parts and path.name != "services.py":
            continue
        text = path.read_text()
        assert "migration_app.tasks" not in text and "import tasks" not in text, path


@pytest.mark.parametrize("root", ["config", "projects_app", "sessions_app", "migration_app",
                                  "bench", "tests"])  # fmt: skip
def test_no_module_is_longer_than_450_lines(root):
    long = {
        str(path.relative_to(ROOT)): n
        for path in python_files(root)
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}
