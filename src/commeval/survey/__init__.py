"""Design-based survey statistics matching R's ``survey`` package (Lumley).

``SurveyDesign`` describes the sample (weights, strata, PSUs, optional SSUs, FPCs); its
estimators (shared with ``ReplicateDesign`` through ``DesignBase``) return tidy pandas
DataFrames. ``questionnaire.year_design`` is THE design of a survey year. See docs/survey.md.
"""

from . import analysis, questionnaire
from .analysis import (
    ReliabilityResult,
    drivers,
    importance_performance,
    rake_to_population,
    reliability,
    satisfaction_by,
)
from .base import DesignBase
from .comparisons import compare_pairs, compare_to_rest
from .contrasts import (
    ContrastResult,
    WaldTest,
    WorkingModelTest,
    contrast,
    domain_vcov,
    joint_test,
    regTermTest,
    svycontrast,
)
from .crosstab import ChisqTest, CrosstabResult, RaoScottTest
from .design import SurveyDesign
from .estimators import compare_domains
from .glm import GLMResult
from .likert import likert_summary, multiple_response
from .olr import OLRResult
from .questionnaire import age_group, prepare, year_design, year_designs
from .ranktest import RankTest, svyranktest
from .reliability import AlphaResult, cronbach_alpha
from .replicate import ReplicateDesign
from .supplied import svrepdesign
from .suppression import suppression
from .years import Comparison, compare_townships, compare_years, pooled_design

__all__ = [
    "AlphaResult",
    "ChisqTest",
    "Comparison",
    "ContrastResult",
    "compare_townships",
    "compare_years",
    "contrast",
    "pooled_design",
    "CrosstabResult",
    "DesignBase",
    "GLMResult",
    "OLRResult",
    "RankTest",
    "svyranktest",
    "RaoScottTest",
    "ReliabilityResult",
    "ReplicateDesign",
    "SurveyDesign",
    "age_group",
    "analysis",
    "compare_domains",
    "compare_pairs",
    "compare_to_rest",
    "cronbach_alpha",
    "drivers",
    "importance_performance",
    "likert_summary",
    "multiple_response",
    "prepare",
    "questionnaire",
    "rake_to_population",
    "reliability",
    "satisfaction_by",
    "svycontrast",
    "regTermTest",
    "joint_test",
    "domain_vcov",
    "WaldTest",
    "WorkingModelTest",
    "svrepdesign",
    "suppression",
    "year_design",
    "year_designs",
]
