"""A project's config/fields.yaml extends the data contract: parsing and every bad-config error,
ingestion of extra fields under their Chinese labels, range problems, freshness, the data
dictionary and the questionnaire's item lists."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from commeval.data.codebook import load_codebook
from commeval.data.contract import ContractError, contract, extend_contract, load_fields
from commeval.data.dictionary import dictionary_frame, write_dictionary
from commeval.data.freshness import is_current
from commeval.data.ingest import IngestError, ingest
from commeval.data.processed import ProcessedDataError, load_processed
from commeval.data.validate import validate_dir
from commeval.errors import InputError
from commeval.survey import questionnaire
from commeval.synthetic import write_raw

FIELDS = {
    "villages": {
        "has_clinic": {"label": "标准化村卫生室", "dtype": "bool"},
        "safe_water_share": {
            "label": "安全饮水覆盖率",
            "dtype": "float",
            "unit": "%",
            "min": 0,
            "max": 100,
        },
        "clinic_level": {
            "label": "卫生室等级",
            "dtype": "category",
            "values": {1: "甲级", 2: "乙级", 3: "丙级"},
        },
        "note": {"label": "备注", "dtype": "text"},
    },
    "survey": {
        "sat_clinic": {"label": "对村卫生室的满意度", "kind": "likert"},
        "used_service_hall": {"label": "是否到便民服务大厅办过事", "kind": "yesno"},
        "services_used": {
            "label": "用过的服务",
            "kind": "multi",
            "options": {"a": "养老", "b": "医疗"},
        },
        "visits": {"label": "去年到服务中心的次数", "kind": "numeric", "min": 0, "max": 365},
    },
}


def write_fields(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def fields_file(tmp_path: Path) -> Path:
    return write_fields(tmp_path / "fields.yaml", FIELDS)


@pytest.fixture
def project_contract(fields_file: Path):
    return extend_contract(contract(), fields_file)


def with_extras(tables: dict[str, pd.DataFrame], seed: int = 1) -> dict[str, pd.DataFrame]:
    """The small district plus values for every extra field."""
    rng = np.random.default_rng(seed)
    out = {k: v.copy() for k, v in tables.items()}
    v, s = out["villages"], out["survey"]
    v["has_clinic"] = rng.random(len(v)) < 0.6
    v["safe_water_share"] = rng.uniform(40, 100, len(v)).round(1)
    v["clinic_level"] = rng.integers(1, 4, len(v))
    v["note"] = "无"
    s["sat_clinic"] = rng.choice([1, 2, 3, 4, 5, 9], len(s))
    s["used_service_hall"] = rng.random(len(s)) < 0.4
    s["services_used_a"] = rng.random(len(s)) < 0.5
    s["services_used_b"] = rng.random(len(s)) < 0.5
    s["visits"] = rng.integers(0, 20, len(s)).astype(float)
    return out


@pytest.fixture
def extra_raw(tmp_path: Path, small_tables, project_contract) -> Path:
    return write_raw(with_extras(small_tables), tmp_path / "raw_extra", contract=project_contract)


# --- extend_contract ---------------------------------------------------------------------------


def test_extend_contract_maps_fields_onto_the_contract(project_contract, fields_file):
    c = project_contract
    v, s = c["villages"].fields, c["survey"].fields
    assert v["has_clinic"].dtype == "bool" and not v["has_clinic"].required
    assert v["safe_water_share"].dtype == "float" and v["safe_water_share"].unit == "%"
    assert (v["safe_water_share"].min, v["safe_water_share"].max) == (0, 100)
    assert v["clinic_level"].dtype == "category" and v["clinic_level"].codes == {
        1: "甲级",
        2: "乙级",
        3: "丙级",
    }
    assert v["note"].dtype == "string" and v["note"].free_text
    assert s["sat_clinic"].group == "likert" and set(s["sat_clinic"].codes) == {1, 2, 3, 4, 5, 9}
    assert (
        s["used_service_hall"].dtype == "bool" and s["used_service_hall"].group == "participation"
    )
    assert s["services_used_a"].label == "用过的服务：养老" and s["services_used_a"].dtype == "bool"
    assert s["services_used_b"].question == "services_used"
    assert s["visits"].dtype == "float" and s["visits"].max == 365
    assert v["has_clinic"].source == str(fields_file)
    assert c["villages"].fields["village"].source == "built-in"
    # the packaged contract is untouched; built-ins keep their order, extras come last
    assert "has_clinic" not in contract()["villages"].fields
    assert list(v)[: len(contract()["villages"].fields)] == list(contract()["villages"].fields)
    assert c.fingerprint != contract().fingerprint
    assert extend_contract(contract(), FIELDS).fingerprint == c.fingerprint  # not the file name
    assert extend_contract(contract(), None) is contract()
    assert extend_contract(contract(), {}) is contract()


def test_text_valued_category_becomes_a_level():
    c = extend_contract(
        contract(), {"villages": {"grade": {"label": "等级", "dtype": "category",
                                            "values": {"a": "甲", "b": "乙"}}}}
    )  # fmt: skip
    f = c["villages"].fields["grade"]
    assert f.dtype == "level" and f.allowed == ("a", "b") and f.allowed_labels == ("甲", "乙")


BAD = [
    ({"villages": {"x": {"label": "某", "dtype": "decimal"}}}, "villages.x.dtype", "decimal"),
    ({"survey": {"x": {"label": "某", "kind": "rating"}}}, "survey.x.kind", "rating"),
    ({"villages": {"population": {"label": "某", "dtype": "int"}}}, "villages.population", "population"),
    ({"villages": {"x": {"label": "图书室", "dtype": "bool"}}}, "villages.x.label", "图书室"),
    ({"villages": {"x": {"label": " 图书室 ", "dtype": "bool"}}}, "villages.x.label", "图书室"),
    (
        {"villages": {"x": {"label": "甲", "dtype": "bool"}, "y": {"label": "甲", "dtype": "int"}}},
        "villages.y.label",
        "甲",
    ),
    ({"villages": {"x": {"label": "某", "dtype": "int", "min": 10, "max": 1}}}, "villages.x.min", "10"),
    ({"villages": {"x": {"label": "某", "dtype": "int", "min": "zero"}}}, "villages.x.min", "zero"),
    ({"villages": {"x": {"label": "某", "dtype": "bool", "max": 1}}}, "villages.x.max", "1"),
    ({"village": {"x": {"label": "某", "dtype": "bool"}}}, "village", "village"),
    ({"population": {"x": {"label": "某", "dtype": "bool"}}}, "population", "population"),
    ({"villages": {"x": {"label": "某", "dtype": "bool", "colour": "red"}}}, "villages.x.colour", "red"),
    ({"villages": {"x": {"dtype": "bool"}}}, "villages.x.label", "None"),
    ({"villages": {"HasClinic": {"label": "某", "dtype": "bool"}}}, "villages.HasClinic", "HasClinic"),
    ({"villages": {"x": {"label": "某", "dtype": "category"}}}, "villages.x.values", "None"),
    ({"villages": {"x": {"label": "某", "dtype": "category", "values": {1: "甲", 2: "甲"}}}},
     "villages.x.values", "甲"),  # fmt: skip
    ({"villages": {"x": {"label": "某", "kind": "likert"}}}, "villages.x.kind", "likert"),
    ({"survey": {"x": {"label": "某", "kind": "multi"}}}, "survey.x.options", "None"),
    ({"survey": {"x_top2": {"label": "某", "kind": "likert"}}}, "survey.x_top2", "x_top2"),
    ({"survey": {"need": {"label": "某", "kind": "multi", "options": {"medical": "医"}}}},
     "survey.need", "need_medical"),  # fmt: skip
    ({"villages": {"x": {"label": "某", "dtype": "bool", "required": "yes"}}}, "villages.x.required", "yes"),
    ({"villages": ["x"]}, "villages", "['x']"),
]  # fmt: skip


@pytest.mark.parametrize(("doc", "key", "value"), BAD, ids=[b[1] + ":" + b[2] for b in BAD])
def test_bad_fields_file_names_file_key_and_value(tmp_path, doc, key, value):
    path = write_fields(tmp_path / "fields.yaml", doc)
    with pytest.raises(ContractError) as exc:
        extend_contract(contract(), path)
    msg = str(exc.value)
    assert str(path) in msg and f"键 {key} " in msg and value in msg, msg
    assert isinstance(exc.value, InputError)


def test_bad_yaml_and_missing_file(tmp_path):
    bad = tmp_path / "fields.yaml"
    bad.write_text("villages: {x: [\n", encoding="utf-8")
    with pytest.raises(ContractError, match="fields.yaml.*<yaml>"):
        load_fields(bad)
    with pytest.raises(ContractError, match="file not found"):
        extend_contract(contract(), tmp_path / "nope.yaml")
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing yet\n", encoding="utf-8")
    assert extend_contract(contract(), empty) is contract()


# --- ingestion ---------------------------------------------------------------------------------


def test_extra_fields_ingest_under_their_chinese_labels(extra_raw, tmp_path, project_contract):
    header = (extra_raw / "villages.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert "标准化村卫生室" in header and "has_clinic" not in header
    survey_header = (extra_raw / "survey.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert "用过的服务：养老" in survey_header
    res = ingest(extra_raw, tmp_path / "p", contract=project_contract)
    v, s = res.tables["villages"], res.tables["survey"]
    assert str(v["has_clinic"].dtype) == "boolean"  # optional bool
    assert str(v["safe_water_share"].dtype) == "float64"
    assert str(v["clinic_level"].dtype) == "Int64"
    assert str(v["note"].dtype) == "string"
    assert str(s["sat_clinic"].dtype) == "Int64" and set(s["sat_clinic"].dropna()) <= {
        1,
        2,
        3,
        4,
        5,
        9,
    }
    assert str(s["used_service_hall"].dtype) == "boolean"
    assert {"services_used_a", "services_used_b", "visits"} <= set(s.columns)
    assert not (res.problems["rule"] == "unmapped_column").any()
    # processed data describe their own columns: loaded with or without the contract
    tables, meta = load_processed(tmp_path / "p", contract=project_contract)
    assert "has_clinic" in tables["villages"] and "sat_clinic" in tables["survey"]
    again, _ = load_processed(tmp_path / "p")
    pd.testing.assert_frame_equal(again["villages"], tables["villages"])
    assert meta["contract"]["fingerprint"] == project_contract.fingerprint
    # the packaged contract refuses data made under another contract
    with pytest.raises(ProcessedDataError, match="fields.yaml"):
        load_processed(tmp_path / "p", contract=contract())


def test_answer_texts_and_one_column_multi_choice(extra_raw, tmp_path, project_contract):
    path = extra_raw / "survey.csv"
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    raw["对村卫生室的满意度"] = "非常满意"
    raw.loc[0, "对村卫生室的满意度"] = "说不清"
    raw["是否到便民服务大厅办过事"] = "是"
    raw = raw.drop(columns=["用过的服务：养老", "用过的服务：医疗"])
    raw["8、用过的服务：【多选题】"] = "养老┋医疗"
    raw.loc[1, "8、用过的服务：【多选题】"] = "医疗"
    raw.to_csv(path, index=False, encoding="utf-8-sig")
    s = ingest(extra_raw, tmp_path / "p", contract=project_contract).tables["survey"]
    assert pd.isna(s.loc[0, "sat_clinic"]) and s.loc[0, "sat_clinic_dk"]  # 说不清: a flag
    assert (s["sat_clinic"].iloc[1:] == 5).all() and not s["sat_clinic_dk"].iloc[1:].any()
    assert s["used_service_hall"].all()
    assert not s.loc[1, "services_used_a"] and s.loc[1, "services_used_b"]
    assert s.loc[2, "services_used_a"] and s.loc[2, "services_used_b"]


def test_extra_value_out_of_range_is_reported_with_file_row_column_value(
    extra_raw, project_contract
):
    path = extra_raw / "villages.csv"
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    raw.loc[3, "安全饮水覆盖率"] = "180"
    raw.loc[5, "卫生室等级"] = "丁级"
    raw.to_csv(path, index=False, encoding="utf-8-sig")
    p = validate_dir(extra_raw, contract=project_contract)
    hit = p[(p["field"] == "safe_water_share") & (p["rule"] == "range:max")]
    assert len(hit) == 1
    r = hit.iloc[0]
    assert (r["file"], r["row"], r["column"], r["value"]) == (
        "villages.csv",
        5,
        "安全饮水覆盖率",
        "180",
    )
    assert "100%" in r["message"]
    bad = p[(p["field"] == "clinic_level") & (p["rule"] == "allowed")].iloc[0]
    assert (bad["row"], bad["value"]) == (7, "丁级") and "甲级" in bad["message"]
    with pytest.raises(IngestError):
        ingest(extra_raw, extra_raw.parent / "never", contract=project_contract)
    assert not (extra_raw.parent / "never").exists()


def test_without_the_contract_extra_columns_are_unmapped(extra_raw):
    p = validate_dir(extra_raw)
    assert "标准化村卫生室" in set(p.loc[p["rule"] == "unmapped_column", "column"])


def test_missing_extra_column_is_a_warning_unless_required(tmp_path, small_tables, fields_file):
    raw = write_raw(small_tables, tmp_path / "raw")  # no extra columns at all
    c = extend_contract(contract(), fields_file)
    p = validate_dir(raw, contract=c)
    miss = p[(p["rule"] == "missing_column") & (p["field"] == "has_clinic")]
    assert list(miss["severity"]) == ["warning"] and str(fields_file) in miss.iloc[0]["message"]
    res = ingest(raw, tmp_path / "p", contract=c)
    assert res.tables["villages"]["has_clinic"].isna().all()
    doc = {
        "villages": {"has_clinic": {"label": "标准化村卫生室", "dtype": "bool", "required": True}}
    }
    strict = extend_contract(contract(), doc)
    p = validate_dir(raw, contract=strict)
    miss = p[(p["rule"] == "missing_column") & (p["field"] == "has_clinic")]
    assert list(miss["severity"]) == ["error"]


def test_project_codebook_extends_the_packaged_one(extra_raw, tmp_path, project_contract):
    path = extra_raw / "villages.csv"
    text = path.read_text(encoding="utf-8-sig").replace("标准化村卫生室", "卫生室达标", 1)
    path.write_text(text, encoding="utf-8-sig")
    cb_file = tmp_path / "codebook.yaml"
    cb_file.write_text(
        yaml.safe_dump({"headers": {"villages": {"has_clinic": ["卫生室达标"]}},
                        "values": {"groups": {"likert": {"还行": 3}}}}, allow_unicode=True),
        encoding="utf-8",
    )  # fmt: skip
    cb = load_codebook(cb_file, contract=project_contract)
    assert cb.match_header("villages", "卫生室达标").field == "has_clinic"
    assert cb.match_header("villages", "图书室").field == "has_library"  # packaged still there
    assert cb.value_map("survey", "sat_clinic")["还行"] == 3  # group synonyms reach extra items
    res = ingest(extra_raw, tmp_path / "p", codebook=cb_file, contract=project_contract)
    assert res.tables["villages"]["has_clinic"].notna().all()
    # a dataset codebook extends the project codebook in turn
    layered = load_codebook(cb_file, base=load_codebook(None, contract=project_contract))
    assert layered.match_header("villages", "卫生室达标").field == "has_clinic"


# --- freshness ---------------------------------------------------------------------------------


def test_changed_fields_or_codebook_makes_processed_data_stale(
    extra_raw, tmp_path, fields_file, project_contract
):
    out = tmp_path / "p"
    ingest(extra_raw, out, contract=project_contract)
    assert is_current(extra_raw, out, contract=project_contract)
    assert not is_current(extra_raw, out)  # made under another contract than the packaged one
    changed = dict(
        FIELDS, villages={**FIELDS["villages"], "grade": {"label": "星级", "dtype": "int"}}
    )
    write_fields(fields_file, changed)
    assert not is_current(extra_raw, out, contract=extend_contract(contract(), fields_file))
    # a project codebook, then a changed one
    cb_file = tmp_path / "codebook.yaml"
    cb_file.write_text("ignore_headers: [录入员]\n", encoding="utf-8")
    assert not is_current(extra_raw, out, contract=project_contract, codebook=cb_file)
    ingest(extra_raw, out, codebook=cb_file, contract=project_contract)
    assert is_current(extra_raw, out, contract=project_contract, codebook=cb_file)
    cb_file.write_text("ignore_headers: [录入员, 审核员]\n", encoding="utf-8")
    assert not is_current(extra_raw, out, contract=project_contract, codebook=cb_file)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert (
        manifest["contract"]["extensions"][0]["fields"]["villages"]["has_clinic"]["dtype"] == "bool"
    )
    assert manifest["codebook"]["fingerprint"]


def test_packaged_contract_data_stay_current(raw_dir, tmp_path):
    out = tmp_path / "p"
    ingest(raw_dir, out)
    assert is_current(raw_dir, out)
    assert is_current(raw_dir, out, contract=contract())


# --- dictionary and questionnaire --------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_write_dictionary(tmp_path, project_contract, fields_file, suffix):
    path = write_dictionary(project_contract, tmp_path / f"dictionary{suffix}")
    df = pd.read_csv(path, encoding="utf-8-sig") if suffix == ".csv" else pd.read_excel(path)
    n = sum(len(t.fields) for t in project_contract.tables.values())
    assert len(df) == n
    row = df[df["字段 field"] == "clinic_level"].iloc[0]
    assert row["表 table"] == "villages" and row["来源 source"] == str(fields_file)
    assert row["取值 allowed / range"] == "1=甲级；2=乙级；3=丙级" and row["必填 required"] == "否"
    assert df[df["字段 field"] == "sat_clinic"].iloc[0]["题型/声明 kind"] == "likert"
    assert df[df["字段 field"] == "village"].iloc[0]["来源 source"] == "built-in"
    assert len(dictionary_frame()) == sum(len(t.fields) for t in contract().tables.values())


def test_questionnaire_lists_follow_the_contract(project_contract):
    c = project_contract
    assert "sat_clinic" in questionnaire.likert_items(c)
    assert "sat_clinic" not in questionnaire.likert_items()
    assert "sat_clinic" in questionnaire.sat_items(
        c
    ) and "sat_clinic" in questionnaire.service_items(c)
    assert questionnaire.participation_items(c)[-1] == "used_service_hall"
    assert questionnaire.yesno_items(c) == questionnaire.participation_items(c)
    assert questionnaire.multi_questions(c)["services_used"] == [
        "services_used_a",
        "services_used_b",
    ]
    assert questionnaire.multi_questions(c)["needs"] == questionnaire.needs_items()
    assert questionnaire.question_label("services_used", c) == "用过的服务"
    assert questionnaire.option_label("services_used_b", c) == "医疗"
    assert questionnaire.option_label("need_medical") == "医疗卫生"
    assert questionnaire.numeric_items(c) == ["visits"]
    assert questionnaire.label("sat_clinic_top2", c) == "对村卫生室的满意度"
    assert questionnaire.label("sat_clinic") == "sat_clinic"


def test_extra_likert_item_is_prepared_in_year_design(extra_raw, tmp_path, project_contract):
    s = ingest(extra_raw, tmp_path / "p", contract=project_contract).tables["survey"]
    d = questionnaire.year_design(s, contract=project_contract)
    assert {"sat_clinic_dk", "sat_clinic_top2"} <= set(d.data.columns)
    raw = s[s["year"] == d.data["year"].iloc[0]].reset_index(drop=True)
    dk = raw["sat_clinic_dk"].to_numpy(dtype=float, na_value=np.nan)
    assert not (raw["sat_clinic"] == 9).any() and dk.sum() > 0  # 说不清 is a flag, not a 9
    np.testing.assert_array_equal(d.data["sat_clinic_dk"], dk)
    top2 = d.data["sat_clinic_top2"].to_numpy(dtype=float)
    assert np.isnan(top2[dk == 1]).all()
    assert "sat_clinic_top2" not in questionnaire.year_design(s).data.columns  # not its item
    designs = questionnaire.year_designs(s, contract=project_contract)
    assert all("sat_clinic_top2" in x.data.columns for x in designs.values())
    est = d.mean(["sat_clinic", "sat_clinic_top2"], by=["township"])
    assert est["estimate"].notna().all()
