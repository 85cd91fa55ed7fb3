"""Foreign counties with points scorecards (考核评分表), as a new county team brings them:
`commeval init`, its own townships and fields, its own scorecard — through `commeval validate`
and `commeval reports` to pages. One scorecard uses no questionnaire item at all (per-unit
deductions and a capped bonus), one uses only questionnaire items (a yes/no share 知晓率, a county
yes/no item and a Likert mean). Every total is hand-computed here from the generated tables."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from commeval.data.contract import contract, extend_contract
from commeval.synthetic import generate_district, write_raw

pytestmark = pytest.mark.slow

COMMEVAL = Path(sys.executable).with_name("commeval")
TOWNS = ["东风镇", "红旗乡", "向阳镇"]
FIELDS = {"survey": {"used_service_hall": {"label": "到便民服务大厅办过事", "kind": "yesno"}}}
GRADES = {"优秀": 40, "良好": 30, "合格": 20}  # as the office writes it; 不合格 added below


def no_questionnaire_card() -> dict:
    return {
        "version": "2024.3",
        "name": "东方县农村社区建设考核评分表",
        "scoring": "points",
        "bonus_cap": 5,
        "grades": {**GRADES, "不合格": 0},
        "dimensions": {
            "facilities": {
                "label": "服务设施",
                "indicators": {
                    "no_library": {
                        "label": "没有图书室的村",
                        "unit": "个",
                        "direction": "cost",
                        "source": "count(not has_library)",
                        "standard": "每少一个村图书室扣2分，扣完为止",
                        "scoring": {"points": 10, "rule": "units", "deduct": 2},
                    },
                    "police": {
                        "label": "村村有警务室",
                        "unit": "%",
                        "source": "100 * share(has_police_room)",
                        "scoring": {
                            "points": 20,
                            "rule": "tiers",
                            "tiers": [[100, 20], [80, 15], [50, 8]],
                        },
                    },  # fmt: skip
                    "few_activities": {
                        "label": "全年活动不足6次的村",
                        "unit": "个",
                        "direction": "cost",
                        "source": "count(activities_held < 6)",
                        "scoring": {"points": 5, "rule": "units", "deduct": 1},
                    },
                    "culture": {
                        "label": "文化中心站",
                        "source": "townships.has_culture_station",
                        "scoring": {"points": 10, "rule": "yesno"},
                    },
                },
            },
            "bonus": {
                "label": "加分项",
                "indicators": {
                    "sports": {
                        "label": "有文体活动室的村",
                        "source": "count(has_sports_room)",
                        "bonus": True,
                        "scoring": {"points": 3, "rule": "units", "add": 1},
                    },
                    "greening": {
                        "label": "绿化达标村",
                        "source": "count(greening)",
                        "bonus": True,
                        "scoring": {"points": 4, "rule": "units", "add": 1},
                    },
                },
            },
        },
    }


def questionnaire_card() -> dict:
    return {
        "version": "2024.4",
        "name": "西方县群众评议考核评分表",
        "scoring": "points",
        "grades": {"优秀": 20, "合格": 10, "不合格": 0},
        "dimensions": {
            "opinion": {
                "label": "群众评议",
                "indicators": {
                    "knows": {
                        "label": "群众知晓率",
                        "unit": "%",
                        "source": "100 * survey(knows_programme)",
                        "scoring": {"points": 10, "rule": "tiers", "tiers": [[60, 10], [50, 6]]},
                    },
                    "hall": {
                        "label": "到便民服务大厅办过事的比例",
                        "unit": "%",
                        "source": "100 * survey(used_service_hall)",
                        "scoring": {"points": 5, "rule": "linear", "full_at": 50, "zero_at": 0},
                    },
                    "satisfied": {
                        "label": "总体满意度",
                        "unit": "分",
                        "source": "survey(sat_overall)",
                        "scoring": {"points": 10, "rule": "linear", "full_at": 4.5, "zero_at": 2.5},
                    },
                },
            }
        },
    }


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(COMMEVAL), *args], cwd=cwd, capture_output=True, text=True, timeout=900
    )


def project(tmp_path: Path, card: dict, seed: int) -> tuple[Path, dict[str, pd.DataFrame]]:
    out = run("init", "county", "--name", "县评估", "--district", "东方县", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    root = tmp_path / "county"
    meta = yaml.safe_load((root / "commeval.yaml").read_text(encoding="utf-8"))
    tables = generate_district(townships=TOWNS, villages_per_township=6,
                               respondents_per_village=12, sampled_villages=4, seed=seed)  # fmt: skip
    rng = np.random.default_rng(seed)
    tables["survey"]["used_service_hall"] = rng.random(len(tables["survey"])) < 0.4
    (root / "config" / "fields.yaml").write_text(
        yaml.safe_dump(FIELDS, allow_unicode=True), encoding="utf-8"
    )
    (root / "config" / "framework.yaml").write_text(
        yaml.safe_dump(card, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    write_raw(tables, root / meta["dataset"], name="东方县",
              contract=extend_contract(contract(), FIELDS))  # fmt: skip
    return root, tables


def page_text(root: Path, town: str) -> str:
    html = (root / "outputs" / "latest" / "townships" / f"{town}.html").read_text("utf-8")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def evaluated(root: Path) -> pd.DataFrame:
    from commeval.district import load_district

    return load_district(project=root).evaluation.scores.set_index("township")


def pts(x: float) -> str:
    return f"{x:.1f}".removesuffix(".0")


def grade_of(total: float, grades: dict) -> str:
    return next(g for g, m in sorted(grades.items(), key=lambda kv: -kv[1]) if total >= m)


def test_scorecard_without_questionnaire_items(tmp_path):
    card = no_questionnaire_card()
    root, t = project(tmp_path, card, seed=11)
    assert run("validate", cwd=root).returncode == 0
    out = run("reports", "--jobs", "2", cwd=root)
    assert out.returncode == 0, out.stdout + out.stderr  # no KeyError 'township'

    scores = evaluated(root)
    v = t["villages"][t["villages"]["year"] == t["villages"]["year"].max()]
    towns = t["townships"].set_index("township")
    for town in TOWNS:
        g = v[v["township"] == town]
        lib = max(0, 10 - 2 * int((~g["has_library"].astype(bool)).sum()))
        share = 100 * g["has_police_room"].astype(bool).mean()
        police = 20 if share >= 100 else 15 if share >= 80 else 8 if share >= 50 else 0
        acts = max(0, 5 - int((g["activities_held"] < 6).sum()))
        culture = 10 if bool(towns.loc[town, "has_culture_station"]) else 0
        bonus = min(3, int(g["has_sports_room"].astype(bool).sum())) + min(
            4, int(g["greening"].astype(bool).sum())
        )
        total = lib + police + acts + culture + min(bonus, 5)
        assert scores.loc[town, "points"] == pytest.approx(total), town
        assert scores.loc[town, "max_points"] == 45
        text = page_text(root, town)
        assert re.search(rf"得分 {re.escape(pts(total))} 满分 45", text), (town, total)
        assert scores.loc[town, "grade"] == grade_of(total, card["grades"])
        assert f"等级 {grade_of(total, card['grades'])}" in text
        assert "没有图书室的村" in text


def test_scorecard_with_only_questionnaire_items(tmp_path):
    card = questionnaire_card()
    root, t = project(tmp_path, card, seed=12)
    assert run("validate", cwd=root).returncode == 0
    out = run("reports", "--jobs", "2", cwd=root)
    assert out.returncode == 0, out.stdout + out.stderr

    scores = evaluated(root)
    s = t["survey"][t["survey"]["year"] == t["survey"]["year"].max()]
    for town in TOWNS:
        g = s[s["township"] == town]
        w = g["weight"]
        knows = 100 * (w * g["knows_programme"].astype(float)).sum() / w.sum()
        hall = 100 * (w * g["used_service_hall"].astype(float)).sum() / w.sum()
        ok = g["sat_overall"].isin([1, 2, 3, 4, 5])  # 说不清 (9) is no answer
        sat = (w[ok] * g.loc[ok, "sat_overall"]).sum() / w[ok].sum()
        total = (
            (10 if knows >= 60 else 6 if knows >= 50 else 0)
            + 5 * min(max(hall / 50, 0), 1)
            + 10 * min(max((sat - 2.5) / 2, 0), 1)
        )
        assert scores.loc[town, "points"] == pytest.approx(total), (town, knows, hall, sat)
        text = page_text(root, town)
        assert re.search(rf"得分 {re.escape(pts(total))} 满分 25", text), (town, total)
        assert f"等级 {grade_of(total, card['grades'])}" in text
