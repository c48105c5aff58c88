"""House rules a new engineer can rely on (issue 15): no module over 800 lines, no public function with more than
10 parameters. Read from the source, so a change that breaks a rule fails here with the module and function named.
An exception is listed by name with its reason; it is not a place to park work."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 800
MAX_PARAMETERS = 10

# Data, not logic: long by nature, read top to bottom, no function in them grows.
# Test builders that spell a test's few flat values into the nested frozen requests (tickets.requests): their
# keyword parameters mirror the requests' fields, each optional; product code builds the requests itself.
MANY_PARAMETER_BUILDERS = {
    "tests/ticket_requests.py:new_ticket": "every field of NewTicket and its parts, by keyword, all optional",
    "tests/ticket_requests.py:new_entry": "every field of NewEntry and its parts, by keyword, all optional",
}

LONG_DATA_MODULES = {
    "demo/data.py": "the demo's regional offices, unit names, staff and about forty sample conversations",
}


def project_modules() -> list[Path]:
    skipped = {".venv", "node_modules", "migrations", "__pycache__", "static", "templates", "locale"}
    return sorted(
        path
        for path in ROOT.rglob("*.py")
        if not skipped.intersection(path.relative_to(ROOT).parts) and not path.name.startswith(".")
    )


def name_of(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def parameter_count(function: ast.FunctionDef | ast.AsyncFunctionDef, *, method: bool) -> int:
    """Every parameter a caller can pass: positional, keyword-only, and *args / **kwargs as one each."""
    arguments = function.args
    names = [arg.arg for arg in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]]
    if method and names and names[0] in ("self", "cls"):
        names = names[1:]
    return len(names) + (arguments.vararg is not None) + (arguments.kwarg is not None)


def public_functions(tree: ast.Module):
    """(qualified name, node, is a method) of module-level functions and methods of module-level classes whose
    name has no leading underscore (a constructor counts: its parameters are the class's interface)."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not node.name.startswith("_"):
            yield node.name, node, False
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if not isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    continue
                if not item.name.startswith("_") or item.name == "__init__":
                    yield f"{node.name}.{item.name}", item, True


def test_the_scan_sees_the_project():
    names = {name_of(path) for path in project_modules()}
    assert {"tickets/actions.py", "helpdesk/polish.py", "tests/test_house_rules.py"} <= names
    assert not any(name.startswith(".venv/") or "/migrations/" in name for name in names)


def test_no_module_is_over_800_lines():
    too_long = {}
    for path in project_modules():
        name = name_of(path)
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES and name not in LONG_DATA_MODULES:
            too_long[name] = lines
    assert too_long == {}, f"split these modules (at most {MAX_LINES} lines): {too_long}"


def test_the_listed_exceptions_still_need_to_be_listed():
    """An exception that no longer applies is taken off the list, so the list says what is true."""
    for name in LONG_DATA_MODULES:
        path = ROOT / name
        assert path.exists(), f"{name} is listed as an exception but does not exist"
        assert len(path.read_text(encoding="utf-8").splitlines()) > MAX_LINES, f"{name} is short now: unlist it"


def test_no_public_function_takes_more_than_10_parameters():
    too_many = {}
    for path in project_modules():
        name = name_of(path)
        for qualified, function, method in public_functions(ast.parse(path.read_text(encoding="utf-8"))):
            count = parameter_count(function, method=method)
            if count > MAX_PARAMETERS and f"{name}:{qualified}" not in MANY_PARAMETER_BUILDERS:
                too_many[f"{name}:{qualified}"] = count
    assert too_many == {}, f"take a frozen dataclass instead of these parameter lists: {too_many}"


def test_the_parameter_count_reads_every_kind_of_parameter():
    source = "class A:\n    def m(self, a, /, b, *args, c, **kwargs): ...\ndef f(a, b=1, *, c): ...\ndef _g(*a): ..."
    found = {name: parameter_count(node, method=method) for name, node, method in public_functions(ast.parse(source))}
    assert found == {"A.m": 5, "f": 3}
