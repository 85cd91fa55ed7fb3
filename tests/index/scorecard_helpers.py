"""A small scorecard over the mini district (tests/index/helpers.py), with hand-computed
points for every rule type (see test_scorecard.py)."""

from __future__ import annotations


def points_doc() -> dict:
    police = "100 * share(has_police_room)"
    return {
        "version": "test-points-1",
        "name": "测试评分表",
        "scoring": "points",
        "bonus_cap": 5,
        "grades": {"优秀": 70, "良好": 50, "合格": 30, "不合格": 0},
        "veto": [{"when": "police < 40", "label": "警务室覆盖不足四成", "grade": "不合格"}],
        "dimensions": {
            "d1": {
                "label": "设施",
                "indicators": {
                    "police": {
                        "label": "村村有警务室",
                        "unit": "%",
                        "source": police,
                        "scoring": {
                            "points": 20,
                            "rule": "tiers",
                            "tiers": [[100, 20], [80, 15], [50, 10]],
                        },
                    },
                    "center": {
                        "label": "服务中心平均面积",
                        "unit": "平方米",
                        "source": "mean(service_center_m2)",
                        "scoring": {"points": 10, "rule": "linear", "full_at": 300, "zero_at": 0},
                    },
                    "culture": {
                        "source": "townships.has_culture_station",
                        "scoring": {"points": 10, "rule": "yesno"},
                    },
                    "police_half": {
                        "label": "半数以上村有警务室",
                        "source": police,
                        "scoring": {"points": 5, "rule": "yesno", "when": "police >= 50"},
                    },
                },
            },
            "d2": {
                "label": "投入与村级",
                "indicators": {
                    "funding": {
                        "label": "人均投入",
                        "unit": "元/人",
                        "source": "sum(funding_yuan) / sum(population)",
                        "scoring": {
                            "points": 10,
                            "rule": "deduct",
                            "from": 8,
                            "per": 2,
                            "deduct": 3,
                        },
                    },
                    "funding_whole": {
                        "label": "人均投入（整单位）",
                        "unit": "元/人",
                        "source": "sum(funding_yuan) / sum(population)",
                        "scoring": {
                            "points": 10,
                            "rule": "deduct",
                            "from": 8,
                            "per": 2,
                            "deduct": 3,
                            "whole_units": True,
                        },
                    },
                    "no_police": {
                        "label": "无警务室村比例",
                        "unit": "%",
                        "direction": "cost",
                        "source": f"100 - {police}",
                        "scoring": {"points": 5, "rule": "tiers", "tiers": [[0, 5], [50, 2]]},
                    },
                    "center_village": {
                        "label": "各村服务中心面积",
                        "unit": "平方米",
                        "source": "mean(service_center_m2)",
                        "scoring": {
                            "points": 4,
                            "rule": "tiers",
                            "tiers": [[300, 4], [100, 2]],
                            "per": "village",
                        },
                    },
                    "center_full": {
                        "label": "服务中心达300平方米的村",
                        "unit": "平方米",
                        "source": "mean(service_center_m2)",
                        "scoring": {
                            "points": 4,
                            "rule": "tiers",
                            "tiers": [[300, 4], [100, 2]],
                            "per": "village",
                            "combine": "full_share",
                        },
                    },
                },
            },
            "bonus": {
                "label": "加分项",
                "indicators": {
                    "bonus_police": {
                        "label": "警务室全覆盖",
                        "source": police,
                        "bonus": True,
                        "scoring": {"points": 3, "rule": "tiers", "tiers": [[100, 3]]},
                    },
                    "bonus_culture": {
                        "label": "文化站",
                        "source": "townships.has_culture_station",
                        "bonus": True,
                        "scoring": {"points": 4, "rule": "yesno"},
                    },
                },
            },
        },
    }
