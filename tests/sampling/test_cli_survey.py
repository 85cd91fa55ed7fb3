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
    assert main(["survey", "draw", "--project", p, "--villages", "5", "--households", "4",
                 "--seed", "11"]) == 0  # fmt: skip
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
    key = pd.MultiIndex.from_arrays([s["township"], s["village"]])
    drawn = key.isin(w.index)
    assert drawn.any() and (~drawn).any()
    np.testing.assert_allclose(s.loc[drawn, "weight"], w.reindex(key[drawn]).to_numpy())
    assert (s.loc[drawn, "psu"] == s.loc[drawn, "township"] + "/" + s.loc[drawn, "village"]).all()
