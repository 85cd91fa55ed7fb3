"""Every ``commeval`` command a doc names exists: each command (and subcommand) named in
docs/*.md, README.md and the project README that ``commeval init`` writes answers ``--help``
with exit 0; ``commeval docs`` says where the docs are (issue 21, item 7)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from commeval import cli
from commeval.paths import docs_dir
from commeval.scaffold import readme

REPO = Path(__file__).resolve().parents[1]
SUBCOMMANDS = {"framework": ("import", "export")}


def named_commands() -> set[tuple[str, ...]]:
    """(command,) or (command, subcommand) for every `commeval X` in backticks and every
    ``commeval X`` line of a code block."""
    texts = [p.read_text("utf-8") for p in sorted((REPO / "docs").glob("*.md"))]
    texts += [(REPO / "README.md").read_text("utf-8"), readme("项目", "data/raw/x", False)]
    found: set[tuple[str, ...]] = set()
    for text in texts:
        hits = re.findall(r"`commeval ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?", text)
        for block in re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S):
            hits += re.findall(r"^\s*(?:\$ )?commeval ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?", block,
                               flags=re.M)  # fmt: skip
        for cmd, sub in hits:
            found.add((cmd, sub) if sub in SUBCOMMANDS.get(cmd, ()) else (cmd,))
    return found


def test_docs_name_the_commands_we_test():
    names = named_commands()
    assert {("reports",), ("templates",), ("framework", "import"), ("docs",)} <= names
    assert ("ingest",) not in names  # docs/data.md used to say `commeval ingest`


@pytest.mark.parametrize("command", sorted(named_commands()), ids=" ".join)
def test_every_documented_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main([*command, "--help"])
    assert exc.value.code == 0, (command, capsys.readouterr().err)
    assert "usage: commeval" in capsys.readouterr().out


def test_commeval_docs_prints_where_the_docs_are(capsys):
    assert cli.main(["docs"]) == 0
    out = capsys.readouterr().out
    folder = docs_dir()
    assert folder is not None and str(folder) in out and "framework.md" in out
    assert cli.main(["docs", "framework"]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path == folder / "framework.md" and "Formula language" in path.read_text("utf-8")
    assert cli.main(["docs", "nothing"]) == 2
    assert "没有文档 nothing" in capsys.readouterr().err


def test_project_readme_links_formulas_scorecards_and_framework_command():
    text = readme("项目", "data/raw/x", False)
    assert "Formula language" in text and "Scorecards" in text
    assert "commeval framework import" in text and "commeval docs" in text
    assert "commeval templates" in text
