"""``commeval init DIR [--sample]``: the files of a new research project (docs/projects.md).

::

    DIR/commeval.yaml          the project (name, district, dataset, year, config, report)
    DIR/config/framework.yaml  a copy of the packaged assessment framework, to edit
    DIR/config/fields.yaml     extra fields and questionnaire items (a commented template)
    DIR/config/codebook.yaml   header and answer mappings of the dataset (extends the default)
    DIR/config/diagnosis.yaml  problem and recommendation rules (a copy)
    DIR/notebooks/             copies of the report and research notebooks
    DIR/data/raw/<name>/       --sample: the synthetic sample district (as commeval sample-data);
                               otherwise dataset.yaml and empty templates (xlsx with drop-down
                               lists for coded fields, and CSV), one per contract table
    DIR/README.md              what to edit and in which order (Chinese)

Headers, labels and allowed values come from the data contract (:mod:`commeval.data.contract`);
nothing here lists fields by hand. A folder that is not empty is refused
(:class:`ScaffoldError`, exit 2) unless ``force``: then the files above are written over and
everything else in the folder is left alone.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from commeval.data.contract import Contract, Field, contract
from commeval.errors import InputError
from commeval.files import atomic_path, write_atomic
from commeval.paths import (
    REPORT_NOTEBOOKS,
    RESEARCH_NOTEBOOKS,
    report_notebook,
    research_notebook,
)
from commeval.paths import package_dir as _package_dir

if TYPE_CHECKING:
    import pandas as pd

#: Rows of the xlsx templates that carry the drop-down lists (the header is row 1).
TEMPLATE_ROWS = 2000
#: The hidden sheet of an xlsx template that holds the drop-down lists.
LISTS_SHEET = "选项"
#: Tables a team fills in, in the order the README asks for them.
TABLE_ORDER = ("townships", "villages", "communities", "survey", "population")
SAMPLE_DEFAULTS: dict[str, Any] = {
    "townships": None,
    "villages_per_township": None,
    "respondents_per_village": 15,
    "sampled_villages": 8,
    "years": (2011, 2012),
    "seed": 20121,
}


class ScaffoldError(InputError):
    """The project folder cannot be created (not empty, not a folder)."""

    summary = "无法创建项目 (cannot create the project)"


# --- the sample district ---------------------------------------------------------------------


def write_sample(
    out: str | Path,
    townships: int | Sequence[str] | None = None,
    villages_per_township: int | None = None,
    respondents_per_village: int = 15,
    sampled_villages: int | None = 8,
    years: Sequence[int] = (2011, 2012),
    seed: int = 20121,
    command: str = "commeval sample-data",
) -> tuple[Path, dict[str, Any]]:
    """Generate the synthetic sample district into ``out`` (``commeval sample-data`` and
    ``commeval init --sample``); the folder and the generated tables."""
    from commeval.synthetic import generate_district, write_raw

    tables = generate_district(
        townships=townships,
        villages_per_township=villages_per_township,
        respondents_per_village=respondents_per_village,
        years=list(years),
        seed=seed,
        sampled_villages=sampled_villages or None,
    )
    gen = {
        "command": command,
        "seed": seed,
        "townships": list(townships)
        if isinstance(townships, (list, tuple))
        else townships
        if townships is not None
        else "district",
        "villages_per_township": villages_per_township,
        "respondents_per_village": respondents_per_village,
        "sampled_villages": sampled_villages,
        "years": list(years),
    }
    return write_raw(tables, out, generator=gen), tables


# --- templates of the tables -----------------------------------------------------------------


def template_fields(table: str, c: Contract | None = None) -> list[Field]:
    """The fields of a table a team fills in: every field of the contract but personal data
    (which is dropped at ingestion anyway)."""
    c = c or contract()
    return [f for f in c[table].fields.values() if not f.personal]


def choices(f: Field) -> list[str] | None:
    """The answer texts a coded field's drop-down offers (None: a free value): 是/否 for bool,
    the level labels, the category labels (Likert answers, 男/女 …)."""
    if f.dtype == "bool":
        return ["是", "否"]
    if f.dtype == "level" and f.allowed:
        return list(f.allowed_labels or f.allowed)
    if f.dtype == "category" and f.codes:
        return list(f.codes.values())
    return None


def _column(i: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(i)


def write_xlsx_template(
    path: Path,
    table: str,
    c: Contract | None = None,
    rows: Sequence[dict[str, Any]] = (),
) -> Path:
    """An empty workbook for ``table``: one sheet with the contract's Chinese headers, a note
    per header (field, type, unit, range), drop-down lists for coded fields (the lists on a
    hidden sheet) and number checks for numeric fields with a range; ``rows`` (field → value)
    pre-fill data rows (a township's returns: year, township, village)."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    c = c or contract()
    fields = template_fields(table, c)
    wb = Workbook()
    ws = wb.active
    ws.title = c[table].label[:31].translate(str.maketrans("（）[]:*?/\\", "()()_____"))
    lists = wb.create_sheet(LISTS_SHEET)
    lists.sheet_state = "hidden"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    n_list = 0
    last = TEMPLATE_ROWS + 1
    for i, f in enumerate(fields, start=1):
        col = _column(i)
        cell = ws.cell(row=1, column=i, value=f.label)
        cell.font, cell.fill = bold, fill
        note = [f"字段 {f.name}", f"类型 {f.dtype}"]
        if f.unit:
            note.append(f"单位 {f.unit}")
        if f.min is not None or f.max is not None:
            note.append(
                f"范围 {'' if f.min is None else f'{f.min:g}'}–{'' if f.max is None else f'{f.max:g}'}"
            )
        note.append("必填" if f.required else "可空")
        if getattr(f, "blank", None) is not None:
            note.append(f"空白按 {f.blank} 处理")
        cell.comment = Comment("；".join(note), "commeval")
        ws.column_dimensions[col].width = max(10, min(40, 2 * len(f.label) + 2))
        options = choices(f)
        if options:
            n_list += 1
            lcol = _column(n_list)
            lists.cell(row=1, column=n_list, value=f.name)
            for j, text in enumerate(options, start=2):
                lists.cell(row=j, column=n_list, value=text)
            ref = f"'{LISTS_SHEET}'!${lcol}$2:${lcol}${len(options) + 1}"
            dv = DataValidation(
                type="list",
                formula1=ref,
                allow_blank=not f.required,
                showErrorMessage=True,
                errorTitle="无效的值",
                error=f"{f.label}：请从下拉列表中选择（{'、'.join(options)}）",
            )
        elif f.dtype in ("int", "float") and (f.min is not None or f.max is not None):
            kind = "whole" if f.dtype == "int" else "decimal"
            if f.min is not None and f.max is not None:
                dv = DataValidation(
                    type=kind, operator="between", formula1=f"{f.min:g}", formula2=f"{f.max:g}"
                )
            elif f.min is not None:
                dv = DataValidation(type=kind, operator="greaterThanOrEqual", formula1=f"{f.min:g}")
            else:
                dv = DataValidation(type=kind, operator="lessThanOrEqual", formula1=f"{f.max:g}")
            dv.allow_blank = not f.required
            dv.showErrorMessage = True
            dv.errorTitle = "无效的值"
            dv.error = f"{f.label}：{'整数' if kind == 'whole' else '数值'}，{note[-2] if len(note) > 3 else ''}"
        else:
            continue
        ws.add_data_validation(dv)
        dv.add(f"{col}2:{col}{last}")
    for r, values in enumerate(rows, start=2):
        for i, f in enumerate(fields, start=1):
            if f.name in values:
                ws.cell(row=r, column=i, value=values[f.name])
    ws.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


def write_csv_template(path: Path, table: str, c: Contract | None = None) -> Path:
    """An empty CSV for ``table`` (UTF-8 with BOM, so Excel opens it): the header row only."""
    import csv
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([f.label for f in template_fields(table, c)])
    write_atomic(path, ("\ufeff" + buf.getvalue()).encode("utf-8"))
    return path


def write_templates(raw_dir: str | Path, name: str, district: str | None = None) -> Path:
    """``dataset.yaml`` and the empty templates of every contract table into ``raw_dir``: an
    xlsx (the file ``dataset.yaml`` names) and a CSV of each table."""
    raw = Path(raw_dir)
    raw.mkdir(parents=True, exist_ok=True)
    c = contract()
    tables = [t for t in TABLE_ORDER if t in c.tables] + [
        t for t in c.tables if t not in TABLE_ORDER
    ]
    for t in tables:
        write_xlsx_template(raw / f"{t}.xlsx", t, c)
        write_csv_template(raw / f"{t}.csv", t, c)
    lines = [
        "# 数据集说明 (dataset.yaml)：每个表一个文件。模板是 xlsx（带下拉选项）；若用 CSV 填写，",
        "# 把对应表的 path 改为 <表名>.csv、format 改为 csv。也可以换成单位自己的文件（Excel、CSV、",
        "# SPSS .sav、问卷星导出），表头不同时在 config/codebook.yaml 中补充对应关系。",
        f"name: {_yaml_scalar(name)}",
        f"district: {_yaml_scalar(district or name)}",
        "synthetic: false   # 真实数据；示例（合成）数据为 true，报告会标注“示例数据”",
        "description: ''",
        "files:",
    ]
    for t in tables:
        lines.append(f"  {t}: {{path: {t}.xlsx, format: xlsx}}   # {c[t].label}")
    write_atomic(raw / "dataset.yaml", ("\n".join(lines) + "\n").encode("utf-8"))
    return raw


# --- keeping a project's templates current (commeval templates) -------------------------------


def is_blank_template(path: Path) -> bool:
    """Whether a table file holds no data: nothing below its header row (xlsx: the first sheet;
    CSV: no second non-empty line). A filled file is never rewritten."""
    if path.suffix.lower() == ".csv":
        lines = [x for x in path.read_text(encoding="utf-8-sig").splitlines() if x.strip(", ")]
        return len(lines) <= 1
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    try:
        ws = wb.worksheets[0]
        for row in ws.iter_rows(min_row=2, values_only=True):
            if any(v not in (None, "") for v in row):
                return False
        return True
    finally:
        wb.close()


def _header(path: Path) -> list[str]:
    if path.suffix.lower() == ".csv":
        import csv

        first = path.read_text(encoding="utf-8-sig").splitlines()[:1]
        return [h.strip() for h in next(csv.reader(first), [])] if first else []
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    try:
        row = next(wb.worksheets[0].iter_rows(max_row=1, values_only=True), ())
        return [str(v).strip() for v in row if v not in (None, "")]
    finally:
        wb.close()


def refresh_templates(
    raw_dir: str | Path, c: Contract, tables: Sequence[str] | None = None
) -> list[tuple[str, str]]:
    """Rewrite the blank templates of ``tables`` (default: every table) in ``raw_dir`` from the
    contract ``c`` (a project's, with its fields.yaml): ``<table>.xlsx`` and ``<table>.csv``
    are written when missing or blank; a filled file is left untouched and the fields its header
    lacks are named. Returns (file, what happened) in Chinese."""
    raw = Path(raw_dir)
    raw.mkdir(parents=True, exist_ok=True)
    names = tables or [t for t in TABLE_ORDER if t in c.tables] + [
        t for t in c.tables if t not in TABLE_ORDER
    ]
    out = []
    for t in names:
        if t not in c.tables:
            raise ScaffoldError(f"没有表 {t!r}（有 {'、'.join(c.tables)}）(unknown table)")
        labels = [f.label for f in template_fields(t, c)]
        for ext, write in (("xlsx", write_xlsx_template), ("csv", write_csv_template)):
            path = raw / f"{t}.{ext}"
            if path.exists() and not is_blank_template(path):
                have = set(_header(path))
                lack = [x for x in labels if x not in have]
                why = (
                    f"已填写，未改动；表头缺少新字段：{'、'.join(lack)}（请在文件中补列）"
                    if lack
                    else "已填写，未改动"
                )
                out.append((path.name, why))
                continue
            existed = path.exists()
            write(path, t, c)
            out.append((path.name, "已按当前字段重写" if existed else "已新建"))
    return out


def township_returns(
    out_dir: str | Path,
    villages: pd.DataFrame,
    year: int,
    c: Contract,
    table: str = "villages",
) -> list[Path]:
    """One pre-filled ``table`` template per township, listing its villages (year, township,
    village filled in), ready to send out as returns: ``<out_dir>/<township>_<表名>.xlsx``."""
    out = Path(out_dir)
    written = []
    label = re.sub(r"（[^）]*）|\([^)]*\)", "", c[table].label).strip() or table
    for town, g in villages.groupby("township", sort=False):
        rows = [
            {"year": int(year), "township": str(town), "village": str(v)}
            for v in g["village"].astype(str).drop_duplicates()
        ]
        safe = re.sub(r"[\\/:*?\"<>|\s]+", "_", f"{town}_{label}")
        written.append(write_xlsx_template(out / f"{safe}.xlsx", table, c, rows))
    return written


def _yaml_scalar(value: Any) -> str:
    return (
        yaml.safe_dump(value, allow_unicode=True, default_flow_style=True)
        .strip()
        .removesuffix("\n...")
        .strip()
    )


# --- configuration templates -----------------------------------------------------------------


def fields_template(c: Contract | None = None) -> str:
    """``config/fields.yaml``: a commented template (parses as an empty document)."""
    c = c or contract()
    names = "、".join(
        t for t in ("townships", "villages", "communities", "survey") if t in c.tables
    )
    return f"""\
# 扩展字段 (fields.yaml)：数据约定之外、本项目要采集的字段和问卷题目。
# 每个表一节（{names}），每个字段一行：英文字段名（小写字母、数字、下划线），
# label 中文名（原始数据的表头与 label 相同即可识别，不必写代码本）。字段名不能与内置字段重复。
# 村、乡镇、社区表字段的 dtype：bool（是/否）、int、float、category（values 取值）、text；
# 可选 unit 单位、min/max 范围、required: true 必填。空白单元格按“未填”处理（不计入比例的分母，
# commeval validate 会提示）；若本地约定空白即“否”或 0，写 blank: 否（或 blank: 0）。
# 改了本文件后运行 commeval templates，按新字段重写空白的数据模板（已填写的文件不会改动）。
# 问卷题目的 kind：likert（1–5 分，9 = 说不清）、yesno（是/否）、multi（多选，options）、numeric。
# 声明后即可在 config/framework.yaml 的公式中使用，如 100 * share(has_clinic)、survey(sat_clinic)。
# 去掉行首的 # 即可启用示例。

# villages:
#   has_clinic: {{label: 标准化村卫生室, dtype: bool}}
#   has_elder_canteen: {{label: 老年食堂, dtype: bool, blank: 否}}
#   safe_water_share: {{label: 安全饮水覆盖率, dtype: float, unit: "%", min: 0, max: 100}}
#   road_quality: {{label: 道路状况, dtype: category, values: {{1: 好, 2: 一般, 3: 差}}}}

# townships:
#   service_staff: {{label: 乡镇社区服务专职人员数, dtype: int, unit: 人, min: 0}}

# communities:
#   has_property_service: {{label: 物业服务, dtype: bool}}

# survey:
#   sat_clinic: {{label: 对村卫生室的满意度, kind: likert}}
#   used_service_hall: {{label: 是否到便民服务大厅办过事, kind: yesno}}
#   income_yuan: {{label: 家庭年收入, kind: numeric, unit: 元, min: 0}}
#   info_channel: {{label: 了解社区建设的渠道, kind: multi, options: {{a: 村务公开栏, b: 村民会议, c: 广播电视}}}}
"""


def codebook_template() -> str:
    """``config/codebook.yaml``: a commented template extending the packaged codebook."""
    return """\
# 代码本 (codebook.yaml)：本项目原始数据的表头和答案文字 → 数据约定的字段和取值。
# 它扩展内置代码本（commeval 包内的 config/codebook.yaml）：列表追加，映射合并（本文件优先）。
# 与字段中文名（label）或英文名相同的表头、是/否、满意度答案等不必写在这里。
# commeval validate 会列出未能识别的表头，把它们按下面的格式补上即可。
extends: true

# headers:                          # 表头别名：表 → 字段 → [原始表头, …]
#   villages:
#     service_center_m2: [服务中心用房面积]
#     has_health_station: [标准化卫生室]
#   survey:
#     sat_overall: [您对本村社区建设总体是否满意]

# values:                           # 答案文字 → 代码
#   groups:
#     likert: {十分满意: 5, 较满意: 4}
#   fields:
#     affairs_demo_level: {县级示范: district}

# missing_values: [未填, 不详]       # 视为缺失的单元格
# ignore_headers: [填表人, 审核人]   # 不是数据的列
# personal_headers: [户主身份证]     # 个人信息：导入时删除
"""


def project_yaml(name: str, dataset: str, district: str | None, sample: bool) -> str:
    district_line = (
        f"district: {_yaml_scalar(district)}"
        if district
        else "# district: 某县              # 默认：数据集 dataset.yaml 中的 district"
    )
    return f"""\
# commeval 评估项目 (docs/projects.md)。路径均相对于本文件所在目录。
name: {_yaml_scalar(name)}
{district_line}
dataset: {dataset}      # 原始数据目录（dataset.yaml + 每表一个文件）
# year: 2013                      # 默认评估年度；默认：数据中最近的一年
# processed: data/processed/{Path(dataset).name}   # 处理后数据（默认即此）
# outputs: outputs                # 报告输出目录（默认即此）

# 配置文件：不写则用 config/<名称>.yaml（存在时），否则用 commeval 内置的默认文件。
config:
  framework: config/framework.yaml   # 考核评价指标体系
  fields: config/fields.yaml         # 扩展字段和问卷题目
  codebook: config/codebook.yaml     # 表头和答案的对应关系（扩展内置代码本）
  diagnosis: config/diagnosis.yaml   # 问题诊断和建议规则

report:
  # title: 某县 2013 年农村社区建设评估报告   # 默认："<区县> <年度> 年农村社区建设评估报告"
  small_cell: 30          # 受访者少于此数的估计标注“样本较少”
  mc_draws: 500           # 指数不确定性的蒙特卡洛抽样次数
  seed: 20121             # 随机数种子（结果可重复）
  timezone: Asia/Shanghai # “生成时间”一行的时区
  formats: [html]         # 可加 docx（Word）、pdf：[html, docx, pdf]
"""


def readme(name: str, data: str, sample: bool) -> str:
    first = (
        f"`{data}/` 里是自带的示例区数据（合成数据，仅供演示）。先直接运行第 3、4 步看看报告的样子，"
        "再换成本地数据：把各表替换为自己的文件并修改 `dataset.yaml`（`synthetic: false`）。"
        if sample
        else f"在 `{data}/` 里填写各表模板：`townships.xlsx`（乡镇）、`villages.xlsx`（行政村，每村每年一行）、"
        "`communities.xlsx`（新型农村住宅社区）、`survey.xlsx`（农户问卷，每位受访者一行）、"
        "`population.xlsx`（人口控制总数，加权用）。表头不要改；带下拉列表的列从列表中选择"
        "（是/否、示范村级别、满意度答案等）。也可以用同名 CSV 模板，或直接使用单位自己的 Excel、"
        "SPSS、问卷星导出文件，在 `dataset.yaml` 中写明文件名。"
    )
    return f"""\
# {name}

用 [commeval](https://pypi.org/project/commeval/) 做农村社区建设评估的项目目录。
在本目录（或其子目录）中运行的 `commeval` 命令都使用本项目的配置（`commeval.yaml`）。

## 按这个顺序做

1. **项目设置** `commeval.yaml`：项目名称、区县名称、评估年度、报告标题和选项。
2. **数据** {first}
3. **检查数据** `commeval validate`：一次列出全部问题（文件、Excel 行号、列、值、规则），
   报告写入 `outputs/validation/`。在原始文件中改正后重新检查，直到没有错误。
   表头无法识别时，在 `config/codebook.yaml` 中补充对应关系。
4. **生成报告** `commeval reports`：每个乡镇一份报告和一份汇总页，写入
   `outputs/<运行时间>/`（`outputs/latest` 指向最近一次）。用浏览器打开 `index.html`。

## 按本地情况调整（可选）

- `config/framework.yaml` 考核评价指标体系：维度、指标、目标值、权重、等级划分。指标的计算公式
  （如 `100 * share(has_library)`、`survey(sat_overall)`）的写法见文档 framework.md 的
  “Formula language”一节；按本县考核评分表逐项计分（`scoring: points`：分值、评分标准、加分项、
  一票否决）见同一文档的 “Scorecards” 一节。`commeval docs` 打印文档所在的目录。
- **本县的考核评分表（Excel）**：`commeval framework import 评分表.xlsx -o config/framework.yaml`
  读入评分表（未能自动解析的评分标准列在文件开头的 TODO 中，补写后才能使用）；
  `commeval framework export config/framework.yaml -o 评分表.xlsx` 导出可打印签发的评分表。
- `config/fields.yaml` 本地增加的村级字段和问卷题目（模板里有示例，去掉 `#` 即启用）；
  声明后可在指标公式中使用，报告会列出新增的满意度题目。改动后运行 `commeval templates`，
  按新字段重写空白的数据模板（已填写的文件不会改动）。
- `config/codebook.yaml` 原始表头、答案文字与标准字段的对应关系。
- `config/diagnosis.yaml` 问题诊断和建议规则。

删除其中某个文件，即改用 commeval 内置的默认配置。改动任何配置后重新运行
`commeval reports`，受影响的报告会重新生成。

## 其他

- `commeval dictionary -o 数据字典.md`：本项目的数据字典（全部字段、中文名、类型、取值）。
- `commeval docs`：文档目录（数据约定、公式语言、考核评分表写法、项目设置）；`commeval docs framework`
  打印公式语言和评分表文档的路径，加 `--open` 用浏览器打开。
- `notebooks/`：报告和研究用的 Jupyter 笔记本（问卷分析、指数权重敏感性分析）。
- 姓名、电话、身份证号、住址等个人信息在导入时删除，不会进入处理后数据和报告。
"""


# --- the project -----------------------------------------------------------------------------


def data_name(folder: str | Path) -> str:
    """The dataset folder's name for a project folder: its name with spaces and characters
    a path cannot hold replaced."""
    text = re.sub(r"[\s/\\:*?\"<>|]+", "_", Path(folder).resolve().name).strip("._")
    return text or "district"


def init_project(
    target: str | Path,
    sample: bool = False,
    force: bool = False,
    name: str | None = None,
    district: str | None = None,
) -> list[Path]:
    """Create a research project in ``target``; the files written (relative to ``target``).

    Raises :class:`ScaffoldError` when ``target`` is a file, or a folder that is not empty
    (unless ``force``: the project's files are then written over, nothing else is touched)."""
    root = Path(target)
    if root.exists() and not root.is_dir():
        raise ScaffoldError(f"{root} 已存在且不是目录 (exists and is not a folder)")
    if root.is_dir() and any(root.iterdir()) and not force:
        raise ScaffoldError(
            f"目录 {root} 不是空的；换一个新目录，或加 --force 覆盖其中的项目文件"
            f" (folder not empty; use a new one or --force)"
        )
    root.mkdir(parents=True, exist_ok=True)
    before = {p for p in root.rglob("*") if p.is_file()}
    dname = data_name(root)
    data = f"data/raw/{dname}"
    title = name or (
        f"{district}农村社区建设评估" if district else f"{root.resolve().name} 农村社区建设评估"
    )

    write_atomic(root / "commeval.yaml", project_yaml(title, data, district, sample).encode())
    cfg = root / "config"
    cfg.mkdir(exist_ok=True)
    for copied in ("framework", "diagnosis"):
        shutil.copyfile(_package_dir() / "config" / f"{copied}.yaml", cfg / f"{copied}.yaml")
    write_atomic(cfg / "fields.yaml", fields_template().encode("utf-8"))
    write_atomic(cfg / "codebook.yaml", codebook_template().encode("utf-8"))

    nbs = root / "notebooks"
    nbs.mkdir(exist_ok=True)
    for nb in (*(report_notebook(n) for n in REPORT_NOTEBOOKS),
               *(research_notebook(n) for n in RESEARCH_NOTEBOOKS)):  # fmt: skip
        shutil.copyfile(nb, nbs / nb.name)  # they find the project from where they run

    raw = root / data
    if sample:
        write_sample(raw, command="commeval init --sample", **SAMPLE_DEFAULTS)
    else:
        write_templates(raw, dname, district)
    (root / "outputs").mkdir(exist_ok=True)
    write_atomic(root / "README.md", readme(title, data, sample).encode("utf-8"))
    written = {p for p in root.rglob("*") if p.is_file()}
    return sorted(p.relative_to(root) for p in written if p not in before or force)
