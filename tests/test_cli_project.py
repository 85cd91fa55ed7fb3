"""``commeval init DIR [--sample]`` and the commands on the project it makes: the files of
issue 12, templates whose headers and drop-down lists come from the contract, and ``commeval
validate`` on a fresh ``init --sample`` project."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from commeval import cli
from commeval.data.contract import contract
from commeval.errors import EXIT_INVALID, EXIT_OK
from commeval.paths import package_dir
from commeval.project import load_project
from commeval.scaffold import LISTS_SHEET, choices, template_fields

TABLES = ("townships", "villages", "communities", "survey", "population")
COMMON = [
    "commeval.yaml",
    "README.md",
    "config/framework.yaml",
    "config/fields.yaml",
    "config/codebook.yaml",
    "config/diagnosis.yaml",
    "notebooks/township_report.ipynb",
    "notebooks/district_summary.ipynb",
    "notebooks/survey_analysis.ipynb",
    "notebooks/index_analysis.ipynb",
]


@pytest.fixture
def blank(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["init", "my_county", "--district", "某县"]) == EXIT_OK
    return tmp_path / "my_county"


def test_init_writes_the_project(blank):
    for rel in COMMON:
        assert (blank / rel).is_file(), rel
    p = load_project(blank)
    assert p.district == "某县"
    assert p.dataset == blank.resolve() / "data" / "raw" / "my_county"
    assert p.framework_file == blank.resolve() / "config" / "framework.yaml"
    assert p.fields_file and p.codebook_file and p.diagnosis_file.parent == p.root / "config"
    packaged = package_dir() / "config"
    for name in ("framework", "diagnosis"):  # copies of the defaults
        assert (blank / "config" / f"{name}.yaml").read_bytes() == (
            packaged / f"{name}.yaml"
        ).read_bytes()
    # the templates parse: fields declares nothing yet, the codebook extends the default
    assert yaml.safe_load((blank / "config" / "fields.yaml").read_text("utf-8")) is None
    assert "has_clinic: {label: 标准化村卫生室, dtype: bool}" in (
        blank / "config" / "fields.yaml"
    ).read_text("utf-8")
    assert yaml.safe_load((blank / "config" / "codebook.yaml").read_text("utf-8")) == {
        "extends": True
    }
    readme = (blank / "README.md").read_text("utf-8")
    assert "commeval validate" in readme and "commeval reports" in readme
    nb = json.loads((blank / "notebooks" / "township_report.ipynb").read_text("utf-8"))
    params = "".join(
        "".join(c["source"]) for c in nb["cells"] if "parameters" in c["metadata"].get("tags", [])
    )
    # the copies run on the project: no default pointing at the bundled sample district
    assert "data/raw/sample_district" not in params


def test_csv_templates_have_the_contract_labels(blank):
    raw = blank / "data" / "raw" / "my_county"
    meta = yaml.safe_load((raw / "dataset.yaml").read_text("utf-8"))
    assert meta["synthetic"] is False
    assert set(meta["files"]) == set(TABLES)
    c = contract()
    for t in TABLES:
        with open(raw / f"{t}.csv", encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        labels = [f.label for f in c[t].fields.values() if not f.personal]
        assert rows == [labels], t
        assert not any(f.personal for f in template_fields(t))


def _list_of(wb, formula: str) -> list[str]:
    sheet, ref = formula.lstrip("=").split("!")
    assert sheet.strip("'") == LISTS_SHEET
    cells = wb[LISTS_SHEET][ref.replace("$", "")]
    return [row[0].value for row in cells]


def _dropdowns(wb) -> dict[str, list[str]]:
    """Header → the drop-down list of its column (rows 2 … ≥ 1000) of a template's data sheet."""
    ws = wb.worksheets[0]
    out = {}
    for dv in ws.data_validations.dataValidation:
        if dv.type != "list":
            continue
        for rng in dv.sqref.ranges:
            assert rng.min_row == 2 and rng.max_row > 1000 and rng.min_col == rng.max_col
            out[ws.cell(1, rng.min_col).value] = _list_of(wb, dv.formula1)
    return out


def test_xlsx_templates_have_drop_down_lists(blank):
    raw = blank / "data" / "raw" / "my_county"
    c = contract()
    for t in TABLES:
        wb = load_workbook(raw / f"{t}.xlsx")
        assert wb[LISTS_SHEET].sheet_state == "hidden"
        fields = template_fields(t)
        assert [cell.value for cell in wb.worksheets[0][1]] == [f.label for f in fields]
        expected = {f.label: choices(f) for f in fields if choices(f)}
        assert _dropdowns(wb) == expected, t
    v = c["villages"].fields
    lists = _dropdowns(load_workbook(raw / "villages.xlsx"))
    assert lists[v["is_pilot"].label] == ["是", "否"]
    assert lists[v["affairs_demo_level"].label] == ["无", "区级", "市级", "省级", "国家级"]
    lists = _dropdowns(load_workbook(raw / "survey.xlsx"))
    assert lists[c["survey"].fields["sat_overall"].label] == [
        "很不满意", "不太满意", "一般", "比较满意", "非常满意", "说不清"
    ]  # fmt: skip
    assert lists[c["survey"].fields["gender"].label] == ["男", "女"]


def test_the_templates_are_read_by_validation(blank, capsys):
    """Every header of the empty templates is recognised: the only problems are the empty
    tables."""
    assert cli.main(["validate", "--project", str(blank)]) == EXIT_INVALID
    out = capsys.readouterr().out
    assert "未识别" not in out and "unknown" not in out.lower()
    report = blank / "outputs" / "validation" / "validation_report.csv"
    with open(report, encoding="utf-8-sig") as fh:
        rules = {row["规则"] for row in csv.DictReader(fh)}
    assert rules == {"no_data_rows"}, rules


def test_init_refuses_a_folder_that_is_not_empty(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine", encoding="utf-8")
    assert cli.main(["init", "busy"]) == EXIT_INVALID
    err = capsys.readouterr().err
    assert "不是空的" in err and "--force" in err
    assert sorted(p.name for p in (tmp_path / "busy").iterdir()) == ["notes.txt"]
    assert cli.main(["init", "busy", "--force"]) == EXIT_OK
    assert (tmp_path / "busy" / "commeval.yaml").is_file()
    assert (tmp_path / "busy" / "notes.txt").read_text(encoding="utf-8") == "mine"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("init") / "demo"
    assert cli.main(["init", str(root), "--sample"]) == EXIT_OK
    return root


def test_init_sample_writes_the_sample_district(sample):
    for rel in COMMON:
        assert (sample / rel).is_file(), rel
    raw = load_project(sample).dataset
    meta = yaml.safe_load((raw / "dataset.yaml").read_text("utf-8"))
    assert meta["synthetic"] is True
    assert {t: f["path"] for t, f in meta["files"].items()} == {t: f"{t}.csv" for t in TABLES}
    # the same generator as `commeval sample-data` with its defaults
    ref = Path(__file__).resolve().parents[1] / "data" / "raw" / "sample_district"
    for t in TABLES:
        assert (raw / f"{t}.csv").read_bytes() == (ref / f"{t}.csv").read_bytes(), t


def test_validate_a_fresh_sample_project_from_a_subfolder(sample, monkeypatch, capsys):
    monkeypatch.chdir(sample / "notebooks")
    assert cli.main(["validate"]) == EXIT_OK
    out = capsys.readouterr().out
    assert str(load_project(sample).dataset) in out
    assert (sample / "outputs" / "validation" / "validation_report.html").is_file()


def test_process_and_dictionary_on_the_project(sample, monkeypatch, capsys):
    monkeypatch.chdir(sample)
    assert cli.main(["process"]) == EXIT_OK
    p = load_project(sample)
    assert (p.processed / "manifest.json").is_file()
    assert p.processed == sample.resolve() / "data" / "processed" / p.dataset.name
    assert cli.main(["dictionary", "-o", "dictionary.csv"]) == EXIT_OK
    with open(sample / "dictionary.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    n = sum(len(t.fields) for t in contract().tables.values())
    assert len(rows) == n + 1
    capsys.readouterr()
    assert cli.main(["dictionary"]) == EXIT_OK
    assert "对农村社区建设的总体满意度" in capsys.readouterr().out
