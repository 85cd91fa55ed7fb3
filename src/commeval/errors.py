"""The package's error hierarchy: one root, and one class for "the input is wrong".

::

    CommevalError                     anything commeval raises on purpose
    ├── InputError                    invalid input, configuration or usage: `commeval` exits 2
    │   ├── UsageError                bad arguments (run name, --jobs, unknown townships, executor)
    │   ├── OutputLockedError         the output folder is held by another live run (LockedError)
    │   ├── IngestError, ReadError    raw data that cannot be read or do not validate
    │   ├── ProcessedDataError        a processed folder that is missing, partial or unreadable
    │   ├── ContractError, CodebookError, FrameworkError, FormulaError, ConsistencyError,
    │   │   DiagnosisConfigError      configuration files (YAML) that are malformed
    │   └── IndexDataError            data the index cannot be computed from
    └── ReportFailed                  one report's notebook failed (kept in the manifest; exit 1)

Where callers used to catch ``ValueError`` (configuration errors) or ``RuntimeError`` the classes
keep that base as well. Library code raises; only :mod:`commeval.cli` prints messages and chooses
exit codes (:data:`EXIT_INVALID` for every :class:`InputError`).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1  # some report or the district evaluation failed
EXIT_INVALID = 2  # invalid input, configuration or usage; output folder locked
EXIT_INTERRUPTED = 130


class CommevalError(Exception):
    """Root of every error commeval raises on purpose. ``summary`` is the Chinese (English)
    headline the command line prints before the message."""

    summary = "commeval 出错 (error)"


class InputError(CommevalError):
    """Invalid input, configuration or usage: the user must change something (exit code 2)."""

    summary = "输入无效 (invalid input)"


class UsageError(InputError, ValueError):
    """Arguments that cannot work (a run name with a slash, ``--jobs 0``, unknown townships)."""

    summary = "用法错误 (usage error)"


class OutputLockedError(InputError, RuntimeError):
    """Another live run holds the output folder."""

    summary = "输出目录正被使用 (output folder locked)"


class EvaluationError(CommevalError):
    """The district could not be evaluated for a reason that is not the input's (a bug, a
    missing dependency): no report can be written (exit code 1)."""

    summary = "区数据评估失败，未生成报告 (district evaluation failed)"
