"""commeval — evaluation of rural community construction (农村社区建设评估).

Layers (see docs/architecture.md): ``commeval.data`` (contract, ingestion, sample district),
``commeval.survey`` (design-based survey statistics), ``commeval.index`` (composite indicator),
``commeval.report`` (content of each report), ``commeval.pipeline`` (running notebooks at scale),
``commeval.cli`` (the ``commeval`` command).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("commeval")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
