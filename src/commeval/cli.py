"""The ``commeval`` command: argument parsing, messages and exit codes (logic lives in the library).

Every command works on a research project (:mod:`commeval.project`): the one holding the working
directory (the nearest ``commeval.yaml`` upward) or ``--project DIR``; without any, the packaged
configuration and the bundled sample district. ``--data``, ``--processed``, ``--out`` and
``--year`` override the project's.

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
from commeval.paths import DEFAULT_DATA_DIR, default_processed_dir
from commeval.project import Project, find_project, load_project


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
    proj = argparse.ArgumentParser(add_help=False)
    proj.add_argument(
        "--project",
        type=Path,
        default=None,
        metavar="DIR",
        help="项目目录（含 commeval.yaml；默认从当前目录向上查找）",
    )
    data_help = "原始数据目录（默认：项目的 dataset）"

    i = sub.add_parser("init", help="创建新的评估项目 (scaffold a research project)")
    i.add_argument("dir", type=Path, help="项目目录（须为空或不存在）")
    i.add_argument("--sample", action="store_true", help="附带示例区数据（合成数据）")
    i.add_argument("--force", action="store_true", help="目录非空时仍写入（覆盖项目文件）")
    i.add_argument("--name", default=None, help="项目名称")
    i.add_argument("--district", default=None, help="区县名称")

    s = sub.add_parser(
        "sample-data",
        parents=[proj],
        help="生成示例区数据 (generate the synthetic sample district)",
    )
    s.add_argument(
        "--out", type=Path, default=None, help="输出目录（默认：<项目>/data/raw/sample_district）"
    )
    g = s.add_mutually_exclusive_group()
    g.add_argument("--townships", type=int, help="乡镇个数")
    g.add_argument("--township-names", type=_csv_list, help="乡镇名称，逗号分隔")
    s.add_argument("--villages-per-township", type=int, default=None)
    s.add_argument("--respondents-per-village", type=int, default=15)
    s.add_argument("--sampled-villages", type=int, default=8, help="每乡镇抽取的村数 (0 = 全部)")
    s.add_argument("--years", type=_years, default=[2011, 2012])
    s.add_argument("--seed", type=int, default=20121)

    v = sub.add_parser("validate", parents=[proj], help="检查原始数据 (validate raw inputs)")
    v.add_argument("--data", type=Path, default=None, help=data_help)
    v.add_argument("--report-dir", type=Path, default=None, help="默认：<outputs>/validation")
    v.add_argument(
        "--feedback",
        type=Path,
        default=None,
        metavar="DIR",
        help="为每个报送文件写一份回执（.xlsx，逐行列出问题）到该目录",
    )

    pr = sub.add_parser(
        "process", parents=[proj], help="校验并生成处理后数据 (validate and write Parquet)"
    )
    pr.add_argument("--data", type=Path, default=None, help=data_help)
    pr.add_argument("--processed", type=Path, default=None)

    d = sub.add_parser(
        "dictionary", parents=[proj], help="输出项目的数据字典 (the project's data dictionary)"
    )
    d.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help="写入文件：.xlsx、.csv 或 .md（默认：Markdown 输出到屏幕）",
    )

    r = sub.add_parser(
        "reports", parents=[proj], help="生成乡镇评估报告和汇总页 (render all reports)"
    )
    r.add_argument("--data", type=Path, default=None, help=data_help)
    r.add_argument("--processed", type=Path, default=None)
    r.add_argument("--out", type=Path, default=None, help="输出目录（默认：项目的 outputs）")
    r.add_argument(
        "--year", type=int, default=None, help="评估年度（默认：项目的 year，或最近一年）"
    )
    r.add_argument("--township", nargs="+", default=None, help="只生成这些乡镇")
    r.add_argument("--jobs", type=int, default=None, help="并行进程数（默认 CPU 核数）")
    r.add_argument("--force", action="store_true", help="忽略缓存，全部重新生成")
    r.add_argument("--timeout", type=float, default=300.0, help="单份报告超时（秒）")
    r.add_argument("--executor", choices=["local", "dask"], default="local")
    r.add_argument("--scheduler", default=None, help="Dask 调度器地址")
    r.add_argument("--run-name", default=None, help="输出子目录名（默认按时间）")
    r.add_argument(
        "--format",
        type=_csv_list,
        default=None,
        help="报告格式，逗号分隔：html,docx,pdf（默认：commeval.yaml 的 report.formats，即 html）",
    )
    t = sub.add_parser(
        "templates",
        parents=[proj],
        help="按项目当前字段重写空白数据模板 (rewrite the blank data templates)",
        description="按 config/fields.yaml 等当前字段重写数据目录中空白的模板（xlsx 带下拉列表，"
        "和 CSV）；已填写的文件不动，只提示表头缺少的新字段。--per-township：每个乡镇一份已填好"
        "村名的村级表，用于下发填报。",
    )
    t.add_argument("--table", nargs="+", default=None, metavar="TABLE",
                   help="只处理这些表（默认全部：townships villages communities survey population）")  # fmt: skip
    t.add_argument("--per-township", action="store_true",
                   help="每个乡镇一份预填村名的村级表（下发填报用）")  # fmt: skip
    t.add_argument("--year", type=int, default=None,
                   help="--per-township 预填的年度（默认：项目的 year，或数据中最近一年）")  # fmt: skip
    t.add_argument("-o", "--out", type=Path, default=None,
                   help="--per-township 的输出目录（默认：<项目>/returns）")  # fmt: skip

    dc = sub.add_parser(
        "docs", help="文档在哪里（公式语言、评分表写法等）(where the docs are)",
        description="列出随 commeval 安装的文档及其位置；给出文档名则只打印该文件的路径。",
    )  # fmt: skip
    dc.add_argument("name", nargs="?", default=None,
                    help="文档名，如 framework（公式语言、考核评分表）、data、projects")  # fmt: skip
    dc.add_argument("--open", action="store_true", help="用浏览器打开（默认打开 framework）")

    _survey_parser(sub, proj)
    fw = sub.add_parser("framework", help="考核评分表与框架 YAML 互转 (scorecard ↔ Excel)")
    fsub = fw.add_subparsers(dest="framework_command", required=True, parser_class=_Parser)
    fi = fsub.add_parser("import", help="评分表.xlsx → config/framework.yaml")
    fi.add_argument("file", type=Path, help="评分表（.xlsx）")
    fi.add_argument("-o", "--output", type=Path, required=True, help="写出的 framework.yaml")
    fe = fsub.add_parser("export", help="config/framework.yaml → 评分表.xlsx（打印签发用）")
    fe.add_argument("file", type=Path, help="框架 YAML（scoring: points）")
    fe.add_argument("-o", "--output", type=Path, required=True, help="写出的评分表（.xlsx）")
    return p


def _framework(args: argparse.Namespace) -> int:
    """``commeval framework import|export``: a scorecard from / to Excel."""
    from commeval.index import scorecard_excel as sx

    if not args.file.is_file():
        print(f"找不到文件 {args.file} (no such file)", file=sys.stderr)
        return EXIT_INVALID
    if args.framework_command == "import":
        res = sx.import_scorecard(args.file)
        sx.write_import(res, args.output)
        n = sum(len(d["indicators"]) for d in res.doc["dimensions"].values())
        print(f"已写出 {args.output}：{len(res.doc['dimensions'])} 个一级指标，{n} 项")
        for row, msg in res.notes:
            print(f"  说明 第{row}行：{msg}")
        if res.todos:
            print(f"有 {len(res.todos)} 处待补写（见文件开头的 TODO 注释）：")
            for row, msg in res.todos:
                print(f"  第{row}行：{msg}")
        return 0
    sx.export_scorecard(args.file, args.output)
    print(f"已写出评分表 {args.output}")
    return 0


def project_of(args: argparse.Namespace) -> Project:
    """The project a command works on: ``--project DIR``, else found from the working
    directory upward (:func:`commeval.project.find_project`)."""
    if getattr(args, "project", None) is not None:
        return load_project(args.project)
    return find_project()


def data_paths(args: argparse.Namespace, project: Project) -> tuple[Path, Path | None]:
    """The raw and processed folders: the options if given, else the project's (a ``--data``
    of another dataset has its processed folder beside it, not the project's)."""
    data = args.data if args.data is not None else project.dataset
    processed = getattr(args, "processed", None)
    if processed is None and args.data is None:
        processed = project.processed
    return data, processed


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except KeyboardInterrupt:
        print("已中断 (interrupted)", file=sys.stderr)
        return EXIT_INTERRUPTED
    try:
        return _main(args)
    except KeyboardInterrupt:
        print("已中断 (interrupted)", file=sys.stderr)
        return EXIT_INTERRUPTED
    except InputError as exc:
        return fail(exc)
    except CommevalError as exc:
        return fail(exc)
    except OSError as exc:
        code = output_fault(exc)
        return code if code is not None else unexpected(exc, args)
    except Exception as exc:  # the unexpected: one Chinese message, the traceback in the log
        return unexpected(exc, args)


def output_fault(exc: OSError, stream: TextIO | None = None) -> int | None:
    """A full disk or a read-only output folder (an OSError from :func:`commeval.files.
    atomic_path`, which names the folder in ``output_folder``, or any OSError with
    ENOSPC/EDQUOT/EROFS): one Chinese message naming the folder, exit 2; None for other
    errors."""
    import errno

    full = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
    marked = getattr(exc, "output_folder", None)
    if not marked and exc.errno not in full | {errno.EROFS}:
        return None
    folder = marked or exc.filename or "输出目录"
    if exc.errno in full:
        text = (
            f"磁盘空间不足：无法写入 {folder}（{exc.strerror}）；请清理磁盘或换一个输出目录后重试，"
            "已写好的结果未被改动 (no space left on device)"
        )
    else:
        text = (
            f"无法写入 {folder}（{exc.strerror}：只读或没有写权限）；请换一个可写的输出目录，"
            "或检查该目录的权限 (output folder not writable)"
        )
    print(text, file=stream or sys.stderr)
    return EXIT_INVALID


def unexpected(exc: BaseException, args: argparse.Namespace, stream: TextIO | None = None) -> int:
    """An error commeval did not foresee: one message naming the file or folder being worked on
    and the log holding the traceback (never printed); exit 1 (2 for an unreadable input)."""
    import traceback

    target = getattr(exc, "filename", None) or _input_of(args)
    log = _error_log(args)
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    where = f"错误详情已写入 {log}"
    try:
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"commeval {' '.join(sys.argv[1:])}\n{text}\n")
    except OSError:
        where = "（无法写入错误日志）"
    code = EXIT_INVALID if isinstance(exc, OSError | UnicodeError | ValueError) else EXIT_FAILED
    print(
        f"commeval 出错：处理 {target} 时发生意外错误（{type(exc).__name__}）。{where}；"
        "如无法解决，请把该日志发给维护人员 (unexpected error; traceback in the log)",
        file=stream or sys.stderr,
    )
    return code


def _input_of(args: argparse.Namespace) -> str:
    for key in ("data", "dir", "project", "output", "out"):
        v = getattr(args, key, None)
        if v is not None:
            return str(v)
    return "当前项目"


def _error_log(args: argparse.Namespace) -> Path:
    """Where the traceback of an unexpected error goes: ``<outputs>/logs/commeval-error.log``
    of the project (the temp folder when there is none)."""
    import tempfile

    try:
        out = getattr(args, "out", None)
        base = Path(out) if out is not None and args.command == "reports" else None
        if base is None:
            base = project_of(args).outputs
        return base / "logs" / "commeval-error.log"
    except Exception:
        return Path(tempfile.gettempdir()) / "commeval-error.log"


def _main(args: argparse.Namespace) -> int:
    try:
        if args.command == "init":
            return _init(args)
        if args.command == "framework":
            return _framework(args)
        if args.command == "docs":
            return _docs(args)
        project = project_of(args)
        if args.command == "sample-data":
            return _sample_data(args, project)
        if args.command == "validate":
            from commeval.data.validate import run_validate

            data, _ = data_paths(args, project)
            report_dir = args.report_dir or project.validation_dir
            return run_validate(
                data,
                report_dir,
                **project.data_options(),
                feedback=args.feedback,
                year=project.year,
                evaluable=_evaluable(project),
            )
        if args.command == "process":
            return _process(args, project)
        if args.command == "templates":
            return _templates(args, project)
        if args.command == "survey":
            return _survey(args, project)
        if args.command == "dictionary":
            return _dictionary(args, project)
        if args.command == "reports":
            from commeval.pipeline.config import RunConfig

            data, processed = data_paths(args, project)
            return reports(
                RunConfig(
                    data_dir=data,
                    processed_dir=processed,
                    out_dir=args.out if args.out is not None else project.outputs,
                    year=args.year if args.year is not None else project.year,
                    townships=tuple(args.township) if args.township else None,
                    jobs=args.jobs,
                    force=args.force,
                    timeout=args.timeout,
                    executor=args.executor,
                    scheduler=args.scheduler,
                    run_name=args.run_name,
                    project=project,
                    formats=tuple(args.format) if args.format else None,
                )
            )
    except InputError as exc:
        return fail(exc)
    except KeyboardInterrupt:
        print("已中断 (interrupted)", file=sys.stderr)
        return EXIT_INTERRUPTED
    return EXIT_INVALID


def _evaluable(project: Project):
    """What ``validate`` asks of tables without errors: would ``reports`` evaluate them? The
    district's own evaluation steps (:func:`commeval.district.evaluation_problems`) with the
    project's framework, year, weighting, small-cell threshold and interval level."""

    def problems(checked):
        from commeval.district import evaluation_problems
        from commeval.index import load_framework

        fw = load_framework(project.framework_file, contract=checked.contract)
        return evaluation_problems(
            checked,
            fw,
            project.year,
            weighting=project.survey_weighting,
            min_n=project.report.small_cell,
            level=project.report.interval_level,
        )

    return problems


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
        f"{'，汇总页失败' if outcome.index_failed else ''}（{outcome.seconds:.1f} s）",
        file=stream,
    )
    for tw, err in outcome.failed.items():
        print(f"  失败 {tw}: {err}", file=stream)
    return EXIT_OK if outcome.ok else EXIT_FAILED


def _sample_data(args: argparse.Namespace, project: Project) -> int:
    from commeval.scaffold import write_sample

    townships = args.township_names or args.townships
    out, tables = write_sample(
        args.out if args.out is not None else project.root / DEFAULT_DATA_DIR,
        townships=townships,
        villages_per_township=args.villages_per_township,
        respondents_per_village=args.respondents_per_village,
        sampled_villages=args.sampled_villages,
        years=args.years,
        seed=args.seed,
    )
    n_v = tables["villages"]["village"].count() // max(len(args.years), 1)
    print(
        f"示例数据已写入 {out}：{len(tables['townships'])} 个乡镇，{n_v} 个村，"
        f"{len(tables['survey'])} 份问卷（合成数据 synthetic）"
    )
    return EXIT_OK


def _docs(args: argparse.Namespace) -> int:
    """``commeval docs [NAME] [--open]``: where the docs are."""
    from commeval.paths import DOCS, docs_dir

    folder = docs_dir()
    if folder is None:
        print("本安装没有附带文档 (no docs in this installation)", file=sys.stderr)
        return EXIT_INVALID
    if args.name is not None:
        path = folder / f"{args.name.removesuffix('.md')}.md"
        if not path.is_file():
            have = "、".join(sorted(p.stem for p in folder.glob("*.md")))
            print(f"没有文档 {args.name}（有 {have}）(no such doc)", file=sys.stderr)
            return EXIT_INVALID
    else:
        path = folder / "framework.md"
    if args.open:
        import webbrowser

        webbrowser.open(path.as_uri())
    if args.name is not None:
        print(path)
        return 0
    print(f"文档目录 (docs)：{folder}")
    for name, what in DOCS.items():
        if (folder / f"{name}.md").is_file():
            print(f"  {name}.md  {what}")
    print("查看某一篇：commeval docs framework（打印路径），加 --open 用浏览器打开")
    return 0


def _templates(args: argparse.Namespace, project: Project) -> int:
    """``commeval templates``: the blank templates from the project's current fields."""
    from commeval import scaffold

    c = project.contract()
    if args.per_township:
        from commeval.tables import load_tables

        villages = load_tables(project)["villages"]
        years = sorted(int(y) for y in villages["year"].unique())
        latest = villages[villages["year"] == years[-1]]
        year = args.year or project.year or years[-1]
        if args.table and args.table != ["villages"]:
            print("--per-township 只用于村级表（villages）(only for the villages table)",
                  file=sys.stderr)  # fmt: skip
            return EXIT_INVALID
        table = "villages"
        out = args.out or project.root / "returns"
        files = scaffold.township_returns(out, latest, year, c, table)
        print(f"已写出 {len(files)} 个乡镇的{c[table].label}（{year}年，村名已填好）到 {out}：")
        for f in files:
            print(f"  {f.name}")
        return 0
    for name, what in scaffold.refresh_templates(project.dataset, c, args.table):
        print(f"  {name}：{what}")
    return 0


def _process(args: argparse.Namespace, project: Project) -> int:
    from commeval.data.ingest import ingest

    data, processed = data_paths(args, project)
    processed = processed or default_processed_dir(data)
    res = ingest(data, processed, **project.data_options())  # IngestError: printed by main
    rows = ", ".join(f"{k} {len(v)}" for k, v in res.tables.items())
    print(f"处理后数据已写入 {processed}（{rows}）")
    return EXIT_OK


def _dictionary(args: argparse.Namespace, project: Project) -> int:
    from commeval.data import dictionary

    c = project.contract()
    out: Path | None = args.output
    if out is None:
        sys.stdout.write(dictionary.render(c))
        return EXIT_OK
    if out.suffix.lower() == ".md":
        from commeval.files import write_atomic

        write_atomic(out, dictionary.render(c).encode("utf-8"))
    else:
        dictionary.write_dictionary(c, out)
    print(f"数据字典已写入 {out}（{sum(len(t.fields) for t in c.tables.values())} 个字段）")
    return EXIT_OK


def _init(args: argparse.Namespace) -> int:
    from commeval.scaffold import init_project

    files = init_project(
        args.dir, sample=args.sample, force=args.force, name=args.name, district=args.district
    )
    project = load_project(args.dir)
    print(f"已创建评估项目 {project.root}（{len(files)} 个文件）")
    rel = project.dataset.relative_to(project.root)
    if args.sample:
        print(f"  数据：{rel}/（示例区，合成数据）")
    else:
        print(f"  数据模板：{rel}/（填写各表，见 README.md）")
    print(f"下一步：cd {args.dir} && commeval validate && commeval reports")
    return EXIT_OK


# ---------------------------------------------------------------------------- commeval survey
def _survey_parser(sub, proj: argparse.ArgumentParser) -> None:
    """``commeval survey plan | draw | monitor | weights`` (docs/sampling.md)."""
    sv = sub.add_parser(
        "survey", help="调查抽样：方案、抽样、进度监测、权数 (plan and draw the survey)"
    )
    ssub = sv.add_subparsers(dest="survey_command", required=True, parser_class=_Parser)
    frame = argparse.ArgumentParser(add_help=False)
    frame.add_argument("--frame", type=Path, default=None,
                       help="村抽样框（乡镇、行政村、户数；默认：项目数据中最近一年的村表）")  # fmt: skip
    fwd = argparse.ArgumentParser(add_help=False)
    fwd.add_argument("--fieldwork", type=Path, default=None,
                     help="外业文件目录（默认：<项目>/fieldwork）")  # fmt: skip
    pl = ssub.add_parser("plan", parents=[proj, frame, fwd], help="样本量与各乡镇抽村、抽户数")
    pl.add_argument("--moe", type=float, required=True, help="乡镇比例的允许误差，如 0.08")
    pl.add_argument("--households-per-village", type=int, default=15, help="每村抽户数")
    pl.add_argument("--p", type=float, default=0.5, help="预期比例（默认 0.5，最保守）")
    pl.add_argument("--response-rate", type=float, default=1.0, help="预期应答率")
    pl.add_argument("--level", type=float, default=0.95, help="置信水平")
    pl.add_argument(
        "--deff-kish", type=float, default=None, help="权数设计效应（默认：由上一年调查估计）"
    )
    pl.add_argument(
        "--rho", type=float, default=None, help="村内相关系数（默认：由上一年调查估计）"
    )
    pl.add_argument(
        "--variable", default="sat_overall_top2", help="估计设计效应所用的指标（默认：总体满意率）"
    )
    pl.add_argument(
        "--total", type=int, default=None, help="全区总样本量（按 --allocation 分配到乡镇）"
    )
    pl.add_argument("--allocation", default="proportional",
                    choices=["proportional", "equal", "neyman", "power"])  # fmt: skip
    dr = ssub.add_parser("draw", parents=[proj, frame, fwd], help="抽取样本村、样本户和备用户")
    dr.add_argument("--plan", type=Path, default=None, help="抽样方案（survey plan 写出的 CSV）")
    dr.add_argument("--villages", type=int, default=None, help="每乡镇抽村数（无 --plan 时）")
    dr.add_argument("--households", type=int, default=None, help="每村抽户数（无 --plan 时）")
    dr.add_argument("--household-lists", type=Path, default=None,
                    help="住户名单（乡镇、行政村、户编号，可含户主姓名；默认按户数编号）")  # fmt: skip
    dr.add_argument("--reserves", type=int, default=3, help="每村备用户数")
    dr.add_argument("--method", default="systematic", choices=["systematic", "brewer", "srs"])
    dr.add_argument("--seed", type=int, required=True, help="随机数种子（记录在抽样结果中）")
    dr.add_argument("--year", type=int, default=None,
                    help="本次抽样的调查年度（写入抽样设计，入库时只与该年度的问卷对应）")  # fmt: skip
    for name, hlp in (("monitor", "外业进度监测（问卷星导出）"), ("weights", "无回答调整后的权数")):
        x = ssub.add_parser(name, parents=[proj, fwd], help=hlp)
        x.add_argument("export", type=Path, help="问卷星导出文件（.xlsx 或 .csv）")
        x.add_argument(
            "--design", type=Path, default=None, help="抽样设计文件（默认：<fieldwork>/design.csv）"
        )
        if name == "monitor":
            x.add_argument(
                "--min-seconds", type=float, default=300.0, help="答题时间过短的阈值（秒）"
            )
        else:
            x.add_argument(
                "--by",
                default="village",
                help="调整类别：village（按村）或设计表中的列，如 township",
            )


def _survey(args: argparse.Namespace, project: Project) -> int:
    """``commeval survey …``: bad input (a ValueError of the sampling engine) exits 2."""
    try:
        return _survey_run(args, project)
    except ValueError as exc:
        print(f"输入无效 (invalid input): {exc}", file=sys.stderr)
        return EXIT_INVALID


def _survey_run(args: argparse.Namespace, project: Project) -> int:
    import json

    import pandas as pd

    from commeval import sampling
    from commeval.files import atomic_path, write_atomic
    from commeval.sampling import fieldwork as fwk
    from commeval.sampling import plan as spl

    folder = args.fieldwork if args.fieldwork is not None else project.root / "fieldwork"
    design_path = folder / "design.csv"

    def frame() -> pd.DataFrame:
        if args.frame is not None:
            return spl.read_frame(args.frame)
        from commeval.tables import load_tables

        v = load_tables(project)["villages"]
        v = v[v["year"] == v["year"].max()]
        return v[["township", "village", "households"]].reset_index(drop=True)

    def write_csv(df: pd.DataFrame, path: Path) -> None:
        with atomic_path(path) as tmp:
            df.to_csv(tmp, index=False, encoding="utf-8-sig", lineterminator="\n")

    cmd = args.survey_command
    if cmd == "plan":
        dk, rho = args.deff_kish, args.rho
        if dk is None or rho is None:
            from commeval.survey.questionnaire import year_design
            from commeval.tables import load_tables

            d = year_design(load_tables(project)["survey"])
            de = sampling.design_effects(d, args.variable).iloc[0]
            dk = float(de["deff_kish"]) if dk is None else dk
            rho = max(float(de["rho"]), 0.0) if rho is None else rho
            print(f"上一年调查（{args.variable}）：设计效应 {de['deff']:.2f}，权数设计效应 "
                  f"{de['deff_kish']:.2f}，每村 {de['m']:.1f} 份，村内相关系数 {de['rho']:.3f}")  # fmt: skip
        plan = spl.plan_survey(frame(), args.moe, args.households_per_village, dk, rho, args.p,
                               args.response_rate, args.level, args.total, args.allocation)  # fmt: skip
        out = folder / "plan.csv"
        write_csv(plan, out)
        for r in plan.itertuples():
            print(f"  {r.township}：抽 {r.villages}/{r.villages_in_frame} 个村，每村 "
                  f"{r.households_per_village} 户，预期误差 ±{r.expected_moe:.3f}")  # fmt: skip
        print(
            f"抽样方案已写入 {out}（共 {int((plan['villages'] * plan['households_per_village']).sum())} 户）"
        )
        return EXIT_OK
    if cmd == "draw":
        if args.plan is not None:
            p = pd.read_csv(args.plan, encoding="utf-8-sig")
            villages = dict(zip(p["township"].astype(str), p["villages"].astype(int), strict=True))
            hh = int(p["households_per_village"].iloc[0])
        elif args.villages is not None and args.households is not None:
            villages, hh = args.villages, args.households
        else:
            raise ValueError("请给出 --plan，或同时给出 --villages 和 --households")
        lists = spl.read_household_lists(args.household_lists) if args.household_lists else None
        sel = sampling.draw(frame(), villages, hh, household_lists=lists, method=args.method,
                            reserves=args.reserves, seed=args.seed)  # fmt: skip
        if args.year is not None:
            sel.record["year"] = args.year
        book = fwk.write_fieldwork_lists(sel, folder / "抽样名单.xlsx", lists)
        write_csv(sel.design(args.year), design_path)
        write_atomic(folder / "selection.json",
                     json.dumps(sel.record, ensure_ascii=False, indent=2).encode("utf-8"))  # fmt: skip
        r = sel.record
        print(f"已抽取 {sum(r['villages'].values())} 个村、{r['households_drawn']} 户（备用户 "
              f"{r['reserves_drawn']}），种子 {r['seed']}，方法 {r['village_method']}")  # fmt: skip
        print(f"外业名单：{book}（含姓名，仅供入户，勿放入数据或报告）")
        print(
            f"抽样设计：{design_path} — 放入数据目录并在 dataset.yaml 的 files 中写 design: {{path: design.csv}}"
        )
        return EXIT_OK
    design_file = args.design if args.design is not None else design_path
    if not design_file.is_file():
        raise ValueError(f"找不到抽样设计文件 {design_file}（先运行 commeval survey draw）")
    design = pd.read_csv(design_file, encoding="utf-8-sig", dtype={"household_no": str})
    export = fwk.read_export(args.export, project.data_options().get("codebook"))
    mon = fwk.monitor(export, design, min_seconds=getattr(args, "min_seconds", 300.0))
    if cmd == "monitor":
        s = mon.summary
        out = folder / "进度监测.xlsx"
        with atomic_path(out) as tmp:
            with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
                mon.villages.to_excel(xw, sheet_name="各村进度", index=False)
                mon.short.to_excel(xw, sheet_name="答题过快", index=False)
                mon.duplicates.to_excel(xw, sheet_name="重复提交", index=False)
                mon.straightlining.to_excel(xw, sheet_name="答案全同", index=False)
        print(f"已完成 {s['completes']} 份，目标 {s['target']} 份（完成率 {s['completion_rate']:.1%}），"
              f"{s['villages_done']}/{s['villages']} 个村已完成；样本外 {s['outside_selection']} 份")  # fmt: skip
        if "response_rate" in s:
            print(f"样本户应答率 {s['response_rate']:.1%}，已用备用户 {s['reserves_used']} 户")
        print(f"答题过快（<{s['min_seconds']:.0f} 秒）{s['short']} 份，重复提交 {s['duplicates']} 份，"
              f"答案全同 {s['straightlining']} 份；明细见 {out}")  # fmt: skip
        return EXIT_OK
    adjusted = fwk.adjust_nonresponse(design, mon.villages, by=args.by)
    out = folder / "design_weighted.csv"
    write_csv(adjusted, out)
    rec_path = folder / "selection.json"
    record = json.loads(rec_path.read_text(encoding="utf-8")) if rec_path.is_file() else {}
    record["nonresponse"] = fwk.nonresponse_record(adjusted, args.by)
    write_atomic(rec_path, json.dumps(record, ensure_ascii=False, indent=2).encode("utf-8"))
    nr = record["nonresponse"]
    print(f"无回答调整（按 {args.by}）：{nr['classes']} 类，调整系数 {nr['factor_min']}–{nr['factor_max']}；"
          f"已写入 {out}")  # fmt: skip
    if nr["classes_without_respondents"]:
        print(
            f"注意：{nr['classes_without_respondents']} 类没有受访者（系数为 0），可改用更大的调整类别"
        )
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
