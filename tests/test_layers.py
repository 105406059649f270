"""Arrows only downward: each app imports only from the layers below it (docs/architecture.md), so
no two apps import each other, and the project's own infrastructure imports no app."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Lowest first. chatproject is the infrastructure every app stands on; its wiring (the URL tables,
# the ASGI entry point) is the one place that names the apps above it.
LAYERS = ("chatproject", "accounts", "conversation", "sharing", "imports", "account_data")
WIRING = {"chatproject/urls.py", "chatproject/asgi.py", "chatproject/api/urls.py"}


def imported_apps(path: Path) -> set[str]:
    """The apps of LAYERS a module imports, at the top or inside a function."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found |= {name.split(".")[0] for name in names} & set(LAYERS)
    return found


def upward_imports() -> list[str]:
    arrows = []
    for layer, app in enumerate(LAYERS):
        for path in sorted((ROOT / app).rglob("*.py")):
            name = str(path.relative_to(ROOT))
            if name in WIRING or "/migrations/" in name:
                continue
            above = {other for other in imported_apps(path) if LAYERS.index(other) > layer}
            arrows += [f"{name} -> {other}" for other in sorted(above)]
    return arrows


def test_no_app_imports_one_above_it():
    assert upward_imports() == []


def test_an_upward_import_is_found(tmp_path, monkeypatch):
    (tmp_path / "accounts").mkdir()
    (tmp_path / "accounts" / "services.py").write_text("def f():\n    from conversation import events\n")
    for app in LAYERS:
        (tmp_path / app).mkdir(exist_ok=True)
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    assert upward_imports() == ["accounts/services.py -> conversation"]
