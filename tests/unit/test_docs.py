"""The documentation as GitHub shows it: a landing README that stays short, and no relative link to nowhere.

`make docs` (mkdocs --strict) checks the built site; these run without mkdocs.
"""

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from tools import docs_tables

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
PAGES = [README, *sorted((REPO / "docs").rglob("*.md"))]
README_LIMIT = 12 * 1024  # bytes
# Fenced blocks and code spans show link syntax without linking.
CODE = re.compile(r"^[ \t]*(```|~~~).*?^[ \t]*\1", re.MULTILINE | re.DOTALL)
SPAN = re.compile(r"(`+).+?\1", re.DOTALL)
# [text](target "title") and ![alt](target); the text may hold one level of brackets.
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)  # https:, mailto:, ...


def relative_links(markdown: str) -> list[str]:
    text = SPAN.sub("", CODE.sub("", markdown))
    return [target for target in LINK.findall(text) if not EXTERNAL.match(target) and not target.startswith("#")]


def test_the_readme_stays_within_12_kb():
    size = len(README.read_bytes())
    assert size <= README_LIMIT, f"README.md is {size} bytes; move detail into docs/ (limit {README_LIMIT})"


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(REPO)) for p in PAGES])
def test_every_relative_link_points_to_a_file_that_exists(page: Path):
    missing = [
        target
        for target in relative_links(page.read_text())
        if not (page.parent / unquote(target.split("#", 1)[0].split("?", 1)[0])).exists()
    ]
    assert not missing, f"{page.relative_to(REPO)} links to files that do not exist: {missing}"


def test_the_link_check_sees_links_and_skips_code():
    """The checker itself: a link is found in text and images, never in code, and outside links are left."""
    sample = "[a](guide/a.md#part) ![b](b.png) [c](https://example.org) [d](#top) `[e](e.md)`\n```\n[f](f.md)\n```\n"
    assert relative_links(sample) == ["guide/a.md#part", "b.png"]


def test_the_generated_tables_say_what_the_code_says(capsys):
    """Configuration keys, entities, controls, command events and reason codes come from the code, never by hand."""
    assert docs_tables.main(["--check"]) == 0, capsys.readouterr().out
