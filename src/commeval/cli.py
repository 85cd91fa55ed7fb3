"""The ``commeval`` command: argument parsing, messages and exit codes (logic lives in the library).

The library raises; this module prints. Exit codes (:mod:`commeval.errors`): 0 success, 1 some
report (or the district evaluation) failed, 2 invalid input, configuration or usage — every
:class:`~commeval.errors.InputError`, printed as one Chinese (English) message without a
traceback — or the output folder locked; 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from commeval.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    CommevalError,
    InputError,
)
from commeval.paths import DEFAULT_DATA_DIR as DEFAULT_DATA
from commeval.paths import DEFAULT_OUT_DIR as DEFAULT_OUT
from commeval.paths import default_processed_dir


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # usage errors exit 2, in Chinese and English
        self.print_usage(sys.stderr)
        print(f"用法错误 (usage error): {message}", file=sys.stderr)
        raise SystemExit(EXIT_INVALID)


def _csv_list(text: str) -> list[str]:
    return [t.strip() for t in text.replace("，", ",").split(",") if t.strip()]


def _years(text: str) -> list[int]:
    try:
        return [int(y) for y in _csv_list(text)]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"年份须为整数，如 2011,2012：{text!r}") from exc


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="commeval", description="农村社区建设评估 commeval — rural community evaluation"
    )
    from commeval import __version__

    p.add_argument("--version", action="version", version=f"commeval {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    s = sub.add_parser(
        "sample-data", help="生成示例区数据 (generate the synthetic sample district)"
    )
    s.add_argument("--out", type=Path, default=DEFAULT_DATA, help="输出目录")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--townships", type=int, help="乡镇个数")
    g.add_argument("--township-names", type=_csv_list, help="乡镇名称，逗号分隔")
    s.add_argument("--villages-per-township", type=int, default=None)
    s.add_argument("--respondents-per-village", type=int, default=15)
    s.add_argument("--sampled-villages", type=int, default=8, help="每乡镇抽取的村数 (0 = 全部)")
    s.add_argument("--years", type=_years, default=[2011, 2012])
    s.add_argument("--seed", type=int, default=20121)

    v = sub.add_parser("validate", help="检查原始数据 (validate raw inputs)")
    v.add_argument("--data", type=Path, default=DEFAULT_DATA)
    v.add_argument("--report-dir", type=Path, default=None)

    pr = sub.add_parser("process", help="校验并生成处理后数据 (validate and write Parquet)")
    pr.add_argument("--data", type=Path, default=DEFAULT_DATA)
    pr.add_argument("--processed", type=Path, default=None)

    r = sub.add_parser("reports", help="生成乡镇评估报告和区汇总 (render all reports)")
    r.add_argument("--data", type=Path, default=DEFAULT_DATA)
    r.add_argument("--processed", type=Path, default=None)
    r.add_argument("--out", type=Path, default=DEFAULT_OUT)
    r.add_argument("--year", type=int, default=None, help="评估年度（默认最近一年）")
    r.add_argument("--township", nargs="+", default=None, help="只生成这些乡镇")
    r.add_argument("--jobs", type=int, default=None, help="并行进程数（默认 CPU 核数）")
    r.add_argument("--force", action="store_true", help="忽略缓存，全部重新生成")
    r.add_argument("--timeout", type=float, default=300.0, help="单份报告超时（秒）")
    r.add_argument("--executor", choices=["local", "dask"], default="local")
    r.add_argument("--scheduler", default=None, help="Dask 调度器地址")
    r.add_argument("--run-name", default=None, help="输出子目录名（默认按时间）")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "sample-data":
            return _sample_data(args)
        if args.command == "validate":
            from commeval.data.validate import run_validate

            return run_validate(args.data, args.report_dir)
        if args.command == "process":
            return _process(args)
        if args.command == "reports":
            from commeval.pipeline.config import RunConfig

            return reports(
                RunConfig(
                    data_dir=args.data,
                    processed_dir=args.processed,
                    out_dir=args.out,
                    year=args.year,
                    townships=tuple(args.township) if args.township else None,
                    jobs=args.jobs,
                    force=args.force,
                    timeout=args.timeout,
                    executor=args.executor,
                    scheduler=args.scheduler,
                    run_name=args.run_name,
                )
            )
    except InputError as exc:
        return fail(exc)
    except KeyboardInterrupt:
        print("已中断 (interrupted)", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_INVALID


def fail(exc: CommevalError, stream: TextIO | None = None) -> int:
    """Print a commeval error as one message (no traceback); its exit code."""
    print(f"{exc.summary}: {exc}", file=stream or sys.stderr)
    return EXIT_INVALID if isinstance(exc, InputError) else EXIT_FAILED


def reports(config, stream: TextIO | None = None, **run_kw) -> int:
    """``commeval reports`` for a :class:`~commeval.pipeline.config.RunConfig`: run, print the
    outcome, return the exit code (``run_kw`` go to :func:`commeval.pipeline.run.run`)."""
    from commeval.pipeline.run import run

    stream = stream or sys.stderr
    try:
        outcome = run(config, **run_kw)
    except CommevalError as exc:
        return fail(exc, stream)
    if outcome.stale_lock:
        pid = outcome.stale_lock.get("pid")
        print(f"已清除失效的锁 (stale lock of pid {pid})", file=stream)
    s = outcome.summary
    print(
        f"报告已写入 {outcome.run_dir}：生成 {s['rendered']}，沿用 {s['reused']}，失败 {s['failed']}"
        f"{'，区汇总失败' if outcome.index_failed else ''}（{outcome.seconds:.1f} s）",
        file=stream,
    )
    for tw, err in outcome.failed.items():
        print(f"  失败 {tw}: {err}", file=stream)
    return EXIT_OK if outcome.ok else EXIT_FAILED


def _sample_data(args: argparse.Namespace) -> int:
    from commeval.data.sample import generate_district, write_raw

    townships = args.township_names or args.townships
    tables = generate_district(
        townships=townships,
        villages_per_township=args.villages_per_township,
        respondents_per_village=args.respondents_per_village,
        years=args.years,
        seed=args.seed,
        sampled_villages=args.sampled_villages or None,
    )
    gen = {
        "command": "commeval sample-data",
        "seed": args.seed,
        "townships": townships if townships is not None else "district",
        "villages_per_township": args.villages_per_township,
        "respondents_per_village": args.respondents_per_village,
        "sampled_villages": args.sampled_villages,
        "years": list(args.years),
    }
    out = write_raw(tables, args.out, generator=gen)
    n_v = tables["villages"]["village"].count() // max(len(args.years), 1)
    print(
        f"示例数据已写入 {out}：{len(tables['townships'])} 个乡镇，{n_v} 个村，"
        f"{len(tables['survey'])} 份问卷（合成数据 synthetic）"
    )
    return EXIT_OK


def _process(args: argparse.Namespace) -> int:
    from commeval.data.ingest import ingest

    processed = args.processed or default_processed_dir(args.data)
    res = ingest(args.data, processed)  # IngestError: an InputError, printed by main
    rows = ", ".join(f"{k} {len(v)}" for k, v in res.tables.items())
    print(f"处理后数据已写入 {processed}（{rows}）")
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
