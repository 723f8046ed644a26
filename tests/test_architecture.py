"""docs/ARCHITECTURE.md stays true as the code moves: its layers are the import contract's, it names every
package, and every module it points to exists."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
PACKAGE = ROOT / "src" / "dunops"


def test_the_documented_layers_are_the_enforced_import_contract() -> None:
    block = DOC.split("<!-- layers:", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    documented = [line.strip() for line in block.splitlines() if line.strip()]
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    layers = next(contract for contract in contracts if contract["type"] == "layers")
    assert documented == layers["layers"]
    assert "docs/ARCHITECTURE.md" in layers["name"]


def test_every_package_and_top_module_is_placed_in_a_layer() -> None:
    table = DOC.split("| layer | packages |", 1)[1].split("\n\n", 1)[0]
    placed = set(re.findall(r"`(\w+)`", table))
    present = {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").exists()}
    present |= {path.stem for path in PACKAGE.glob("*.py") if path.stem != "__init__"}
    assert present - placed == set(), "packages the document does not place in a layer"
    assert placed - present == set(), "packages the document names that no longer exist"


def test_every_module_the_document_points_to_exists() -> None:
    pointed = set(re.findall(r"`((?:\w+/)+\w+\.py)", DOC)) | set(re.findall(r"`(\w+\.py)`", DOC))
    pointed = {path for path in pointed if not path.startswith("tests/")}
    assert pointed, "the document points to modules"
    missing = sorted(path for path in pointed if not (PACKAGE / path).exists())
    assert missing == []
