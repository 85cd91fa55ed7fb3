"""The evaluation index engine (综合评价指数): framework, indicators, normalisation, weights,
aggregation, attainment, uncertainty and sensitivity. See docs/framework.md."""

from commeval.index.aggregation import (
    FuzzyResult,
    fuzzy_evaluation,
    grey_relational,
    topsis,
    triangular_membership,
    weighted_arithmetic,
    weighted_geometric,
)
from commeval.index.attainment import attained, attainment_rate, grade, rank_array, rank_scores
from commeval.index.coherence import corr_flags, cronbach_by_group, indicator_alpha
from commeval.index.composite import composite
from commeval.index.errors import FrameworkError, IndexDataError, SettingsError
from commeval.index.evaluation import Evaluation, evaluate
from commeval.index.formulas import FormulaError, parse_formula
from commeval.index.framework import Framework, load_framework, parse_framework
from commeval.index.impute import impute
from commeval.index.indicators import compute_indicators
from commeval.index.normalise import normalise
from commeval.index.outliers import treat
from commeval.index.satisfaction import survey_indicators
from commeval.index.uncertainty import sobol_indices
from commeval.index.weights import (
    AHPResult,
    ConsistencyError,
    ConsistencyWarning,
    ahp,
    combined_weights,
    critic_weights,
    dimension_weights,
    entropy_weights,
    fixed_weights,
    indicator_weights,
    within_weights,
)

__all__ = [
    "AHPResult",
    "ConsistencyError",
    "ConsistencyWarning",
    "Evaluation",
    "FormulaError",
    "Framework",
    "FrameworkError",
    "FuzzyResult",
    "IndexDataError",
    "SettingsError",
    "ahp",
    "attained",
    "attainment_rate",
    "combined_weights",
    "composite",
    "compute_indicators",
    "corr_flags",
    "critic_weights",
    "cronbach_by_group",
    "dimension_weights",
    "entropy_weights",
    "evaluate",
    "fixed_weights",
    "fuzzy_evaluation",
    "grade",
    "grey_relational",
    "impute",
    "indicator_alpha",
    "indicator_weights",
    "load_framework",
    "normalise",
    "parse_formula",
    "parse_framework",
    "rank_array",
    "rank_scores",
    "sobol_indices",
    "survey_indicators",
    "topsis",
    "treat",
    "triangular_membership",
    "weighted_arithmetic",
    "weighted_geometric",
    "within_weights",
]
