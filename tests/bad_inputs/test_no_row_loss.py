"""No silent row loss (不丢行): every data row of a raw file is kept, or reported with its Excel
row number and why; rows in = rows kept + rows reported, in the validation report and the
processed manifest. A property test damages real-shaped files at random."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commeval.data.checks import check_dataset
from commeval.data.ingest import ingest
from commeval.data.validate import run_validate


def _hashes(root: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.iterdir())}


def _copy(base: Path, dest: Path) -> Path:
    shutil.copytree(base, dest)
    return dest


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\r\n" if b"\r\n" in path.read_bytes() else b"\n")


def _data_rows(path: Path) -> int:
    return sum(1 for line in _lines(path)[1:] if line.strip())


def _write_lines(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"\n".join(lines))


def test_stray_trailing_commas_lose_no_row(base_raw: Path, tmp_path: Path):
    """Excel saved rows ending in empty cells (a cell beyond the table was touched): every row
    is kept, exit 0, the counts say so."""
    raw = _copy(base_raw, tmp_path / "raw")
    path = raw / "villages.csv"
    n = _data_rows(path)
    lines = _lines(path)
    lines[3] += b",,"
    lines[7] += b","
    _write_lines(path, lines)
    before = _hashes(raw)
    out = io.StringIO()
    assert run_validate(raw, tmp_path / "report", out=out) == 0, out.getvalue()
    assert f"读入 {n} 行，保留 {n} 行，未读入并已报告 0 行" in out.getvalue()
    html = (tmp_path / "report" / "validation_report.html").read_text(encoding="utf-8")
    assert "行数核对" in html
    res = ingest(raw, tmp_path / "processed")
    assert len(res.tables["villages"]) == n
    manifest = json.loads((tmp_path / "processed" / "manifest.json").read_text("utf-8"))
    assert manifest["rows"]["villages"] == {
        "file": "villages.csv", "rows_in": n, "rows_kept": n, "rows_reported": 0,
        "rows_written": n,
    }  # fmt: skip
    assert _hashes(raw) == before


def test_header_ending_in_empty_cells(base_raw: Path, tmp_path: Path):
    """Header and every row end in empty cells: still the whole table (not 只有表头)."""
    raw = _copy(base_raw, tmp_path / "raw")
    path = raw / "villages.csv"
    n = _data_rows(path)
    _write_lines(path, [line + b",," if line.strip() else line for line in _lines(path)])
    checked = check_dataset(raw)
    assert checked.ok, checked.problems.to_string()
    assert len(checked.tables["villages"]) == n
    assert not (checked.problems["rule"] == "no_data_rows").any()


def test_unnamed_column_with_data_is_kept_and_warned(base_raw: Path, tmp_path: Path):
    raw = _copy(base_raw, tmp_path / "raw")
    path = raw / "villages.csv"
    n = _data_rows(path)
    lines = _lines(path)
    lines[2] += ",备注".encode()
    _write_lines(path, lines)
    checked = check_dataset(raw)
    assert len(checked.tables["villages"]) == n
    assert (checked.problems["rule"] == "unmapped_column").any()


def test_short_row_is_reported_with_its_row(base_raw: Path, tmp_path: Path):
    raw = _copy(base_raw, tmp_path / "raw")
    path = raw / "villages.csv"
    n = _data_rows(path)
    lines = _lines(path)
    lines[4] = b",".join(lines[4].split(b",")[:5])
    _write_lines(path, lines)
    before = _hashes(raw)
    checked = check_dataset(raw)
    hit = checked.problems[checked.problems["rule"] == "ragged_row"]
    assert list(hit["row"]) == [5]
    assert checked.counts["villages"] == {
        "file": "villages.csv", "rows_in": n, "rows_kept": n - 1, "rows_reported": 1,
    }  # fmt: skip
    assert run_validate(raw, tmp_path / "report", out=io.StringIO()) == 2
    assert _hashes(raw) == before


def test_huge_free_text_cell_is_read(base_raw: Path, tmp_path: Path):
    """A free-text cell over the csv module's 128 K default limit: read, no traceback."""
    raw = _copy(base_raw, tmp_path / "raw")
    path = raw / "survey.csv"
    n = _data_rows(path)
    lines = _lines(path)
    cells = lines[1].decode("utf-8").split(",")
    cells[-5] = "建议" * 200_000  # 意见建议
    lines[1] = ",".join(cells).encode("utf-8")
    _write_lines(path, lines)
    checked = check_dataset(raw)
    assert checked.ok, checked.problems.head().to_string()
    assert len(checked.tables["survey"]) == n


# --- property: random damage never raises and never loses a row silently ---------------------

DAMAGE = st.lists(
    st.one_of(
        st.tuples(st.just("trailing_commas"), st.integers(0, 40), st.integers(1, 3)),
        st.tuples(st.just("blank_line"), st.integers(0, 40), st.just(0)),
        st.tuples(st.just("short_row"), st.integers(1, 40), st.integers(1, 10)),
        st.tuples(st.just("long_row"), st.integers(1, 40), st.integers(1, 3)),
        st.tuples(st.just("quote_cell"), st.integers(1, 40), st.integers(0, 5)),
        st.tuples(st.just("stray_quote"), st.integers(1, 40), st.just(0)),
        st.tuples(st.just("bom"), st.just(0), st.just(0)),
        st.tuples(st.just("crlf"), st.just(0), st.just(0)),
        st.tuples(st.just("truncate"), st.integers(1, 4000), st.just(0)),
    ),
    min_size=1,
    max_size=5,
)


def _damage(data: bytes, ops: list[tuple[str, int, int]]) -> tuple[bytes, bool]:
    """Apply the damage; also say whether the number of data rows is still known exactly."""
    exact, eol = True, b"\n"
    lines = data.split(b"\n")
    for op, i, k in ops:
        i = min(i, len(lines) - 1)
        if op == "trailing_commas":
            lines[i] += b"," * k
        elif op == "blank_line":
            lines.insert(max(i, 1), b"")
        elif op == "short_row" and i > 0 and lines[i].strip():
            lines[i] = b",".join(lines[i].split(b",")[:k])
        elif op == "long_row" and i > 0 and lines[i].strip(b", \r"):  # a row, not stray commas
            lines[i] += b",x" * k
        elif op == "quote_cell" and i > 0:
            cells = lines[i].split(b",")
            if k < len(cells) and b'"' not in cells[k]:
                cells[k] = b'"' + cells[k] + b'"'
            lines[i] = b",".join(cells)
        elif op == "stray_quote" and i > 0:
            lines[i] = lines[i][:3] + b'"' + lines[i][3:]
            exact = False  # a quote opened and never closed swallows the rows after it
        elif op == "bom" and not lines[0].startswith(b"\xef\xbb\xbf"):
            lines[0] = b"\xef\xbb\xbf" + lines[0]
        elif op == "crlf":
            eol = b"\r\n"
        elif op == "truncate":
            blob = b"\n".join(lines)
            lines = blob[: max(len(blob) - i, 1)].split(b"\n")
            exact = False
    return eol.join(lines), exact


@pytest.fixture(scope="module")
def damage_root(tmp_path_factory: pytest.TempPathFactory, base_raw: Path) -> Path:
    return tmp_path_factory.mktemp("damage")


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=DAMAGE, table=st.sampled_from(["villages", "survey"]))
def test_random_damage_never_raises_and_loses_no_row(base_raw, damage_root, ops, table):
    raw = damage_root / "raw"
    if raw.exists():
        shutil.rmtree(raw)
    _copy(base_raw, raw)
    path = raw / f"{table}.csv"
    original = path.read_bytes()
    n = _data_rows(path)
    damaged, exact = _damage(original.removeprefix(b"\xef\xbb\xbf"), ops)
    path.write_bytes(damaged)
    before = _hashes(raw)
    checked = check_dataset(raw)  # never raises
    assert _hashes(raw) == before
    counts = checked.counts.get(table)
    if counts is None:  # the file could not be read at all: one error naming it
        errs = checked.problems[checked.problems["severity"] == "error"]
        assert (errs["file"] == f"{table}.csv").any()
        return
    assert counts["rows_in"] == counts["rows_kept"] + counts["rows_reported"]
    assert counts["rows_kept"] == len(checked.tables[table])
    reported = checked.problems[
        (checked.problems["file"] == f"{table}.csv") & (checked.problems["rule"] == "ragged_row")
    ]
    assert len(reported) == counts["rows_reported"]
    assert reported["row"].notna().all()
    if exact:
        assert counts["rows_in"] == n
