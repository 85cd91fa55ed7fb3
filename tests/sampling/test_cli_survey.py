"""``commeval survey plan | draw | monitor | weights`` on a small generated project."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from commeval.cli import main


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    root = tmp_path_factory.mktemp("proj")
    assert main(["init", str(root)]) == 0
    assert main(["sample-data", "--project", str(root), "--townships", "3",
                 "--out", str(root / "data" / "raw" / root.name),
                 "--villages-per-township", "8", "--respondents-per-village", "6",
                 "--sampled-villages", "4"]) == 0  # fmt: skip
    return root


def test_plan_draw_monitor_weights(project, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("COMMEVAL_SALT_FILE", str(tmp_path / "salt"))
    p = str(project)
    assert main(["survey", "plan", "--project", p, "--moe", "0.15",
                 "--households-per-village", "6", "--response-rate", "0.8"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "村内相关系数" in out and "抽样方案已写入" in out
    plan = pd.read_csv(project / "fieldwork" / "plan.csv", encoding="utf-8-sig")
    assert (plan["villages"] >= 2).all() and (plan["villages"] <= plan["villages_in_frame"]).all()
    args = ["survey", "draw", "--project", p, "--plan", str(project / "fieldwork" / "plan.csv"),
            "--seed", "7", "--reserves", "2"]  # fmt: skip
    assert main(args) == 0
    design = pd.read_csv(project / "fieldwork" / "design.csv", encoding="utf-8-sig",
                         dtype={"household_no": str})  # fmt: skip
    first = design.copy()
    assert main(args) == 0  # the same seed: the same selection
    again = pd.read_csv(project / "fieldwork" / "design.csv", encoding="utf-8-sig",
                        dtype={"household_no": str})  # fmt: skip
    pd.testing.assert_frame_equal(first, again)
    rec = json.loads((project / "fieldwork" / "selection.json").read_text(encoding="utf-8"))
    assert rec["seed"] == 7 and rec["village_method"] == "systematic"
    assert (project / "fieldwork" / "抽样名单.xlsx").is_file()
    # a 问卷星 export: every sample household answered but two in the first village
    sample = design[design["reserve"] == 0]
    first_v = sample["village"].iloc[0]
    answered = sample.drop(sample.index[sample["village"] == first_v][:2])
    n = len(answered)
    rng = np.random.default_rng(3)
    export = pd.DataFrame({"序号": np.arange(1, n + 1), "所用时间": [f"{x}秒" for x in rng.integers(400, 900, n)],
                           "乡镇": answered["township"].to_numpy(), "行政村": answered["village"].to_numpy(),
                           "样本户编号": answered["household_no"].to_numpy(),
                           "对农村社区建设的总体满意度": rng.integers(1, 6, n)})  # fmt: skip
    export.loc[0, "所用时间"] = "60秒"
    path = tmp_path / "问卷星导出.xlsx"
    export.to_excel(path, index=False)
    assert main(["survey", "monitor", "--project", p, str(path)]) == 0
    out = capsys.readouterr().out
    assert f"已完成 {n} 份，目标 {len(sample)} 份" in out and "答题过快（<300 秒）1 份" in out
    assert (project / "fieldwork" / "进度监测.xlsx").is_file()
    m = int((sample["village"] == first_v).sum())
    assert f"样本户应答率 {n / len(sample):.1%}，已用备用户 0 户" in out
    book = pd.read_excel(
        project / "fieldwork" / "进度监测.xlsx", sheet_name="各村进度", engine="openpyxl"
    )
    row = book[book["village"] == first_v].iloc[0]
    assert row["sample_interviewed"] == m - 2 and row["response_rate"] == pytest.approx((m - 2) / m)
    assert main(["survey", "weights", "--project", p, str(path)]) == 0
    w = pd.read_csv(project / "fieldwork" / "design_weighted.csv", encoding="utf-8-sig")
    f = w[w["village"] == first_v]["nr_factor"].iloc[0]
    assert f == pytest.approx(m / (m - 2))
    assert (w.loc[w["village"] != first_v, "nr_factor"] == 1).all()
    rec = json.loads((project / "fieldwork" / "selection.json").read_text(encoding="utf-8"))
    assert rec["nonresponse"]["by"] == "village" and rec["seed"] == 7


def test_bad_input_exits_2_in_chinese(project, capsys):
    p = str(project)
    assert (
        main(["survey", "plan", "--project", p, "--moe", "0", "--rho", "0", "--deff-kish", "1"])
        == 2
    )
    assert "须为正数" in capsys.readouterr().err
    assert main(["survey", "draw", "--project", p, "--seed", "1"]) == 2
    assert "--villages" in capsys.readouterr().err
    bad = project / "frame.csv"
    pd.DataFrame({"乡镇": ["甲", "甲"], "行政村": ["a", "b"], "户数": ["120", "很多"]}).to_csv(
        bad, index=False, encoding="utf-8-sig"
    )
    assert main(["survey", "draw", "--project", p, "--frame", str(bad), "--villages", "1",
                 "--households", "5", "--seed", "1"]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "第 3 行" in err and "户数" in err and "很多" in err
    assert main(["survey", "monitor", "--project", p, str(project / "none.xlsx"),
                 "--design", str(project / "none.csv")]) == 2  # fmt: skip


def test_the_drawn_design_is_joined_at_ingestion(project, capsys, monkeypatch, tmp_path):
    """The loop closed: the design file `survey draw` writes, named in dataset.yaml, fills the
    returned questionnaires' design columns at `commeval process`; respondents of villages not
    drawn are warned about (here the sample district's own survey, drawn differently)."""
    import shutil

    import yaml

    monkeypatch.setenv("COMMEVAL_SALT_FILE", str(tmp_path / "salt"))
    p = str(project)
    typed = pd.read_csv(
        project / "data" / "raw" / project.name / "survey.csv", encoding="utf-8-sig"
    )
    year = int(typed["调查年度"].max())  # the selection is for the latest year's survey
    assert main(["survey", "draw", "--project", p, "--villages", "5", "--households", "4",
                 "--seed", "11", "--year", str(year)]) == 0  # fmt: skip
    raw = tmp_path / "raw"
    shutil.copytree(project / "data" / "raw" / project.name, raw)
    shutil.copy(project / "fieldwork" / "design.csv", raw / "design.csv")
    meta = yaml.safe_load((raw / "dataset.yaml").read_text(encoding="utf-8"))
    meta["files"]["design"] = {"path": "design.csv"}
    (raw / "dataset.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), "utf-8")
    capsys.readouterr()
    assert main(["process", "--project", p, "--data", str(raw),
                 "--processed", str(tmp_path / "processed")]) == 0  # fmt: skip
    s = pd.read_parquet(tmp_path / "processed" / "survey.parquet")
    d = pd.read_csv(project / "fieldwork" / "design.csv", encoding="utf-8-sig")
    w = d[d["reserve"] == 0].groupby(["township", "village"])["weight"].first()
    pi = d.groupby(["township", "village"])["village_prob"].first()
    key = pd.MultiIndex.from_arrays([s["township"], s["village"]])
    assert s["year"].max() == year and s["year"].nunique() > 1
    latest = s["year"] == year
    drawn = key.isin(w.index) & latest
    assert drawn.any() and (~drawn & latest).any()
    np.testing.assert_allclose(s.loc[drawn, "weight"], w.reindex(key[drawn]).to_numpy())
    assert (s.loc[drawn, "psu"] == s.loc[drawn, "township"] + "/" + s.loc[drawn, "village"]).all()
    np.testing.assert_allclose(s.loc[drawn, "village_prob"], pi.reindex(key[drawn]).to_numpy())
    # the design is that year's selection: earlier years keep their own design columns
    assert s.loc[~drawn, "village_prob"].isna().all()
    earlier = (s["year"] < year).to_numpy()
    np.testing.assert_allclose(s.loc[earlier, "weight"], typed.loc[earlier, "抽样权数"])


def test_the_drawn_year_is_analysed_as_drawn(project, monkeypatch, tmp_path):
    """draw → fieldwork → process → District: the survey year whose villages were drawn by
    systematic PPS is THE year design as drawn — township estimates and SEs equal a two-stage
    `SurveyDesign(..., pps="brewer")` built by hand from the design file's probabilities on the
    same rows (the engine is checked against R in tests/survey/test_pps.py); the earlier year,
    not in the design file, keeps its SRS design with FPC."""
    import shutil

    import yaml

    from commeval.district import load_district
    from commeval.survey import SurveyDesign
    from commeval.survey import questionnaire as q

    monkeypatch.setenv("COMMEVAL_SALT_FILE", str(tmp_path / "salt"))
    p = str(project)
    raw = tmp_path / "raw"
    shutil.copytree(project / "data" / "raw" / project.name, raw)
    old = pd.read_csv(raw / "survey.csv", encoding="utf-8-sig", dtype=str)
    latest = old["调查年度"].astype(int).max()
    assert main(["survey", "draw", "--project", p, "--villages", "4", "--households", "5",
                 "--seed", "23", "--year", str(latest)]) == 0  # fmt: skip
    design = pd.read_csv(project / "fieldwork" / "design.csv", encoding="utf-8-sig",
                         dtype={"household_no": str})  # fmt: skip
    assert (design["year"] == latest).all()
    sample = design[design["reserve"] == 0].reset_index(drop=True)
    first_v = sample["village"].iloc[0]
    answered = sample.drop(sample.index[sample["village"] == first_v][:2])  # 2 nonrespondents
    # the returned questionnaires of the latest year: one per interviewed sample household
    # (answers taken from that township's returns; the design columns left as typed before)
    pool = old[old["调查年度"].astype(int) == latest]
    back = []
    for i, (t, v) in enumerate(zip(answered["township"], answered["village"], strict=True)):
        mine = pool[pool["乡镇"] == t]
        row = mine.iloc[i % len(mine)].copy()
        row["行政村"], row["问卷编号"] = v, f"R{latest}-{i:04d}"
        back.append(row)
    new = pd.concat([old[old["调查年度"].astype(int) < latest], pd.DataFrame(back)])
    new.to_csv(raw / "survey.csv", index=False, encoding="utf-8-sig")
    shutil.copy(project / "fieldwork" / "design.csv", raw / "design.csv")
    meta = yaml.safe_load((raw / "dataset.yaml").read_text(encoding="utf-8"))
    meta["files"]["design"] = {"path": "design.csv"}
    (raw / "dataset.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), "utf-8")
    processed = tmp_path / "processed"
    assert main(["process", "--project", p, "--data", str(raw), "--processed", str(processed)]) == 0

    district = load_district(raw, processed, project=project, mc_draws=20)
    assert district.designs[latest].pps == "brewer"
    assert all(district.designs[y].pps is None for y in district.designs if y < latest)
    rows = district.survey[district.survey["year"] == latest].reset_index(drop=True)
    assert len(rows) == len(answered)
    # by hand: the design file's probabilities, joined to the processed rows
    pi = design.groupby(["township", "village"])[["village_prob", "household_prob"]].first()
    key = pd.MultiIndex.from_arrays([rows["township"], rows["village"]])
    hand_rows = q.prepare(
        rows.drop(columns=["village_prob", "household_prob"]).assign(
            pi1=pi["village_prob"].reindex(key).to_numpy(),
            pi2=pi["household_prob"].reindex(key).to_numpy(),
        )
    )
    hand = SurveyDesign(hand_rows, weights="weight", strata="township", psu="village",
                        ssu="respondent_id", fpc="pi1", fpc2="pi2", pps="brewer", nest=True,
                        lonely_psu="adjust")  # fmt: skip
    items = sorted(district.framework.survey_items)
    assert "sat_overall" in items
    ref = hand.mean(items, by=["township"]).set_index(["township", "variable"])
    est = district.survey_estimates
    mine = est[est["year"] == latest].set_index(["township", "indicator"]).loc[ref.index]
    np.testing.assert_allclose(mine["estimate"], ref["estimate"], rtol=1e-12)
    np.testing.assert_allclose(mine["se"], ref["se"], rtol=1e-12)
    # the weights are the design's (1 / (π_village · n/M)) and the SRS variance differs
    np.testing.assert_allclose(rows["weight"], 1 / (hand_rows["pi1"] * hand_rows["pi2"]), rtol=1e-6)
    srs = SurveyDesign(hand_rows, weights="weight", strata="stratum", psu="psu", fpc="fpc",
                       lonely_psu="adjust").mean(items, by=["township"])  # fmt: skip
    assert not np.allclose(mine["se"], srs.set_index(["township", "variable"]).loc[ref.index, "se"])
