"""Dependencies point one way: projects_app ← sessions_app ← migration_app, and `config/`
is assembled from the apps, never imported by them (Django settings come from
`django.conf.settings`). Every import statement of every module is read with `ast`,
including imports inside functions."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("projects_app", "sessions_app", "migration_app")
# What each app must not import (top-level packages).
FORBIDDEN = {
    "projects_app": ("config", "sessions_app", "migration_app"),
    "sessions_app": ("config", "migration_app"),
    "migration_app": ("config",),
}


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file; relative ones resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path, root).split(".")
    if path.name != "__init__.py":
        package.pop()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.append((node.lineno, module))
    return sorted(found)


def violations(app: str, root: Path = ROOT) -> list[str]:
    forbidden = FORBIDDEN[app]
    found = []
    for path in sorted((root / app).rglob("*.py")):
        for line, module in imported_modules(path, root):
            if module.split(".")[0] in forbidden:
                found.append(f"{path.relative_to(root)}:{line} imports {module}")
    return found


def test_the_checker_finds_every_kind_of_import(tmp_path):
    package = tmp_path / "projects_app" / "sub"
    package.mkdir(parents=True)
    (tmp_path / "projects_app" / "__init__.py").write_text("")
    (package / "__init__.py").write_text("from . import mod\nfrom .mod import later\n")
    (package / "mod.py").write_text(
        "from django.conf import settings\n"
        "import config.api\n"
        "from migration_app.services import journal\n"
        "def later():\n"
        "    from config import bound_cursor\n"
        "    import sessions_app.selectors as selectors\n"
    )
    assert violations("projects_app", root=tmp_path) == [
        "projects_app/sub/mod.py:2 imports config.api",
        "projects_app/sub/mod.py:3 imports migration_app.services",
        "projects_app/sub/mod.py:5 imports config",
        "projects_app/sub/mod.py:6 imports sessions_app.selectors",
    ]
    assert {module for _, module in imported_modules(package / "__init__.py", tmp_path)} == {
        "projects_app.sub",
        "projects_app.sub.mod",
    }


@pytest.mark.parametrize("app", APPS)
def test_the_app_imports_only_what_it_may(app):
    assert violations(app) == [], (
        f"{app} may not import {', '.join(FORBIDDEN[app])} "
        "(projects_app ← sessions_app ← migration_app; config is never imported by an app)"
    )
