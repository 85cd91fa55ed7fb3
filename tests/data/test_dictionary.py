"""docs/data.md lists every contract field and its generated block is up to date."""

from __future__ import annotations

from pathlib import Path

from commeval.data import dictionary
from commeval.data.contract import contract

DOC = Path(__file__).resolve().parents[2] / "docs" / "data.md"


def test_data_md_is_up_to_date():
    assert dictionary.generated_block(DOC) == dictionary.render(), (
        "docs/data.md is stale: run .venv/bin/python -m commeval.data.dictionary docs/data.md"
    )


def test_data_md_lists_every_field():
    text = DOC.read_text(encoding="utf-8")
    for t in contract().tables.values():
        assert f"### `{t.name}`" in text
        for f in t.fields.values():
            assert f"| `{f.name}` | {f.label.replace('|', chr(92) + '|')} |" in text, f.name
