"""Design-based survey statistics matching R's ``survey`` package (Lumley).

``SurveyDesign`` describes the sample (weights, strata, PSUs, optional SSUs, FPCs); its
estimators return tidy pandas DataFrames. See docs/survey.md.
"""

from .design import SurveyDesign

__all__ = ["SurveyDesign"]
