"""The house of docs/architecture.md is enforced: the import-linter contracts hold, they fail
when a forbidden import is added, and the doc's layer table is the contract's."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / ".importlinter"
LINT = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter is not installed")


def lint(src: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT), "--no-cache", str(CONFIG)],
        cwd=src.parent,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def contract_layers() -> list[str]:
    cfg = configparser.ConfigParser()
    cfg.read(CONFIG, encoding="utf-8")
    return [ln.strip() for ln in cfg["importlinter:contract:layers"]["layers"].splitlines() if ln]


def test_the_contracts_hold():
    out = lint(ROOT / "src")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


@pytest.mark.parametrize(
    "module, line, broken",
    [
        ("survey/design.py", "import commeval.report.render", "Layers"),
        ("index/evaluation.py", "import commeval.district", "Layers"),
        ("data/contract.py", "from commeval.survey import SurveyDesign", "Layers"),
        ("survey/likert.py", "import matplotlib", "Engines"),
        ("pipeline/plan.py", "import commeval.report.render", "The pipeline orchestrates"),
        ("renderers/html.py", "import commeval.report.compose", "Renderers read documents"),
        ("report/compose.py", "import commeval.renderers.html", "Composition is content"),
    ],
)
def test_a_forbidden_import_breaks_the_contract(tmp_path, module, line, broken):
    src = tmp_path / "src"
    shutil.copytree(
        ROOT / "src" / "commeval", src / "commeval", ignore=shutil.ignore_patterns("__pycache__")
    )
    target = src / "commeval" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    out = lint(src)
    assert out.returncode != 0
    text = " ".join(out.stdout.split())  # contract names wrap on narrow terminals
    assert re.search(rf"{broken}(?:(?!KEPT|BROKEN).)*BROKEN", text), out.stdout


def test_the_doc_lists_the_contract_layers_in_order():
    """docs/architecture.md's layer table names each layer of the contract, top to bottom."""
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    table = doc.split("## Layers", 1)[1].split("\n## ", 1)[0]
    rows = [ln for ln in table.splitlines() if ln.startswith("| `commeval")]
    names = [re.findall(r"`(commeval[\w.]*)`", r.split("|")[1]) for r in rows]
    expected = [[m.strip() for m in layer.split("|")] for layer in contract_layers()]
    assert names == expected
