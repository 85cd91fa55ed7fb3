"""One error hierarchy: every exception class of the package has CommevalError at its root."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import commeval
from commeval.errors import CommevalError, InputError

SKIP = ("commeval.notebooks",)


def _classes():
    for info in pkgutil.walk_packages(commeval.__path__, "commeval."):
        if info.name.startswith(SKIP):
            continue
        try:
            mod = importlib.import_module(info.name)
        except ImportError:  # an optional dependency (dask) is missing
            continue
        for _, cls in inspect.getmembers(mod, inspect.isclass):
            if cls.__module__ == mod.__name__ and issubclass(cls, BaseException):
                yield cls


def test_every_exception_derives_from_commeval_error():
    found = {c.__qualname__: c for c in _classes() if not issubclass(c, Warning)}
    assert len(found) >= 12, sorted(found)
    strays = sorted(name for name, c in found.items() if not issubclass(c, CommevalError))
    assert not strays


def test_input_errors_keep_their_value_error_base():
    from commeval.data.codebook import CodebookError
    from commeval.data.contract import ContractError
    from commeval.data.ingest import IngestError
    from commeval.data.processed import ProcessedDataError
    from commeval.index.errors import FrameworkError
    from commeval.index.formulas import FormulaError
    from commeval.pipeline.lock import LockedError
    from commeval.report.diagnosis import DiagnosisConfigError

    for cls in (CodebookError, ContractError, FrameworkError, FormulaError, DiagnosisConfigError):
        assert issubclass(cls, InputError) and issubclass(cls, ValueError)
    for cls in (IngestError, ProcessedDataError, LockedError):
        assert issubclass(cls, InputError)
