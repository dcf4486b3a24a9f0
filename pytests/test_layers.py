"""The house has a floor, wings and a roof, and imports only go down.

``core`` (contract, home, config, SQL quoting, warehouse connections, the audit tables) is the
floor; ``ingest``, ``quality``, ``alerts``, ``generator``, ``dashboards`` and ``reports`` are
wings that stand on it; ``kpiwatch`` (the command line, run, build, schedule) is the roof that
calls the wings. A core module that imports a wing, or a wing that imports another wing or
the roof, ties together what should change apart: this test reads every import (``ast``, no
module is executed) and names each edge that goes up or sideways.
"""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CORE = "core"
ROOF = "kpiwatch"
WINGS = ("ingest", "quality", "alerts", "generator", "dashboards", "reports")
SHARE = " (move what both need into core)"
LAYER = {CORE: 0, **dict.fromkeys(WINGS, 1), ROOF: 2}


@dataclass(frozen=True)
class Edge:
    """``where`` (a file and line) imports ``module``: from package ``importer`` to ``imported``."""

    where: str
    importer: str
    imported: str
    module: str


def imports(path: Path, root: Path) -> list[Edge]:
    """Every absolute import in one file (at any depth: inside functions and
    ``TYPE_CHECKING`` blocks too), as an edge between top-level packages of the house."""
    importer = path.relative_to(root).parts[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    edges = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        else:
            continue  # a relative import stays inside its own package
        for module in modules:
            top = module.split(".")[0]
            if top in LAYER and top != importer:
                where = f"{path.relative_to(root)}:{node.lineno}"
                edges.append(Edge(where, importer, top, module))
    return edges


def edges(root: Path) -> list[Edge]:
    """The import edges between the house's packages under ``root``."""
    found = []
    for package in LAYER:
        for path in sorted((root / package).rglob("*.py")):
            found += imports(path, root)
    return found


def wrong(edge: Edge) -> str | None:
    """Why an edge breaks the layering, or None when it goes down."""
    low, high = LAYER[edge.importer], LAYER[edge.imported]
    if edge.importer == CORE:
        return f"core imports its user {edge.imported}"
    if high > low:
        return f"the wing {edge.importer} imports the roof {edge.imported}"
    if high == low:
        return f"the wing {edge.importer} imports the wing {edge.imported}{SHARE}"
    return None


def violations(root: Path) -> list[str]:
    """One line per wrong edge: file and line, the import, and why it is wrong."""
    return [
        f"{edge.where}: {edge.module}: {why}"
        for edge in edges(root)
        if (why := wrong(edge)) is not None
    ]


def test_every_package_is_placed_in_a_layer() -> None:
    """A package added to the wheel but to no layer would go unchecked."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = set(project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"])
    assert shipped == set(LAYER), f"packages in no layer: {sorted(shipped - set(LAYER))}"


def test_imports_only_go_down() -> None:
    found = edges(ROOT)
    # the scan sees the house: wings do stand on core and the roof does call the wings
    assert any(e.importer == "quality" and e.imported == CORE for e in found)
    assert any(e.importer == ROOF and e.imported == "ingest" for e in found)
    wrong_edges = violations(ROOT)
    assert not wrong_edges, "imports that go up or sideways:\n" + "\n".join(wrong_edges)


PLANTED = [
    pytest.param(
        "core/contract.py",
        "def sources():\n    from ingest.loader import ingest\n",
        "core/contract.py:2: ingest.loader: core imports its user ingest",
        id="core-imports-a-wing-inside-a-function",
    ),
    pytest.param(
        "core/home.py",
        "import kpiwatch.cli\n",
        "core/home.py:1: kpiwatch.cli: core imports its user kpiwatch",
        id="core-imports-the-roof",
    ),
    pytest.param(
        "quality/freshness.py",
        "from alerts.outbox import pending\n",
        "quality/freshness.py:1: alerts.outbox: the wing quality imports the wing alerts" + SHARE,
        id="wing-imports-a-wing",
    ),
    pytest.param(
        "dashboards/views/overview.py",
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from reports import pdf\n",
        "dashboards/views/overview.py:3: reports: the wing dashboards imports the wing reports"
        + SHARE,
        id="wing-imports-a-wing-for-types-only",
    ),
    pytest.param(
        "ingest/loader.py",
        "from kpiwatch.pipeline import run\n",
        "ingest/loader.py:1: kpiwatch.pipeline: the wing ingest imports the roof kpiwatch",
        id="wing-imports-the-roof",
    ),
]


@pytest.mark.parametrize(("path", "source", "expected"), PLANTED)
def test_a_planted_edge_is_named(tmp_path: Path, path: str, source: str, expected: str) -> None:
    """Each kind of wrong edge, planted in a small copy of the house, fails with a message
    naming the file, the line, the import and the rule it breaks."""
    allowed = {
        "ingest/store.py": "from core.contract import SOURCES\n",
        "kpiwatch/cli.py": "from ingest.loader import ingest\nfrom reports import produce\n",
    }  # downward edges beside the planted one: only the planted one is named
    for name, text in {**allowed, path: source}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert violations(tmp_path) == [expected]


def test_downward_edges_pass(tmp_path: Path) -> None:
    """Wings on core and the roof on wings and core are the house as designed."""
    tree = {
        "core/sql.py": "import duckdb\n",
        "quality/volume.py": "from core.sql import quote\n",
        "reports/produce.py": "import core.readers\nfrom . import pdf\n",
        "kpiwatch/cli.py": "from alerts import raise_alerts\nfrom core.home import Home\n",
    }
    for name, text in tree.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert len(edges(tmp_path)) == 4
    assert violations(tmp_path) == []


def test_the_national_code_is_one_value() -> None:
    """The nation's province_code is core.contract's constant; dbt gets the same value as a
    var (SQL cannot import Python), and no Python module spells it out a second time."""
    from core.contract import NATIONAL_CODE

    project = yaml.safe_load((ROOT / "dbt_project.yml").read_text(encoding="utf-8"))
    assert project["vars"]["national_code"] == NATIONAL_CODE
    spelt = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for package in LAYER
        for path in sorted((ROOT / package).rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and node.value == NATIONAL_CODE
    ]
    assert len(spelt) == 1, f"the national code written out more than once: {spelt}"
    assert spelt[0].startswith("core/contract.py:")
