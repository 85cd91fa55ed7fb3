"""Every ```python block of docs/*.md runs, in order, against the sample district: in a fresh
project made by ``commeval init --sample`` (the working directory), the blocks of one page
sharing a namespace as a reader's notebook would. A block preceded by the line
``<!-- docs-example: skip (reason) -->`` is not run (it needs software commeval does not
install, e.g. Apache Airflow); the test lists those and their reasons."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from commeval.cli import main

ROOT = Path(__file__).resolve().parents[1]
DOCS = sorted((ROOT / "docs").glob("*.md"))
BLOCK = re.compile(
    r"(<!-- docs-example: skip \((?P<why>[^)]+)\) -->\n)?```python\n(?P<code>.*?)```", re.S
)
#: Blocks allowed not to run, by page: they need what commeval does not install.
SKIPPED = {"scheduling.md": ["needs Apache Airflow"]}


def blocks(page: Path) -> list[tuple[str, str | None]]:
    return [(m["code"], m["why"]) for m in BLOCK.finditer(page.read_text(encoding="utf-8"))]


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("docs") / "demo"
    assert main(["init", str(root), "--sample"]) == 0
    return root


def test_every_page_with_python_is_tested():
    with_code = {p.name for p in DOCS if blocks(p)}
    assert {"survey.md", "framework.md", "data.md", "ingestion.md", "projects.md"} <= with_code
    skipped = {p.name: [why for _, why in blocks(p) if why] for p in DOCS}
    assert {k: v for k, v in skipped.items() if v} == SKIPPED


@pytest.mark.parametrize("page", [p for p in DOCS if blocks(p)], ids=lambda p: p.name)
def test_the_examples_run(page, project, monkeypatch):
    monkeypatch.chdir(project)
    namespace: dict = {"__name__": "__docs__"}
    for i, (code, why) in enumerate(blocks(page)):
        if why:
            continue
        exec(compile(code, f"{page.name}[block {i + 1}]", "exec"), namespace)  # noqa: S102


def test_survey_and_framework_start_from_load_tables():
    for name in ("survey.md", "framework.md"):
        first = blocks(ROOT / "docs" / name)[0][0]
        assert "commeval.load_tables(" in first, name
    for page in DOCS:  # columns that never existed
        for code, _ in blocks(page):
            assert not re.search(r'"(sat_env|q5)"', code), page.name
