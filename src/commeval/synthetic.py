"""The synthetic sample district (示例数据) — a module above the engines: its survey is drawn
with the sampling engine's selection functions (townships as strata, villages by simple random
sampling, :func:`commeval.sampling.select.srs`), its tables follow the data contract.

Modelled on the district report behind commeval (郾城区-like: 8 乡镇, 163 行政村, 12 试点村, four new
rural residential communities with their published figures) but every village-level number is
generated. Deterministic for a seed; scales to province-sized districts for benchmarks.

``generate_district`` returns canonical tables (contract names and dtypes); ``write_raw`` writes
them the way a district office would deliver them: CSV with Chinese headers, 是/否, level labels,
and a raw survey that still carries (fake) personal data, which ingestion must remove.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from commeval.data.contract import Contract, contract
from commeval.data.contract import contract as _packaged
from commeval.data.conventions import AGE_BREAKS, DESIGN, DONT_KNOW, PSU_SEPARATOR
from commeval.files import atomic_path
from commeval.sampling.select import srs

DEFAULT_SEED = 20121
DEFAULT_YEARS = (2011, 2012)

# The district's eight rural townships (郾城区 since 2004, less the urban 沙北街道) and village
# counts adding up to the report's 163 administrative villages.
DISTRICT_TOWNSHIPS = {
    "城关镇": 22,
    "孟庙镇": 21,
    "商桥镇": 23,
    "裴城镇": 24,
    "新店镇": 19,
    "龙城镇": 18,
    "李集镇": 20,
    "黑龙潭乡": 16,
}
# Twelve pilot villages; the report names the first five.
PILOT_VILLAGES = [
    ("商桥镇", "靳庄"),
    ("裴城镇", "何庄"),
    ("孟庙镇", "刘庄"),
    ("城关镇", "王堂"),
    ("新店镇", "小赵"),
    ("商桥镇", "大闫"),
    ("裴城镇", "三丁"),
    ("龙城镇", "前郭"),
    ("李集镇", "后王"),
    ("黑龙潭乡", "东李"),
    ("孟庙镇", "许店"),
    ("龙城镇", "孙营"),
]
PAIRED_UNITS = [
    "区民政局",
    "区财政局",
    "区农业局",
    "区国土资源局",
    "区住建局",
    "区委组织部",
    "区委宣传部",
    "区卫生局",
    "区教育局",
    "区文广新局",
    "区公安分局",
    "区司法局",
]
_SURNAMES = list(
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁"
    "魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段钱汤尹黎"
)
_VILLAGE_SUFFIX = list("庄村营寨楼岗湾店集桥屯堂")
_VILLAGE_PREFIX = ["", "大", "小", "前", "后", "东", "西", "南", "北"]
_TOWN_SYLLABLES = list("安宝昌丰福广和河华吉建金康乐柳龙茂明宁平青清仁瑞盛顺太泰天王文祥新兴阳永")
_GIVEN = list("建国华明军平伟芳秀英兰桂玉红丽强磊洋勇静敏燕霞刚杰涛斌超")
SUGGESTIONS = [
    "",
    "",
    "",
    "希望多组织文体活动",
    "卫生室药品太少，看病还要去镇上",
    "希望村里的路灯能修好",
    "老人没人照顾，希望办个日间照料中心",
    "垃圾清运不及时",
    "村务公开要更及时",
    "希望新社区的房价能便宜一些",
    "图书室经常不开门",
    "希望多搞些技术培训",
]


def township_names(n: int) -> list[str]:
    """``n`` township names: the district's own first, then generated ones (X集镇, XY乡…)."""
    names = list(DISTRICT_TOWNSHIPS)[:n]
    syl, k = _TOWN_SYLLABLES, len(_TOWN_SYLLABLES)
    i = 0
    while len(names) < n:
        a, b = syl[i % k], syl[(i // k) % k]
        suffix = "镇" if (i // (k * k)) % 2 == 0 else "乡"
        extra = "" if i < 2 * k * k else str(i // (2 * k * k))
        cand = f"{a}集{suffix}" if a == b else f"{a}{b}{extra}{suffix}"
        if cand not in names:
            names.append(cand)
        i += 1
    return names


def _village_names(rng: np.random.Generator, n: int, reserved: Sequence[str]) -> list[str]:
    """``n`` distinct village names avoiding ``reserved``."""
    taken = set(reserved)
    out: list[str] = []
    while len(out) < n:
        k = (n - len(out)) * 2 + 8
        pre = rng.choice(_VILLAGE_PREFIX, k, p=[0.6] + [0.05] * 8)
        sur = rng.choice(_SURNAMES, k)
        suf = rng.choice(_VILLAGE_SUFFIX, k)
        for p, s, x in zip(pre, sur, suf, strict=True):
            name = f"{p}{s}{x}" if p == "" else f"{p}{s}"
            if p and rng.random() < 0.4:
                name = f"{p}{s}{x}"
            if name not in taken:
                taken.add(name)
                out.append(name)
                if len(out) == n:
                    break
    return out


def _known_communities(towns: Sequence[str]) -> list[dict[str, Any]]:
    """The four new communities with the report's published figures (the rest is synthetic)."""
    rows = [
        dict(
            township="商桥镇",
            community="商桥镇中心社区",
            alias="大闫社区",
            villages_covered=4,
            planned_area_mu=500.0,
            planned_units=800,
            target_households=800,
            target_population=3200,
            land_reclaim_target_mu=1000.0,
            phases_planned=3,
            buildings_planned=None,
            progress=(0.0, 0.0),  # phase one (100 units) up to the second floor
            phases=(0, 0),
            due=((0, 0), (100, 1)),  # (units, phases) the plan requires by each year
            land_due=(0.0, 62.0),  # 亩 to be reclaimed by each year (old homes vacated)
            status=("under_construction", "under_construction"),
        ),
        dict(
            township="商桥镇",
            community="商桥镇和谐社区",
            alias="小杨社区",
            villages_covered=5,
            planned_area_mu=294.0,
            planned_units=2280,
            target_households=2280,
            target_population=11050,
            land_reclaim_target_mu=3606.0,
            phases_planned=5,
            buildings_planned=57,
            progress=(0.0, 0.2),  # phase one finished by the end of the second year
            phases=(0, 1),
            due=((0, 0), (456, 1)),
            land_due=(0.0, 361.0),
            status=("under_construction", "partly_completed"),
        ),
        dict(
            township="裴城镇",
            community="裴城镇三丁社区",
            alias=None,
            villages_covered=3,
            planned_area_mu=260.0,
            planned_units=1000,
            target_households=1000,
            target_population=5000,
            land_reclaim_target_mu=780.0,
            phases_planned=2,
            buildings_planned=None,
            progress=(0.0, 0.3),  # the 350 m commercial street first
            phases=(0, 1),
            due=((0, 0), (500, 1)),
            land_due=(0.0, 195.0),
            status=("under_construction", "partly_completed"),
        ),
        dict(
            township="裴城镇",
            community="裴城镇中心社区",
            alias="苏侯社区",
            villages_covered=6,
            planned_area_mu=314.0,
            planned_units=2500,
            target_households=2500,
            target_population=10000,
            land_reclaim_target_mu=1250.0,
            phases_planned=4,
            buildings_planned=None,
            progress=(0.0, 0.0),  # planning done, land procedures under way
            phases=(0, 0),
            due=((0, 0), (0, 0)),  # construction to start at the end of the year
            land_due=(0.0, 0.0),
            status=("planning", "planning"),
        ),
    ]
    return [r for r in rows if r["township"] in towns]


def generate_district(
    townships: int | Sequence[str] | None = None,
    villages_per_township: int | None = None,
    respondents_per_village: int = 15,
    years: Sequence[int] = DEFAULT_YEARS,
    seed: int = DEFAULT_SEED,
    sampled_villages: int | None = 8,
    with_personal: bool = True,
) -> dict[str, pd.DataFrame]:
    """Generate a synthetic district as canonical tables keyed by contract table name.

    ``townships``: None (the district's eight), a count, or a list of names.
    ``villages_per_township``: None keeps the district's own counts (163 villages) for its
    townships and 20 for generated ones. ``sampled_villages``: villages drawn per township in the
    survey's first stage (None: all). ``with_personal`` adds fake personal columns to the survey.
    """
    rng = np.random.default_rng(seed)
    years = sorted(int(y) for y in years)
    if not years:
        raise ValueError("years: at least one survey year is needed")
    if townships is None:
        towns = list(DISTRICT_TOWNSHIPS)
    elif isinstance(townships, int):
        if townships < 1:
            raise ValueError(f"townships: need at least 1, got {townships}")
        towns = township_names(townships)
    else:
        towns = list(dict.fromkeys(townships))
    if villages_per_township is not None and villages_per_township < 1:
        raise ValueError(f"villages_per_township: need at least 1, got {villages_per_township}")
    counts = np.array(
        [
            villages_per_township
            if villages_per_township is not None
            else DISTRICT_TOWNSHIPS.get(t, 20)
            for t in towns
        ]
    )
    nt, nv = len(towns), int(counts.sum())
    town_idx = np.repeat(np.arange(nt), counts)
    q_town = rng.normal(0, 1, nt)  # latent quality of each township's work

    # Villages: names, pilots, latent quality.
    pilot_map: dict[str, list[str]] = {}
    for t, v in PILOT_VILLAGES:
        if t in towns:
            pilot_map.setdefault(t, []).append(v)
    if not pilot_map:  # generated districts: one pilot village in each of the first 12 townships
        pilot_map = {t: [] for t in towns[:12]}
    names: list[str] = []
    is_pilot = np.zeros(nv, bool)
    start = 0
    for i, t in enumerate(towns):
        k = int(counts[i])
        pil = pilot_map.get(t, [])[:k]
        gen = _village_names(rng, k - len(pil), pil)
        block = pil + gen
        names.extend(block)
        if t in pilot_map:
            n_p = max(len(pil), 1)
            is_pilot[start : start + n_p] = True
        start += k
    q_vil = q_town[town_idx] + rng.normal(0, 0.7, nv) + 0.8 * is_pilot
    pop = np.clip(rng.lognormal(np.log(2300), 0.45, nv), 600, 9000).astype(int)
    hh = (pop / rng.uniform(3.6, 4.4, nv)).astype(int)
    adults = (pop * rng.uniform(0.74, 0.84, nv)).astype(int)

    def p(base: float, slope: float = 0.8, growth: float = 0.0) -> np.ndarray:
        """Probability per village from a base rate, shifted on the logit scale by quality."""
        lo = np.log(base / (1 - base)) + slope * q_vil + growth
        return 1 / (1 + np.exp(-lo))

    u = rng.random((nv, 40))  # one uniform per village and item, so later years only improve
    yearly = []
    n_years = len(years)
    for yi, year in enumerate(years):
        g = 0.45 * (yi - (n_years - 1))  # the last year is the reference; earlier years lower
        pil = is_pilot
        flags = {
            "has_party_office": (u[:, 0] < p(0.78, growth=g)) | pil,
            "has_police_room": (u[:, 1] < p(0.62, growth=g)) | pil,
            "has_library": (u[:, 2] < p(0.66, growth=g)) | pil,
            "has_sports_room": (u[:, 3] < p(0.52, growth=g)) | pil,
            "has_elderly_room": (u[:, 4] < p(0.45, growth=g)) | (pil & (u[:, 4] < 0.9)),
            "has_social_security_station": (u[:, 5] < p(0.40, growth=g)) | (pil & (u[:, 5] < 0.9)),
            "has_health_station": u[:, 6] < p(0.80, growth=g),
            "has_agri_service_station": (u[:, 7] < p(0.35, growth=g)) | (pil & (u[:, 7] < 0.8)),
            "has_affairs_board": u[:, 8] < p(0.93, growth=g),
            "has_service_hall": (u[:, 9] < p(0.30, growth=g)) | pil,
            "has_community_school": (u[:, 10] < p(0.20, growth=g)) | (pil & (u[:, 10] < 0.7)),
            "has_fitness_square": (u[:, 11] < p(0.38, growth=g)) | (pil & (u[:, 11] < 0.9)),
            "road_access": u[:, 12] < p(0.97, 0.5, g),
            "water_access": u[:, 13] < p(0.90, 0.6, g),
            "power_access": u[:, 14] < p(0.995, 0.3, g),
            "internet_access": u[:, 15] < p(0.72, 0.8, g),
            "improved_water": u[:, 16] < p(0.68, 0.8, g),
            "improved_toilets": u[:, 17] < p(0.48, 0.9, g),
            "improved_pens": u[:, 18] < p(0.33, 0.9, g),
            "improved_garbage": u[:, 19] < p(0.55, 0.9, g),
            "greening": u[:, 20] < p(0.50, 0.9, g),
        }
        center = np.where(
            pil,
            np.round(300 + 320 * u[:, 21] + 30 * (yi - n_years + 1), 0),
            np.where(
                u[:, 22] < p(0.75, growth=g),
                np.round(60 + 260 * u[:, 23] + 20 * q_vil, 0),
                0.0,
            ),
        )
        center = np.where(pil, np.maximum(center, 300.0), np.clip(center, 0, 1000))
        # Demonstration levels: ≥ 70 % / ≥ 75 % at district level or above in the last year.
        demo = []
        for col, base in ((24, 0.73), (25, 0.78)):
            above = u[:, col] < p(base, 0.9, g)
            step = u[:, col + 2]
            lvl = np.select(
                [~above, step < 0.62, step < 0.85, step < 0.97],
                ["none", "district", "city", "province"],
                "national",
            )
            demo.append(lvl)
        grads = np.where(u[:, 28] < 0.08, 0, np.where(u[:, 28] > 0.94, 2, 1))
        paired = pil | (u[:, 29] < p(0.25, 0.5))
        unit_ix = (np.arange(nv) * 7 + town_idx) % len(PAIRED_UNITS)
        done = np.where(paired, rng.poisson(np.clip(1.2 + 0.5 * q_vil + 0.3 * yi, 0.1, None)), 0)
        funding = np.round(
            np.where(pil, 250_000, 40_000)
            * np.exp(0.35 * q_vil + 0.15 * g)
            * (0.7 + 0.6 * u[:, 30]),
            -2,
        )
        orgs = {
            "org_elderly_assoc": (u[:, 31] < p(0.68, growth=g)).astype(int),
            "org_disabled_assoc": (u[:, 32] < p(0.40, growth=g)).astype(int),
            "org_family_planning_assoc": (u[:, 33] < p(0.88, growth=g)).astype(int),
            "org_red_white_council": (u[:, 34] < p(0.60, growth=g)).astype(int),
            "org_culture_sports_teams": rng.poisson(np.exp(0.1 + 0.4 * q_vil + 0.2 * g)),
            "org_volunteer_teams": rng.poisson(np.exp(-0.5 + 0.4 * q_vil + 0.2 * g)),
        }
        frame = pd.DataFrame(
            {
                "year": year,
                "township": np.asarray(towns, dtype=object)[town_idx],
                "village": names,
                "is_pilot": is_pilot,
                "population": pop,
                "households": hh,
                "service_center_m2": center.astype(float),
                **flags,
                "affairs_demo_level": demo[0],
                "rule_of_law_demo_level": demo[1],
                "has_representative_council": (u[:, 35] < 0.96) | (yi == n_years - 1),
                "college_grad_officials": grads,
                "committee_members": 3 + (u[:, 36] * 3).astype(int),
                "funding_yuan": funding,
                "paired_unit": np.where(paired, np.asarray(PAIRED_UNITS)[unit_ix], None),
                "paired_projects_done": done,
                **orgs,
                "activities_held": rng.poisson(np.exp(1.7 + 0.35 * q_vil + 0.2 * g)),
            }
        )
        yearly.append(frame)
    villages = pd.concat(yearly, ignore_index=True)

    last = villages[villages["year"] == years[-1]]
    tw = last.groupby("township", sort=False)[["population", "households"]].sum()
    townships_df = pd.DataFrame(
        {
            "township": towns,
            "population": (tw.loc[towns, "population"].to_numpy() * 1.08).astype(int),
            "households": (tw.loc[towns, "households"].to_numpy() * 1.08).astype(int),
            "has_culture_station": rng.random(nt) < 1 / (1 + np.exp(-(1.6 + q_town))),
        }
    )

    communities = _communities(rng, towns, years, q_town)
    survey, population = _survey(
        rng, towns, town_idx, names, adults, q_vil, villages, years,
        respondents_per_village, sampled_villages, with_personal,
    )  # fmt: skip
    return _typed(
        {
            "townships": townships_df,
            "villages": villages,
            "communities": communities,
            "survey": survey,
            "population": population,
        }
    )


def _communities(
    rng: np.random.Generator, towns: list[str], years: list[int], q_town: np.ndarray
) -> pd.DataFrame:
    known = _known_communities(towns)
    real = bool(known)
    # Generated townships (or a district without the report's communities): a new community in
    # about a quarter of them.
    for i, t in enumerate(towns):
        if i % 4 == 1 and not (real and t in DISTRICT_TOWNSHIPS):
            units = int(rng.integers(4, 20)) * 100
            known.append(
                dict(
                    township=t,
                    community=f"{t}中心社区",
                    alias=None,
                    villages_covered=int(rng.integers(2, 7)),
                    planned_area_mu=float(rng.integers(150, 520)),
                    planned_units=units,
                    target_households=units,
                    target_population=units * 4,
                    land_reclaim_target_mu=float(units * rng.uniform(0.8, 1.6)).__round__(0),
                    phases_planned=int(rng.integers(2, 6)),
                    buildings_planned=None,
                    progress=(0.0, float(np.clip(0.2 + 0.2 * q_town[i], 0, 0.8))),
                    phases=(0, 1),
                    status=("under_construction", "partly_completed"),
                )
            )
    rows = []
    for c in known:
        for yi, year in enumerate(years):
            j = min(max(yi - (len(years) - 2), 0), 1) if len(years) > 1 else 1
            frac = c["progress"][j]
            done = int(round(c["planned_units"] * frac))
            moved = int(round(done * 0.6))
            rows.append(
                dict(
                    year=year,
                    township=c["township"],
                    community=c["community"],
                    alias=c["alias"],
                    villages_covered=c["villages_covered"],
                    planned_area_mu=c["planned_area_mu"],
                    planned_units=c["planned_units"],
                    completed_units=done,
                    target_households=c["target_households"],
                    households_moved_in=moved,
                    target_population=c["target_population"],
                    land_reclaim_target_mu=c["land_reclaim_target_mu"],
                    land_reclaimed_mu=round(c["land_reclaim_target_mu"] * frac * 0.5, 0),
                    phases_planned=c["phases_planned"],
                    phases_completed=c["phases"][j],
                    buildings_planned=c["buildings_planned"],
                    planned_units_due=c["due"][j][0] if "due" in c else None,
                    phases_due=c["due"][j][1] if "due" in c else None,
                    land_reclaim_due_mu=c["land_due"][j] if "land_due" in c else None,
                    status=c["status"][j],
                )
            )
    cols = list(contract()["communities"].fields)
    return pd.DataFrame(rows, columns=cols)


#: Age bounds of the generated respondents: the convention's age groups, the last up to 85.
_AGE_BOUNDS = list(zip(AGE_BREAKS, [b - 1 for b in AGE_BREAKS[1:]] + [85], strict=True))
_POP_AGE_SHARE = np.array([0.24, 0.27, 0.27, 0.22])  # rural adults (16+)
_SAMPLE_AGE_SHARE = np.array([0.10, 0.22, 0.33, 0.35])  # who is at home when the interviewer calls
LIKERT_ITEMS = [
    ("sat_overall", None, 0.0),
    ("sat_service_center", "service_center_m2", 0.1),
    ("sat_health", "has_health_station", -0.1),
    ("sat_elderly_care", "has_elderly_room", -0.45),
    ("sat_culture_sports", "has_sports_room", -0.25),
    ("sat_security", "has_police_room", 0.25),
    ("sat_environment", "improved_garbage", -0.15),
    ("sat_village_affairs", "has_affairs_board", 0.05),
    ("sat_cadres", None, 0.0),
    ("willing_to_move", None, -0.2),
]
NEEDS = [
    ("need_elderly_care", 0.46),
    ("need_medical", 0.52),
    ("need_culture_sports", 0.24),
    ("need_employment", 0.36),
    ("need_legal_aid", 0.10),
    ("need_child_care", 0.16),
    ("need_security", 0.14),
    ("need_sanitation", 0.22),
]


def _survey(
    rng: np.random.Generator,
    towns: list[str],
    town_idx: np.ndarray,
    names: list[str],
    adults: np.ndarray,
    q_vil: np.ndarray,
    villages: pd.DataFrame,
    years: list[int],
    per_village: int,
    sampled: int | None,
    with_personal: bool,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A stratified two-stage sample per year: townships as strata, villages (SRS) as PSUs,
    ``per_village`` adults by SRS within each village. Weights are the inverse inclusion
    probabilities, so they estimate the adult (16+) population."""
    nt = len(towns)
    counts = np.bincount(town_idx, minlength=nt)
    frames = []
    serial = 0
    for yi, year in enumerate(years):
        vy = villages[villages["year"] == year].reset_index(drop=True)
        # First stage: m of M villages in each township by simple random sampling
        m = counts if sampled is None else np.minimum(counts, sampled)
        chosen = np.flatnonzero(
            np.concatenate([srs(int(k), int(j), rng) for k, j in zip(counts, m, strict=True)])
        )
        n_per = np.minimum(per_village, adults[chosen])
        rv = np.repeat(chosen, n_per)  # village index of each respondent
        n = len(rv)
        t = town_idx[rv]
        weight = (counts[t] / m[t]) * (adults[rv] / n_per[np.searchsorted(chosen, rv)])
        gender = np.where(rng.random(n) < 0.47, 1, 2)
        agroup = rng.choice(4, n, p=_SAMPLE_AGE_SHARE)
        lo = np.array([b[0] for b in _AGE_BOUNDS])[agroup]
        hi = np.array([b[1] for b in _AGE_BOUNDS])[agroup]
        age = rng.integers(lo, hi + 1)
        edu = np.clip(np.round(3.4 - 0.035 * (age - 16) + rng.normal(0, 0.9, n)).astype(int), 1, 5)
        occ = np.where(
            age >= 65,
            np.where(rng.random(n) < 0.6, 1, 6),
            rng.choice([1, 2, 3, 4, 5, 6, 7], n, p=[0.42, 0.26, 0.12, 0.04, 0.05, 0.06, 0.05]),
        )
        occ = np.where((age < 23) & (rng.random(n) < 0.6), 5, occ)
        growth = 0.25 * (yi - (len(years) - 1))
        base = 0.55 * q_vil[rv] + growth + rng.normal(0, 0.55, n) + 0.004 * (age - 45)
        data: dict[str, Any] = {
            "respondent_id": [f"Q{year}{serial + i + 1:07d}" for i in range(n)],
            "year": year,
            "township": np.asarray(towns, dtype=object)[t],
            "village": np.asarray(names, dtype=object)[rv],
            DESIGN["strata"]: np.asarray(towns, dtype=object)[t],
            DESIGN["psu"]: np.char.add(
                np.asarray(towns, dtype=str)[t],
                np.char.add(PSU_SEPARATOR, np.asarray(names, dtype=str)[rv]),
            ),
            DESIGN["weights"]: np.round(weight, 6),
            DESIGN["fpc"]: counts[t],
            "fpc2": adults[rv],
            "gender": gender,
            "age": age,
            "education": edu,
            "occupation": occ,
        }
        serial += n
        cuts = np.array([-1.6, -0.8, 0.15, 1.15])
        for item, driver, shift in LIKERT_ITEMS:
            z = base + shift + rng.normal(0, 0.75, n)
            if driver is not None:
                col = vy[driver].to_numpy()[rv]
                z = z + (0.45 * (col >= 300) if driver == "service_center_m2" else 0.45 * col)
            score = 1 + np.searchsorted(cuts, z)
            dk = rng.random(n) < (0.03 + 0.03 * (age > 70))
            data[item] = np.where(dk, DONT_KNOW, score)
        pr = 1 / (1 + np.exp(-(0.55 * q_vil[rv] + growth)))
        data["knows_programme"] = rng.random(n) < 0.35 + 0.5 * pr
        data["attended_meeting"] = rng.random(n) < 0.1 + 0.4 * pr
        data["joined_activity"] = rng.random(n) < 0.1 + 0.35 * pr
        data["volunteered"] = rng.random(n) < 0.03 + 0.15 * pr
        old = age >= 60
        for col, prob in NEEDS:
            pp = prob + (0.2 if col == "need_elderly_care" else 0.0) * old
            pp = pp + (0.15 if col == "need_employment" else 0.0) * (age < 45)
            data[col] = rng.random(n) < pp
        data["suggestion"] = rng.choice(SUGGESTIONS, n)
        frame = pd.DataFrame(data)
        if with_personal:
            frame = _add_personal(rng, frame)
        frames.append(frame)
    survey = pd.concat(frames, ignore_index=True)
    # Population margins: township × gender × age group of adults (16+), last year's village sizes.
    adults_t = np.bincount(town_idx, weights=adults, minlength=nt)
    rows = []
    for i, tname in enumerate(towns):
        for g, gshare in ((1, 0.49), (2, 0.51)):
            groups = contract()["population"].fields["age_group"].allowed or ()
            for a, ashare in zip(groups, _POP_AGE_SHARE, strict=True):
                rows.append((tname, g, a, int(round(adults_t[i] * gshare * ashare))))
    population = pd.DataFrame(rows, columns=["township", "gender", "age_group", "count"])
    return survey, population


def _add_personal(rng: np.random.Generator, frame: pd.DataFrame) -> pd.DataFrame:
    """Fake names, phones, ID numbers and addresses — what a raw questionnaire file carries and
    what ingestion must remove. ID numbers use an unassigned region code (411199)."""
    n = len(frame)
    sur = rng.choice(_SURNAMES, n)
    g1 = rng.choice(_GIVEN, n)
    g2 = rng.choice(_GIVEN + [""] * 10, n)
    frame["name"] = [a + b + c for a, b, c in zip(sur, g1, g2, strict=True)]
    prefix = rng.choice(["138", "139", "150", "151", "136", "187", "158", "133"], n)
    tail = rng.integers(0, 10**8, n)
    frame["phone"] = [f"{p}{x:08d}" for p, x in zip(prefix, tail, strict=True)]
    birth_year = frame["year"].to_numpy() - frame["age"].to_numpy()
    month = rng.integers(1, 13, n)
    day = rng.integers(1, 29, n)
    seq = rng.integers(0, 1000, n)
    body = [
        f"411199{y:04d}{mo:02d}{d:02d}{s:03d}"
        for y, mo, d, s in zip(birth_year, month, day, seq, strict=True)
    ]
    frame["id_number"] = [b + _id_check(b) for b in body]
    group = rng.integers(1, 9, n)
    frame["address"] = [
        f"河南省漯河市郾城区{t}{v}{g}组"
        for t, v, g in zip(frame["township"], frame["village"], group, strict=True)
    ]
    # Some respondents write their phone number into the free-text answer.
    leak = rng.random(n) < 0.01
    frame.loc[leak, "suggestion"] = "有事请打我电话" + frame.loc[leak, "phone"]
    return frame


def _id_check(body: str) -> str:
    """Check character of a Chinese resident ID number (GB 11643)."""
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    s = sum(int(c) * k for c, k in zip(body, w, strict=True))
    return "10X98765432"[s % 11]


def _typed(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Columns in contract order with contract dtypes."""
    c = contract()
    out = {}
    for name, df in tables.items():
        table = c[name]
        cols = [f for f in table.fields if f in df.columns]
        df = df[cols].copy()
        for col in cols:
            f = table.fields[col]
            if f.dtype in ("int", "category"):
                df[col] = df[col].astype("Int64" if df[col].isna().any() else "int64")
            elif f.dtype == "float":
                df[col] = df[col].astype("float64")
            elif f.dtype == "bool":
                df[col] = df[col].astype(bool)
            else:
                df[col] = df[col].astype("string")
        out[name] = df.reset_index(drop=True)
    return out


def to_raw_frame(table: str, df: pd.DataFrame, contract: Contract | None = None) -> pd.DataFrame:
    """A canonical table as a district office delivers it: Chinese headers, 是/否, level labels
    (``contract``: default the packaged one; a project's for its extra fields)."""
    spec = (contract or _packaged())[table]
    out = {}
    for col in df.columns:
        f = spec.fields[col]
        s = df[col]
        if f.dtype == "bool":
            s = s.map({True: "是", False: "否"})
        elif f.dtype == "level" and f.allowed_labels:
            s = s.map(dict(zip(f.allowed, f.allowed_labels, strict=True)))
        elif table == "population" and col == "gender":
            s = s.map(f.codes)
        out[f.label] = s
    return pd.DataFrame(out)


def write_raw(
    tables: dict[str, pd.DataFrame],
    out_dir: str | Path,
    name: str = "示例区（合成数据）",
    generator: dict[str, Any] | None = None,
    contract: Contract | None = None,
) -> Path:
    """Write tables as a raw dataset directory (CSV, UTF-8 with BOM, Chinese headers) with
    ``dataset.yaml`` marking the data as synthetic (``contract``: see :func:`to_raw_frame`)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {}
    for table, df in tables.items():
        path = out / f"{table}.csv"
        with atomic_path(path) as tmp:
            frame = to_raw_frame(table, df, contract)
            frame.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\n")
        files[table] = {"path": path.name, "format": "csv", "encoding": "utf-8-sig"}
    meta = {
        "name": name,
        "district": "郾城区（示例）",
        "synthetic": True,
        "description": (
            "示例数据：按《社区建设经验材料》所述情况合成的区级样本（乡镇名称、试点村、新型农村住宅社区的"
            "公开数字取自材料，其余村级数字均为随机生成），仅用于演示和测试，不代表任何真实村庄。"
            " Synthetic sample data for demonstration and tests."
        ),
        "generator": generator or {},
        "files": files,
    }
    (out / "dataset.yaml").write_text(
        yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return out
