"""Builders of tiny canonical tables and framework documents for the index tests."""

from __future__ import annotations

import pandas as pd


def mini_doc() -> dict:
    """A two-dimension framework over a few village columns."""
    return {
        "version": "test-1",
        "grades": {"优秀": 85, "良好": 70, "合格": 60, "不合格": 0},
        "steps": {"imputation": "median", "normalisation": "target"},
        "dimensions": {
            "facilities": {
                "label": "设施",
                "weight": 0.6,
                "indicators": {
                    "police": {
                        "label": "警务室比例",
                        "unit": "%",
                        "source": "100 * share(has_police_room)",
                        "direction": "benefit",
                        "target": 100,
                        "weight": 0.5,
                    },
                    "center": {
                        "label": "服务中心≥300㎡比例",
                        "unit": "%",
                        "source": "100 * share(service_center_m2 >= 300)",
                        "direction": "benefit",
                        "target": 50,
                        "weight": 0.5,
                    },
                },
            },
            "community": {
                "label": "新型社区",
                "weight": 0.4,
                "indicators": {
                    "reclaimed": {
                        "label": "复耕完成率",
                        "unit": "%",
                        "source": "100 * sum(communities.land_reclaimed_mu)"
                        " / sum(communities.land_reclaim_target_mu)",
                        "direction": "benefit",
                        "target": 100,
                        "weight": 1.0,
                        "missing": "not_applicable",
                    }
                },
            },
        },
    }


def mini_tables(year: int = 2012) -> dict[str, pd.DataFrame]:
    """Three townships: A (2 villages), B (2 villages), C (1 village); only A has a community."""
    townships = pd.DataFrame(
        {
            "township": ["A", "B", "C"],
            "population": [3000, 2000, 1000],
            "households": [900, 600, 300],
            "has_culture_station": [True, False, True],
        }
    )
    villages = pd.DataFrame(
        {
            "year": year,
            "township": ["A", "A", "B", "B", "C"],
            "village": ["a1", "a2", "b1", "b2", "c1"],
            "population": [1500, 1500, 1000, 1000, 1000],
            "has_police_room": [True, True, True, False, False],
            "service_center_m2": [320.0, 100.0, 0.0, 80.0, 300.0],
            "funding_yuan": [30000.0, 10000.0, 5000.0, 5000.0, 0.0],
        }
    )
    communities = pd.DataFrame(
        {
            "year": year,
            "township": ["A"],
            "community": ["新社区"],
            "land_reclaim_target_mu": [200.0],
            "land_reclaimed_mu": [150.0],
        }
    )
    return {"townships": townships, "villages": villages, "communities": communities}
