"""Privacy helpers and formula-safe exports."""

from __future__ import annotations

import io

import pandas as pd

from commeval.data.privacy import REDACTED, find_personal, load_salt, pseudonymise, redact
from commeval.data.safe_cells import escape_cells
from commeval.data.validate import run_validate, validate_dir


def test_redact_and_find():
    s = pd.Series(
        ["电话13812345678", "身份证41119919800101123X。", "Q20110000001", "123456789012", None]
    )
    assert find_personal(s).tolist() == [True, True, False, False, False]
    assert redact("打13812345678或13912345678") == f"打{REDACTED}或{REDACTED}"
    assert redact("41119919800101123X") == REDACTED


def test_salt_created_private_and_pseudonyms_keyed(tmp_path):
    path = tmp_path / "cfg" / "salt"
    salt = load_salt(path)
    assert len(salt) == 32 and (path.stat().st_mode & 0o777) == 0o600
    assert load_salt(path) == salt
    ids = pd.Series(["Q1", "Q2", "Q1"])
    a = pseudonymise(ids, salt)
    assert a[0] == a[2] and a[0] != a[1] and len(a[0]) == 24
    assert not pseudonymise(ids, b"another salt of 16+ bytes").equals(a)


def test_escape_cells():
    df = pd.DataFrame(
        {"a": ["=1+1", "+86", "-x", "@SUM(A1)", "ok", None], "n": [-1, 2, 3, 4, 5, 6]}
    )
    out = escape_cells(df)
    assert out["a"].tolist()[:5] == ["'=1+1", "'+86", "'-x", "'@SUM(A1)", "ok"]
    assert out["n"].tolist() == df["n"].tolist()
    assert df["a"].iloc[0] == "=1+1"  # input unchanged


def test_reports_are_escaped(raw_dir, tmp_path):
    path = raw_dir / "villages.csv"
    text = path.read_text(encoding="utf-8-sig").splitlines()
    cells = text[1].split(",")
    cells[2] = '=HYPERLINK("http://x")<script>'  # village name, formula-like and HTML
    text[1] = ",".join(f'"{c}"' if "=" in c else c for c in cells)
    path.write_text("\n".join(text) + "\n", encoding="utf-8-sig")
    p = validate_dir(raw_dir)
    assert "formula_like_text" in set(p["rule"])
    code = run_validate(raw_dir, tmp_path / "r", out=io.StringIO())
    html = (tmp_path / "r" / "validation_report.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html
    csv = pd.read_csv(tmp_path / "r" / "validation_report.csv", encoding="utf-8-sig", dtype=str)
    assert csv["值"].str.startswith("'=").any()
    assert not csv["值"].fillna("").str.startswith("=").any()
    assert code in (0, 2)  # the renamed village may be one the survey refers to


def test_problem_values_never_show_personal_numbers(raw_dir):
    path = raw_dir / "survey.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    df.loc[0, "年龄"] = "13812345678"
    df.to_csv(path, index=False, encoding="utf-8-sig")
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("张三,13912345678\n")  # a ragged row holding personal data
    p = validate_dir(raw_dir)
    text = p.to_string()
    assert "13812345678" not in text and "13912345678" not in text and "张三" not in text
    assert {"range:max", "ragged_row"} <= set(p["rule"])
