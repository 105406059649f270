"""The page's scripts (static/js) import one way: no module imports, however indirectly, a module
that imports it back."""

import re
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[1] / "static" / "js"
# `import ... from "./x.js"` (over several lines too), `import "./x.js"` and `export ... from "./x.js"`.
IMPORT = re.compile(r"""^(?:import\s[^;]*?\bfrom\s*|import\s*|export\s*[*{][^;]*?\bfrom\s*)["'](\.[^"']+)["']""", re.M)


def import_graph() -> dict[Path, list[Path]]:
    return {
        script: [(script.parent / name).resolve() for name in IMPORT.findall(script.read_text())]
        for script in sorted(SCRIPTS.rglob("*.js"))
    }


def first_cycle(graph: dict[Path, list[Path]]) -> list[Path]:
    """The modules of one import cycle, the first one again at the end; [] when there is none."""
    done: set[Path] = set()
    path: list[Path] = []

    def visit(module: Path) -> list[Path]:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return []
        path.append(module)
        for imported in graph.get(module, []):
            if cycle := visit(imported):
                return cycle
        path.pop()
        done.add(module)
        return []

    for module in graph:
        if cycle := visit(module):
            return cycle
    return []


def test_no_script_imports_a_module_that_imports_it_back():
    cycle = first_cycle(import_graph())
    assert not cycle, "import cycle: " + " -> ".join(str(module.relative_to(SCRIPTS)) for module in cycle)


def test_the_check_reads_every_import_of_the_chat_page_including_one_over_several_lines():
    imported = {module.relative_to(SCRIPTS).as_posix() for module in import_graph()[SCRIPTS / "chat.js"]}
    assert {"chat/live.js", "chat/session.js", "chat/page.js"} <= imported


def test_the_check_finds_a_cycle_through_several_modules():
    a, b, c = Path("a.js"), Path("b.js"), Path("c.js")
    assert first_cycle({a: [b], b: [c], c: [a]}) == [a, b, c, a]
    assert first_cycle({a: [b, c], b: [c], c: []}) == []
