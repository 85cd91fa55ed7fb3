"""Personal data in the forms people write them never reach processed data or any output:
mobiles with separators / +86 / (+86) / full-width digits, landlines, ID numbers with x/X, QQ and
WeChat ids, and the row's own name, phone or address inside its free text. Every processed and
output file — the processed tables and a whole report run's pages and downloads — is searched
(bytes, and the digits-only form of each number)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd

from commeval.data.ingest import ingest
from commeval.data.validate import run_validate

FORMS = {
    "138-1234-5678": "13812345678",
    "138 1234 5678": "13812345678",
    "+86 139 1234 5678": "13912345678",
    "(+86)137-1234-5678": "13712345678",
    "（+86）136 1234 5678": "13612345678",
    "８６-１５８１２３４５６７８": "15812345678",
    "电话0395-3123456": "03953123456",
    "(0395)31234567": "039531234567",
    "身份证41119919800101123x": "41119919800101123x",
    "411199198001011234": "411199198001011234",
    "4111 9919 8001 0112 3X": "41119919800101123X",
    "QQ号：98765432": "98765432",
    "qq 123456789": "123456789",
    "微信号 zhang_san88": "zhang_san88",
    "加我vx：lisi_2012": "lisi_2012",
}
BENIGN = "希望2012年前修好村里到镇上3公里的路，投入30万元"


def _digits(s: str) -> str:
    import unicodedata

    return re.sub(r"[^0-9A-Za-z_]", "", unicodedata.normalize("NFKC", s))


def test_personal_forms_never_reach_processed_or_output(base_raw: Path, tmp_path: Path):
    raw = tmp_path / "raw"
    shutil.copytree(base_raw, raw)
    path = raw / "survey.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    forms = list(FORMS)
    for i, form in enumerate(forms):
        df.loc[i, "意见建议"] = f"有事联系我 {form} 谢谢"
    k = len(forms)
    own = {}
    for j in range(k, k + 3):  # the row's own name / address / phone inside its suggestion
        name, addr = df.loc[j, "姓名"], df.loc[j, "家庭住址"]
        df.loc[j, "意见建议"] = f"我是{name}，住{addr}，路灯坏了"
        own[j] = (name, addr)
    df.loc[k + 3, "意见建议"] = BENIGN
    df.to_csv(path, index=False, encoding="utf-8-sig")

    out = io.StringIO()
    assert run_validate(raw, tmp_path / "outputs" / "validation", out=out) == 0, out.getvalue()
    res = ingest(raw, tmp_path / "processed")
    sugg = res.tables["survey"]["suggestion"]
    assert BENIGN in set(sugg.dropna())  # plain numbers are not redacted
    warned = res.problems[res.problems["rule"] == "personal_in_text"]
    assert set(range(2, k + 5)) <= set(warned["row"])  # Excel rows of the k + 3 texts
    assert res.manifest["redacted_in_text"]["survey"] == len(warned)

    # … and the published pages: a whole report run on the same data
    run = subprocess.run(
        [str(Path(sys.executable).with_name("commeval")), "reports", "--data", str(raw),
         "--processed", str(tmp_path / "processed"), "--out", str(tmp_path / "outputs"),
         "--jobs", "2"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert list((tmp_path / "outputs").rglob("townships/*.html"))
    blobs = [out.getvalue().encode(), run.stdout.encode(), run.stderr.encode()]
    for xlsx in (tmp_path / "outputs").rglob("*.xlsx"):  # downloads are zip: search their XML
        with zipfile.ZipFile(xlsx) as z:
            blobs += [z.read(n) for n in z.namelist()]
    for root in (tmp_path / "processed", tmp_path / "outputs"):
        blobs += [p.read_bytes() for p in root.rglob("*") if p.is_file()]
    text = sugg.fillna("").str.cat(sep="\n")
    for form, digits in FORMS.items():
        for blob in blobs:
            assert form.encode() not in blob, form
            assert digits.encode() not in blob, form
        assert digits not in _digits(text), form
    for name, addr in own.values():
        assert name not in text and addr not in text
        for blob in blobs:
            assert addr.encode() not in blob
    # names never reach processed data at all (the column is dropped)
    all_names = set(df["姓名"]) - {""}
    for blob in blobs:
        decoded = blob.decode("utf-8", "replace")
        assert not any(n in decoded for n in all_names if len(n) >= 2)
