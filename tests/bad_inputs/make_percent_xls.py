"""Writes tests/bad_inputs/fixtures/villages_percent.xls: the villages table of the bad-input
base dataset (bad_input_cases.base_dataset, 18 rows) as Excel 97–2003 (BIFF8) with two more
columns in percent formats, for tests/bad_inputs/test_returns_percent_xls.py:

    安全饮水覆盖率  (unit %)   odd data rows 0.605 formatted "0.0%" (shown 60.5%),
                               even data rows 87.5 in General (typed 87.5);
                               the last data row 0.9 formatted "0%" (shown 90%)
    负债率          (a ratio)  0.25 formatted "0%" (shown 25%: still the fraction 0.25)
    备注数          (a number) 0.5 formatted '0.00"%"' (a quoted %: not a percent format)

The workbook is written with openpyxl and converted to .xls by LibreOffice (the form district
offices' older Excel and WPS save); LibreOffice Calc is needed only to run this script:

    apt-get install libreoffice-calc
    .venv/bin/python tests/bad_inputs/make_percent_xls.py [OUT_DIR]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bad_input_cases import base_dataset  # noqa: E402
from returns_helpers import read, sheet_rows  # noqa: E402

SHEET = "行政村"


def main(out_dir: Path) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        raw = base_dataset(Path(tmp) / "raw")
        v = read(raw, "villages")
        n = len(v)
        v["安全饮水覆盖率"] = ""
        v["负债率"] = ""
        v["备注数"] = ""
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = SHEET
        for r in sheet_rows(v):
            ws.append(r)
        col = {c.value: c.column for c in ws[1]}
        for i in range(n):
            last = i == n - 1
            a = ws.cell(i + 2, col["安全饮水覆盖率"], 0.9 if last else (0.605 if i % 2 else 87.5))
            a.number_format = "0%" if last else ("0.0%" if i % 2 else "General")
            ws.cell(i + 2, col["负债率"], 0.25).number_format = "0%"
            ws.cell(i + 2, col["备注数"], 0.5).number_format = '0.00"%"'
        xlsx = Path(tmp) / "villages_percent.xlsx"
        wb.save(xlsx)
        env = {**os.environ, "HOME": tmp}  # LibreOffice's profile in the temp folder
        subprocess.run(
            ["soffice", "--headless", "--convert-to", "xls", "--outdir", tmp, str(xlsx)],
            check=True, env=env, capture_output=True, timeout=300,
        )  # fmt: skip
        out_dir.mkdir(parents=True, exist_ok=True)
        dst = out_dir / "villages_percent.xls"
        shutil.copyfile(Path(tmp) / "villages_percent.xls", dst)
    return dst


if __name__ == "__main__":
    print(main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "fixtures"))
