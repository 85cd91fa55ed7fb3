"""Design-based survey statistics matching R's ``survey`` package (Lumley).

``SurveyDesign`` describes the sample (weights, strata, PSUs, optional SSUs, FPCs); its
estimators return tidy pandas DataFrames. See docs/survey.md.
"""

from . import analysis
from .analysis import (
    ReliabilityResult,
    age_group,
    drivers,
    importance_performance,
    rake_to_population,
    reliability,
    satisfaction_by,
)
from .comparisons import compare_pairs, compare_to_rest
from .crosstab import CrosstabResult, RaoScottTest
from .design import SurveyDesign
from .estimators import compare_domains
from .glm import GLMResult
from .likert import likert_summary, multiple_response
from .reliability import AlphaResult, cronbach_alpha
from .replicate import ReplicateDesign

__all__ = [
    "AlphaResult",
    "CrosstabResult",
    "GLMResult",
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
    "rake_to_population",
    "reliability",
    "satisfaction_by",
]
