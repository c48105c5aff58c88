"""Data migrations write to the database being migrated (`schema_editor.connection.alias`), never to the
default one: the knowledge-base comparison migrates a second database, and a seed that wrote to the default
one there re-created rows a later migration had removed (contacts 0005 and 0010, once)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def managers_used_without_a_database(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        # Model.objects.<method> where <method> is not using(): the default database
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "objects"
            and node.attr != "using"
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} {ast.unparse(node)}")
    return found


def test_every_data_migration_names_the_database_it_writes_to():
    migrations = [p for p in ROOT.glob("*/migrations/0*.py") if "RunPython" in p.read_text(encoding="utf-8")]
    assert migrations
    assert [line for path in sorted(migrations) for line in managers_used_without_a_database(path)] == []
