"""docs/architecture.md names every module of the house: a module it does not name is a module no
newcomer will find."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("chatproject", "accounts", "conversation", "sharing", "imports", "account_data")
DOC = ROOT / "docs" / "architecture.md"


def section(doc: str, heading: str) -> str:
    """The text under the `### heading...` title, up to the next title."""
    start = doc.index(f"\n### {heading}")
    end = doc.find("\n#", start + 1)
    return doc[start : end if end != -1 else len(doc)]


def unnamed_modules(doc: str) -> list[str]:
    """Each module (app-relative path, e.g. `sessions/lifecycle.py`) its app's section of the page
    does not name; packages' __init__, apps.py and migrations are the framework's, not the house's."""
    missing = []
    for app in APPS:
        text = section(doc, app)
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT / app)
            if path.name in ("__init__.py", "apps.py") or "migrations" in relative.parts:
                continue
            if f"`{relative}`" not in text:
                missing.append(f"{app}/{relative}")
    scripts = section(doc, "The pages' scripts")
    for path in sorted((ROOT / "static" / "js").rglob("*.js")):
        if f"`{path.relative_to(ROOT / 'static' / 'js')}`" not in scripts:
            missing.append(str(path.relative_to(ROOT)))
    return missing


def test_the_architecture_page_names_every_module():
    assert unnamed_modules(DOC.read_text()) == []


def test_a_module_left_out_of_the_page_is_found():
    doc = DOC.read_text().replace("`sessions/lifecycle.py`", "the lifecycle")
    assert unnamed_modules(doc) == ["conversation/sessions/lifecycle.py"]
