"""The questionnaire and design conventions, defined once (the data layer holds them so that
ingestion, the survey engine, the index, the sampling engine and the sample generator all read
the same values; :mod:`commeval.survey.questionnaire` re-exports them with its helpers).

* Likert items are answered on :data:`SCALE` (1–5); 说不清 (don't know) is coded
  :data:`DONT_KNOW` (9) in raw data and kept as the flag ``<item>_dk`` (:data:`DK_SUFFIX`);
  the top-2 box (比较满意/非常满意) is :data:`TOP2`, as the 0/1 column ``<item>_top2``
  (:data:`TOP2_SUFFIX`).
* Age groups are closed on the left at :data:`AGE_BREAKS` (16–29, 30–44, 45–59, 60+): the
  contract's ``age_group`` levels (population table) name them (a test checks they agree).
* The design columns of the survey table: :data:`DESIGN` (R ``svydesign(ids=~psu,
  strata=~stratum, fpc=~fpc, weights=~weight)``), a stratum with one responding village handled
  as :data:`LONELY_PSU`; a village's PSU id is ``township/village`` (:func:`psu_id`). A year
  whose villages carry their inclusion probabilities (the design file) is a PPS design:
  :data:`PPS_DESIGN`, :data:`PPS_METHOD`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

DONT_KNOW = 9
SCALE = (1, 2, 3, 4, 5)
TOP2 = (4, 5)
DK_SUFFIX = "_dk"
TOP2_SUFFIX = "_top2"
#: Lower bounds of the age groups (closed on the left): 16–29, 30–44, 45–59, 60 and over.
AGE_BREAKS = (16, 30, 45, 60)
#: The design of a survey year: SurveyDesign argument → survey table column.
DESIGN = dict(weights="weight", strata="stratum", psu="psu", fpc="fpc")
#: A year whose villages were drawn with probability proportional to size: the design file's
#: probabilities, joined at ingestion (``data.design_table``), replace the FPC — SurveyDesign
#: argument → survey table column, as R's ``svydesign(ids=~psu+respondent_id, strata=~stratum,
#: fpc=~village_prob+household_prob, weights=~weight, pps="brewer")``; ``fpc2`` (the
#: households' within-village probability) only when every row has it.
PPS_DESIGN = dict(fpc="village_prob", ssu="respondent_id", fpc2="household_prob")
#: R's ``svydesign(pps=)`` for such a year: Brewer's approximation.
PPS_METHOD = "brewer"
#: R's ``options(survey.lonely.psu=)`` for the survey years.
LONELY_PSU = "adjust"
PSU_SEPARATOR = "/"


def psu_id(township: Any, village: Any) -> str:
    """The PSU id of a village: ``township/village`` (village names repeat across townships)."""
    return f"{township}{PSU_SEPARATOR}{village}"


def is_top2(name: str) -> bool:
    """Whether a survey indicator is a top-2-box share (0–1) rather than a scale mean."""
    return str(name).endswith(TOP2_SUFFIX)


def indicator_range(name: str, share: bool = False) -> tuple[float, float]:
    """The range of a survey indicator: (0, 1) for a share (a top-2 box, or — ``share`` — a
    yes/no item's share answering 是), the scale's ends for a mean."""
    if share or is_top2(name):
        return (0.0, 1.0)
    return (float(min(SCALE)), float(max(SCALE)))


def split_codes(
    x: np.ndarray, dont_know: float | None = DONT_KNOW, scale: Sequence[float] = SCALE
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Answers as float (missing = NaN) → (answered, don't know, on the scale) boolean masks."""
    answered = ~np.isnan(x)
    dk = answered & (x == dont_know) if dont_know is not None else np.zeros_like(answered)
    return answered, dk, answered & np.isin(x, list(scale))
