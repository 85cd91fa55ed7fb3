"""Planning and drawing the survey (as R ``sampling`` and PracTools): sample sizes from last
year's design effects, allocation, PPS selection of villages and systematic selection of
households, the design file the analysis reads, fieldwork monitoring and nonresponse
weighting. See docs/sampling.md."""

from .draw import DESIGN_COLUMNS, Selection, draw, draw_households, draw_villages
from .select import (
    inclusion_probabilities,
    pps_brewer,
    pps_systematic,
    srs,
    systematic_joint_probabilities,
    systematic_positions,
)
from .size import (
    ClusterOptimum,
    DesignEffect,
    allocate,
    cluster_optimum,
    deff_cluster,
    deff_kish,
    design_effects,
    margin_of_error,
    sample_size,
    sample_size_cv,
    sample_size_mean,
)

__all__ = [
    "DESIGN_COLUMNS",
    "ClusterOptimum",
    "DesignEffect",
    "Selection",
    "allocate",
    "cluster_optimum",
    "deff_cluster",
    "deff_kish",
    "design_effects",
    "draw",
    "draw_households",
    "draw_villages",
    "inclusion_probabilities",
    "margin_of_error",
    "pps_brewer",
    "pps_systematic",
    "sample_size",
    "sample_size_cv",
    "sample_size_mean",
    "srs",
    "systematic_joint_probabilities",
    "systematic_positions",
]
