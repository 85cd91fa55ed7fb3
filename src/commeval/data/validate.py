"""Validation entry points (数据校验): ``validate_dir`` returns the problems table;
``run_validate`` backs ``commeval validate --data DIR [--report-dir DIR]`` (terminal table in
Chinese, ``validation_report.html`` and ``validation_report.csv``, exit code 2 on any error)."""

from __future__ import annotations

import html
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import pandas as pd

from commeval.data import problems as P
from commeval.data.checks import Checked, check_dataset
from commeval.data.codebook import Codebook
from commeval.data.contract import Contract
from commeval.data.safe_cells import escape_cells
from commeval.files import atomic_path, csp_meta, write_atomic
from commeval.paths import DEFAULT_VALIDATION_DIR

DEFAULT_REPORT_DIR = DEFAULT_VALIDATION_DIR
TERMINAL_ROWS = 50
HTML_ROWS = 5000
EXIT_OK, EXIT_ERRORS = 0, 2


def validate_dir(
    raw_dir: str | Path,
    codebook: Codebook | str | Path | None = None,
    *,
    contract: Contract | None = None,
) -> pd.DataFrame:
    """All problems of a raw dataset directory as a table (see :mod:`problems`); ``contract``
    and ``codebook`` as in :func:`~commeval.data.checks.check_dataset`."""
    return check_dataset(raw_dir, codebook, contract=contract).problems


def labelled(problems: pd.DataFrame) -> pd.DataFrame:
    """The problems table with Chinese column names and severities (for people)."""
    out = problems.copy()
    out["severity"] = out["severity"].map(P.SEVERITY_LABELS).fillna(out["severity"])
    out["row"] = out["row"].astype("string").fillna("")
    return out.rename(columns=P.COLUMN_LABELS)


def format_terminal(problems: pd.DataFrame, limit: int = TERMINAL_ROWS) -> str:
    if problems.empty:
        return "未发现问题 ✓ (no problems found)"
    shown = labelled(problems.head(limit)).drop(columns=[P.COLUMN_LABELS["rule"]])
    with pd.option_context("display.max_colwidth", 60, "display.width", 200,
                           "display.unicode.east_asian_width", True):  # fmt: skip
        text = shown.to_string(index=False)
    more = len(problems) - limit
    tail = (
        f"\n……另有 {more} 条，见报告文件 (and {more} more in the report files)" if more > 0 else ""
    )
    return f"{text}{tail}\n{P.summary(problems)}"


def write_report_csv(problems: pd.DataFrame, path: Path) -> None:
    """CSV for Excel: UTF-8 with BOM, Chinese headers, formula-like cells escaped."""
    with atomic_path(path) as tmp:
        escape_cells(labelled(problems)).to_csv(tmp, index=False, encoding="utf-8-sig")


def format_counts(counts: dict[str, dict]) -> str:
    """Rows in, kept and reported per table (no row is lost silently)."""
    lines = []
    for t, n in counts.items():
        lines.append(
            f"  {n['file']}（{t}）：读入 {n['rows_in']} 行，保留 {n['rows_kept']} 行，"
            f"未读入并已报告 {n['rows_reported']} 行"
        )
    return "行数核对 (rows in = kept + reported):\n" + "\n".join(lines) if lines else ""


def write_report_html(
    problems: pd.DataFrame, path: Path, title: str, counts: dict[str, dict] | None = None
) -> None:
    """A self-contained HTML page; every value is HTML-escaped."""
    esc = html.escape
    rows_table = ""
    if counts:
        trs = "".join(
            f"<tr><td>{esc(str(n['file']))}</td><td>{esc(t)}</td><td>{n['rows_in']}</td>"
            f"<td>{n['rows_kept']}</td><td>{n['rows_reported']}</td></tr>"
            for t, n in counts.items()
        )
        rows_table = (
            '<h2>行数核对</h2><table class="counts"><thead><tr><th>文件</th><th>表</th>'
            f"<th>读入行数</th><th>保留</th><th>未读入（已报告）</th></tr></thead><tbody>{trs}"
            "</tbody></table>"
        )
    shown = labelled(problems.head(HTML_ROWS))
    head = "".join(f"<th>{esc(str(c))}</th>" for c in shown.columns)
    body = []
    for sev, rec in zip(problems["severity"].head(HTML_ROWS), shown.itertuples(index=False)):
        cells = "".join(f"<td>{esc(str(v))}</td>" for v in rec)
        body.append(f'<tr class="{esc(sev)}">{cells}</tr>')
    more = len(problems) - HTML_ROWS
    note = f"<p>仅显示前 {HTML_ROWS} 条，另有 {more} 条见 CSV。</p>" if more > 0 else ""
    doc = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">{csp_meta()}<title>{esc(title)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;font-size:14px}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}}
tr.error td:first-child{{color:#b00020;font-weight:bold}}tr.warning td:first-child{{color:#a06000}}
</style></head><body>
<h1>{esc(title)}</h1><p>{esc(P.summary(problems))}</p>{rows_table}{note}
<table><thead><tr>{head}</tr></thead><tbody>
{"".join(body)}
</tbody></table></body></html>
"""
    write_atomic(path, doc)


def _tables_sound(problems: pd.DataFrame) -> bool:
    """No error but the years' consistency (``year:…``, :func:`~commeval.data.rules.years`):
    the tables are complete, so their evaluation can be tried."""
    errors = problems.loc[problems["severity"] == P.ERROR, "rule"]
    return bool(errors.str.startswith("year:").all())


def run_validate(
    raw_dir: str | Path,
    report_dir: str | Path | None = None,
    codebook: Codebook | str | Path | None = None,
    out: TextIO | None = None,
    *,
    contract: Contract | None = None,
    feedback: str | Path | None = None,
    year: int | None = None,
    evaluable: Callable[[Checked], pd.DataFrame] | None = None,
) -> int:
    """Validate, print the problems in Chinese, write the reports; 2 on any error, else 0.
    ``feedback``: a folder to write one 回执 workbook per submitted file into
    (:mod:`~commeval.data.feedback`). ``year``: the project's assessment year, checked against
    the tables' years (:func:`~commeval.data.rules.years`). ``evaluable``: when the tables
    have no error, the problems that would stop their evaluation — the evaluation's own
    checks, given by a higher layer (``commeval validate`` passes
    :func:`commeval.district.evaluation_problems`: the data layer knows no index)."""
    out = out or sys.stdout
    checked = check_dataset(raw_dir, codebook, contract=contract, year=year, consistency=True)
    if evaluable is not None and _tables_sound(checked.problems):
        checked.problems = P.sort(P.concat([checked.problems, evaluable(checked)]))
    problems = checked.problems
    report = Path(report_dir) if report_dir is not None else DEFAULT_REPORT_DIR
    report.mkdir(parents=True, exist_ok=True)
    write_report_csv(problems, report / "validation_report.csv")
    write_report_html(
        problems, report / "validation_report.html", f"数据校验报告：{raw_dir}", checked.counts
    )
    print(f"数据校验：{raw_dir}", file=out)
    print(format_terminal(problems), file=out)
    if checked.counts:
        print(format_counts(checked.counts), file=out)
    print(f"报告已写入 {report / 'validation_report.html'} 和 validation_report.csv", file=out)
    if feedback is not None:
        from commeval.data.feedback import write_feedback

        written = write_feedback(checked, feedback)
        print(f"回执已写入 {feedback}（{len(written)} 个文件，每个报送文件一个）", file=out)
    return EXIT_ERRORS if P.has_errors(problems) else EXIT_OK
