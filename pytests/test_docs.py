"""The docs cannot rot: every query in docs/analysts.md runs and returns rows, every link
in the README and docs/ resolves inside the repository, and nothing cites a file a clone
does not have."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from national_month import national_month

import kpiwatch
from core.home import PROJECT_DIR, Home

GUIDE = PROJECT_DIR / "docs" / "analysts.md"
QUERIES = re.findall(r"```sql\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)
SHORT_HISTORY = {"having count(*) >= 3": "having count(*) >= 1"}
"""A month of data cannot hold a three-month streak: that query is also run as a one-month one."""


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> Home:
    """A full month with incidents planted, for every province: test_warehouse's national
    October (``national_month``), built once per run and only read here."""
    return national_month(tmp_path_factory)


def test_the_guide_has_its_ten_questions() -> None:
    assert len(re.findall(r"^\*\*\d+\. ", GUIDE.read_text(encoding="utf-8"), re.M)) == 10
    assert len(QUERIES) >= 10


@pytest.mark.parametrize("number", range(len(QUERIES)))
def test_every_query_runs_and_returns_rows(month: Home, number: int) -> None:
    query = QUERIES[number]
    with kpiwatch.connect(month.root) as con:
        rows = con.execute(query).fetchall()
        for original, short in SHORT_HISTORY.items():
            if original in query:
                rows = con.execute(query.replace(original, short)).fetchall()
    assert rows, query


# The repository explains itself: its docs, and nothing it cites lives outside it.

README = PROJECT_DIR / "README.md"
PAGES = [README, *sorted((PROJECT_DIR / "docs").glob("*.md"))]
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
SKIPPED_DIRS = {".git", ".venv", ".tools", "data", "target", "logs", "dbt_packages", "node_modules"}
SCANNED = {".py", ".md", ".sql", ".yml", ".yaml", ".toml", ".csv", ".cfg", ".txt", ""}
OUTSIDE = ("../" + "shared", "/work/" + "shared", "STANDARD" + ".md", "SOURCES" + ".md")
"""How the spec's files, which a user's clone does not have, used to be cited (split so that
this file does not cite them itself)."""


def anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens."""
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    headings = re.findall(r"^#{1,6}\s+(.*?)\s*$", text, re.M)
    return {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}


def links(page: Path) -> list[str]:
    return LINK.findall(FENCE.sub("", page.read_text(encoding="utf-8")))


def test_the_readme_is_a_front_door() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 150
    assert "make demo" in text and "make test" in text
    assert "http://localhost:8501" in text
    for need in ("/usr/bin/chromium", "fonts-noto-cjk", "Java 17"):
        assert need in text, need


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_resolves_inside_the_repository(page: Path) -> None:
    broken = []
    for target in links(page):
        if re.match(r"[a-z]+:", target):
            continue  # http(s), mailto: outside links are allowed, not followed
        path, _, anchor = target.partition("#")
        resolved = (page.parent / path).resolve() if path else page
        inside = PROJECT_DIR.resolve() in (resolved, *resolved.parents) and resolved.exists()
        anchored = not anchor or resolved.suffix != ".md" or anchor in anchors(resolved)
        if not (inside and anchored):
            broken.append(target)
    assert broken == []


def test_readme_reaches_every_doc() -> None:
    linked = {(README.parent / t.partition("#")[0]).resolve() for t in links(README)}
    assert [p.name for p in PAGES[1:] if p.resolve() not in linked] == []


def test_nothing_cites_files_outside_the_repository() -> None:
    citing = []
    for path in PROJECT_DIR.rglob("*"):
        parts = set(path.relative_to(PROJECT_DIR).parts)
        if parts & SKIPPED_DIRS or not path.is_file() or path.suffix not in SCANNED:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        citing += [f"{path.relative_to(PROJECT_DIR)}: {o}" for o in OUTSIDE if o in text]
    assert citing == []
