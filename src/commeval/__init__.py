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

__all__ = ["__version__", "load_tables"]


def __getattr__(name: str):
    """``commeval.load_tables`` imported on first use (PEP 562), so ``import commeval`` stays
    light (no pandas, no data layer)."""
    if name == "load_tables":
        from commeval.tables import load_tables

        return load_tables
    raise AttributeError(f"module 'commeval' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), "load_tables"])
