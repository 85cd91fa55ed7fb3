"""Benchmark of the index engine (commeval.index.evaluate).

Generated district: 2,000 townships × 20 villages (40,000 villages a year, two years), the default
framework extended to 40 indicators, 1,000 Monte Carlo draws with the sensitivity design
(n·(k + 2) composite runs), survey sampling error included.

    .venv/bin/python benchmarks/bench_index.py [--townships 2000] [--draws 1000]

Data generation and the survey engine's township estimates are timed separately; the goal
(< 10 s on 2 cores) is for ``evaluate``.
"""

from __future__ import annotations

import argparse
import copy
import time
from importlib import resources

import yaml

from commeval.index import evaluate, parse_framework, survey_indicators
from commeval.synthetic import generate_district

EXTRA = [
    "has_party_office",
    "has_sports_room",
    "has_elderly_room",
    "has_social_security_station",
    "has_health_station",
    "has_agri_service_station",
    "has_affairs_board",
    "has_service_hall",
    "has_community_school",
    "has_fitness_square",
    "road_access",
    "water_access",
    "power_access",
    "internet_access",
]


def bench_framework():
    """The default framework plus a 14-indicator dimension: 40 indicators."""
    text = (resources.files("commeval") / "config" / "framework.yaml").read_text(encoding="utf-8")
    doc = copy.deepcopy(yaml.safe_load(text))
    for d in doc["dimensions"].values():
        d["weight"] = d["weight"] * 0.9
    doc["dimensions"]["extra"] = {
        "label": "扩展指标（基准测试用）",
        "weight": 0.1,
        "indicators": {
            f"extra_{c}": {
                "label": c,
                "unit": "%",
                "source": f"100 * share({c})",
                "direction": "benefit",
                "target": 100,
                "weight": 1 / len(EXTRA),
            }
            for c in EXTRA
        },
    }
    # weights × 0.9 do not sum to exactly 1 in floating point; rescale the last one
    tot = sum(d["weight"] for d in doc["dimensions"].values())
    doc["dimensions"]["extra"]["weight"] += 1 - tot
    return parse_framework(doc, "<benchmark framework>")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--townships", type=int, default=2000)
    ap.add_argument("--villages", type=int, default=20)
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=20121)
    args = ap.parse_args()
    fw = bench_framework()
    t = time.perf_counter()
    tables = generate_district(
        townships=args.townships,
        villages_per_township=args.villages,
        respondents_per_village=3,
        years=(2011, 2012),
        seed=args.seed,
        with_personal=False,
    )
    t_gen = time.perf_counter() - t
    t = time.perf_counter()
    est = survey_indicators(tables["survey"], sorted(fw.survey_items))
    t_survey = time.perf_counter() - t
    t = time.perf_counter()
    res = evaluate(tables, fw, year=2012, survey=est, mc_draws=args.draws, seed=args.seed)
    t_eval = time.perf_counter() - t
    t = time.perf_counter()
    evaluate(
        tables, fw, year=2012, survey=est, mc_draws=args.draws, seed=args.seed, sensitivity=False
    )
    t_unc = time.perf_counter() - t
    n_vil = int((tables["villages"]["year"] == 2012).sum())
    print(
        f"townships={len(res.scores)} villages/year={n_vil} indicators={len(fw.indicators)} "
        f"draws={args.draws} groups={res.sensitivity['assumption'].nunique()}"
    )
    print(f"generate_district            {t_gen:7.2f} s (not part of the goal)")
    print(f"survey_indicators            {t_survey:7.2f} s (survey engine; not part of the goal)")
    print(f"evaluate (MC + sensitivity)  {t_eval:7.2f} s  goal < 10 s")
    print(f"evaluate (MC only)           {t_unc:7.2f} s")


if __name__ == "__main__":
    main()
