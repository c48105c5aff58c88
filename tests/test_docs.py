"""The README stays a short front door (issue 15): at most 15,000 characters, the two commands it names exist,
and every link from it (and between the pages of docs/) reaches a file and, with a #fragment, a heading there."""

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = ROOT / "docs"
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"```.*?```", re.S)


def _links(page: Path) -> list[str]:
    return LINK.findall(FENCE.sub("", page.read_text(encoding="utf-8")))


def _anchors(page: Path) -> set[str]:
    """The fragments GitHub gives a page's headings: lower case, punctuation dropped, spaces to hyphens."""
    found: set[str] = set()
    for line in FENCE.sub("", page.read_text(encoding="utf-8")).splitlines():
        heading = re.match(r"#{1,6}\s+(.*)", line)
        if not heading:
            continue
        text = heading.group(1).strip().lower()
        slug = "".join(ch for ch in text if ch.isalnum() or ch in " -_").replace(" ", "-")
        candidate, n = slug, 0
        while candidate in found:
            n += 1
            candidate = f"{slug}-{n}"
        found.add(candidate)
    return found


def _broken_links(page: Path) -> list[str]:
    broken = []
    for target in _links(page):
        if re.match(r"[a-z]+:", target):  # http(s), mailto: not ours to check here
            continue
        path, _hash, fragment = target.partition("#")
        destination = (page.parent / path).resolve() if path else page
        if not destination.exists():
            broken.append(f"{page.name}: {target} (no such file)")
        elif fragment and destination.suffix == ".md" and fragment not in _anchors(destination):
            broken.append(f"{page.name}: {target} (no such heading)")
    return broken


def test_readme_is_at_most_15000_characters():
    length = len(README.read_text(encoding="utf-8"))
    assert length <= 15_000, f"README.md has {length} characters: move detail into docs/"


def test_the_two_commands_of_the_readme_exist_and_are_executable():
    text = README.read_text(encoding="utf-8")
    block = re.search(r"## Two commands.*?```sh\n(.*?)```", text, re.S)
    assert block, "README.md has no '## Two commands' section with a sh block"
    commands = [line.split()[0] for line in block.group(1).splitlines() if line.strip()]
    assert commands == ["bin/run", "bin/test"]
    for command in commands:
        assert (ROOT / command).is_file(), command
        assert os.access(ROOT / command, os.X_OK), f"{command} is not executable"


def test_the_readme_links_into_docs_and_every_link_resolves():
    docs_links = [target for target in _links(README) if target.startswith("docs/")]
    assert any(target.startswith("docs/operations.md") for target in docs_links)
    assert _broken_links(README) == []


def test_links_between_the_docs_pages_resolve():
    pages = sorted(DOCS.glob("*.md"))
    assert pages, "docs/ has no pages"
    assert [broken for page in pages for broken in _broken_links(page)] == []


def test_every_environment_variable_the_settings_read_is_documented_in_operations():
    settings_source = (ROOT / "helpdesk" / "settings.py").read_text(encoding="utf-8")
    read = set(re.findall(r"env_(?:str|bool|int|list|url)\(\s*\"([A-Z0-9_]+)\"", settings_source))
    assert "EMAIL_USE_TLS" in read
    operations = (DOCS / "operations.md").read_text(encoding="utf-8")
    assert sorted(name for name in read if f"`{name}`" not in operations) == []
