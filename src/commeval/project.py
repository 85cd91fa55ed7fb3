"""The research project (评估项目): a folder holding ``commeval.yaml`` and its configuration.

A project names its dataset, its default assessment year, its configuration files (assessment
framework, extra fields, codebook, diagnosis rules) and its report options. Every command finds
the project as git finds a repository — from the working directory upward — or is given one
(``--project DIR``). A configuration file the project does not have falls back to the packaged
default, and a folder without any ``commeval.yaml`` is the *default project*: the packaged
configuration and the bundled sample district (:data:`commeval.paths.DEFAULT_DATA_DIR`).

``commeval.yaml`` is validated on load: an unknown key, a value of the wrong type, a dataset
outside the project that does not exist or an unknown time zone raise :class:`ProjectError`
naming the file, the key and the value. See ``docs/projects.md``.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from commeval.errors import InputError
from commeval.files import exclusive
from commeval.paths import DEFAULT_DATA_DIR, DEFAULT_OUT_DIR, default_processed_dir, package_dir

#: The file that makes a folder a project.
PROJECT_FILE = "commeval.yaml"
#: The project's configuration files: ``config/<name>.yaml`` unless ``config:`` says otherwise.
CONFIG_NAMES = ("framework", "fields", "codebook", "diagnosis")
#: Configuration files the package ships a default of (``fields`` and ``codebook`` extend the
#: packaged contract and codebook instead of replacing them: no default file is used for them).
PACKAGED_DEFAULTS = ("framework", "diagnosis")
#: Report formats: the HTML page, an editable Word file, a print-ready PDF (docs/reports.md).
FORMATS = ("html", "docx", "pdf")
#: Keys of ``report.docx`` and of ``report.docx.fonts``.
DOCX_KEYS = {"fonts", "cover", "organisation"}
DOCX_FONT_KEYS = {"body", "heading1", "heading2", "latin"}

TOP_KEYS = {
    "name",
    "district",
    "dataset",
    "processed",
    "outputs",
    "year",
    "config",
    "report",
    "survey",
    "level",
}
#: The district's level (区/县/市): ``level:`` in ``commeval.yaml``, else the name's last
#: character when it is one of these, else 区.
LEVELS = ("区", "县", "市")
REPORT_KEYS = {
    "title", "small_cell", "max_cv", "mc_draws", "seed", "timezone", "formats", "docx",
    "max_moe", "survey_period",
}  # fmt: skip
REPORT_KEYS |= {"interval_level"}
#: How the year's survey is weighted (``survey: weighting:``): design weights, or raked to the
#: population table's township × gender and township × age-group margins.
WEIGHTINGS = ("design", "raked")


class ProjectError(InputError, ValueError):
    """``commeval.yaml`` is malformed; the message names the file, the key and the value."""

    summary = "项目配置无效 (invalid project configuration)"


@dataclass(frozen=True)
class ReportOptions:
    """The ``report:`` section of ``commeval.yaml``."""

    title: str | None = None  # report title; None: "<district> <year> 年农村社区建设评估报告"
    small_cell: int = 30  # small-cell threshold (respondents) for survey estimates
    max_cv: float | None = None  # suppress survey shares whose CV (se / estimate) exceeds this
    mc_draws: int = 500  # Monte Carlo draws of the index uncertainty
    seed: int = 20121
    timezone: str = "Asia/Shanghai"  # of the 生成时间 line (zoneinfo name, validated)
    formats: tuple[str, ...] = ("html",)  # of FORMATS; html first when listed
    #: ``report.docx``: fonts (body, heading1, heading2, latin → font name), cover block,
    #: 编制单位 printed on the cover
    docx_fonts: tuple[tuple[str, str], ...] = ()
    docx_cover: bool = True
    organisation: str = ""
    interval_level: float = 0.90  # level of the index's Monte Carlo rank and score intervals
    #: ``report.max_moe``: survey figures whose 95 % interval half-width exceeds this (百分点 for
    #: shares, 分 for scores) are marked 精度不足 (they are still printed; ``max_cv`` suppresses)
    max_moe: float | None = None
    #: ``report.survey_period``: when the survey was in the field, as printed ("2012年10—11月")
    survey_period: str | None = None
    #: ``level:`` of ``commeval.yaml`` (区/县/市); None: from the district name's last character
    level: str | None = None

    def level_of(self, district: str) -> str:
        """The district's level as its pages name it: 区, 县 or 市."""
        return district_level(district, self.level)

    def title_for(self, district: str, year: int | None) -> str:
        """The report title: ``title`` if set, else "<district> <year> 年农村社区建设评估报告"."""
        if self.title:
            return self.title
        return (
            f"{district} {year} 年农村社区建设评估报告"
            if year
            else f"{district}农村社区建设评估报告"
        )


def district_level(name: str, level: str | None = None) -> str:
    """区/县/市 of a district: ``level`` when given, else its name's last character when that
    is one of :data:`LEVELS` (某县 → 县), else 区."""
    if level:
        return level
    tail = (name or "").strip()[-1:]
    return tail if tail in LEVELS else "区"


@dataclass(frozen=True)
class Project:
    """A research project: where its data, configuration and reports are (absolute paths)."""

    root: Path  # the folder holding commeval.yaml
    file: Path | None  # commeval.yaml (None for the built-in default project)
    name: str
    district: str | None  # district name for reports (overrides dataset.yaml's)
    dataset: Path  # the raw dataset folder
    processed: Path  # processed folder (default paths.default_processed_dir(dataset))
    outputs: Path  # where reports go (default root/"outputs")
    year: int | None  # default assessment year
    framework_file: Path  # config/framework.yaml if it exists, else the packaged default
    fields_file: Path | None  # config/fields.yaml if it exists
    codebook_file: Path | None  # config/codebook.yaml if it exists (extends the packaged one)
    diagnosis_file: Path  # config/diagnosis.yaml if it exists, else the packaged default
    report: ReportOptions = field(default_factory=ReportOptions)
    #: ``survey: weighting:`` — the official weighting of the year's survey (see docs/survey.md)
    survey_weighting: str = "design"

    def config_files(self) -> list[Path]:
        """Every file of the project that exists (``commeval.yaml`` and the configuration
        files, packaged defaults included), for cache keys."""
        files = [
            self.file,
            self.framework_file,
            self.fields_file,
            self.codebook_file,
            self.diagnosis_file,
        ]
        return [p for p in files if p is not None and p.is_file()]

    def contract(self) -> Any:
        """The project's data contract: the packaged one extended by :attr:`fields_file`
        (:func:`commeval.data.contract.extend_contract`)."""
        from commeval.data.contract import contract, extend_contract

        base = contract()
        return extend_contract(base, self.fields_file) if self.fields_file else base

    def check(self) -> None:
        """Load and validate every configuration file the project's run needs — the contract
        with its fields.yaml, the codebook, the framework against that contract — so a bad file
        stops a run before anything is read or written (each raises an ``InputError`` naming
        the file, key and value)."""
        from commeval.data.codebook import load_codebook
        from commeval.index.framework import load_framework

        c = self.contract()
        if self.codebook_file is not None:
            load_codebook(self.codebook_file, contract=c)
        load_framework(self.framework_file, contract=c)

    def data_options(self) -> dict[str, Any]:
        """What reading the project's raw data takes besides the folders — the ``contract`` and
        ``codebook`` arguments of :func:`commeval.data.ingest.ingest`,
        :func:`~commeval.data.validate.run_validate` and
        :func:`~commeval.data.freshness.is_current`."""
        return {"contract": self.contract(), "codebook": self.codebook_file}

    @property
    def is_default(self) -> bool:
        """True for the built-in default project (no ``commeval.yaml``)."""
        return self.file is None

    @property
    def validation_dir(self) -> Path:
        """Where ``commeval validate`` writes its problem report."""
        return self.outputs / "validation"


def packaged_config(name: str) -> Path:
    """The packaged default configuration file ``commeval/config/<name>.yaml``."""
    return package_dir() / "config" / f"{name}.yaml"


def _fail(file: Path | str, key: str, value: Any, zh: str, en: str) -> ProjectError:
    return ProjectError(f"{file}: 键 {key} 的值 {value!r} 无效 — {zh} ({en})")


def find_project(start: str | Path | None = None) -> Project:
    """The project holding ``start`` (default: the working directory): the nearest folder,
    ``start`` itself or a parent, with a ``commeval.yaml``, as git finds a repository. Without
    one, the default project rooted at ``start`` (packaged configuration, dataset
    :data:`~commeval.paths.DEFAULT_DATA_DIR`)."""
    here = Path(start if start is not None else Path.cwd()).resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        if (folder / PROJECT_FILE).is_file():
            return load_project(folder / PROJECT_FILE)
    return default_project(here)


def default_project(root: str | Path | None = None) -> Project:
    """The built-in default project rooted at ``root`` (default: the working directory)."""
    root = Path(root if root is not None else Path.cwd()).resolve()
    dataset = root / DEFAULT_DATA_DIR
    return Project(
        root=root,
        file=None,
        name=root.name or "commeval",
        district=None,
        dataset=dataset,
        processed=default_processed_dir(dataset),
        outputs=root / DEFAULT_OUT_DIR,
        year=None,
        framework_file=packaged_config("framework"),
        fields_file=None,
        codebook_file=None,
        diagnosis_file=packaged_config("diagnosis"),
        report=ReportOptions(),
    )


def load_project(path: str | Path) -> Project:
    """The project of ``path``: a folder holding ``commeval.yaml``, or the file itself."""
    path = Path(path).resolve()
    file = path / PROJECT_FILE if path.is_dir() else path
    if not file.is_file():
        raise ProjectError(
            f"{file}: 找不到项目文件 {PROJECT_FILE}（可用 commeval init 创建）"
            f" (no {PROJECT_FILE} here; create one with commeval init)"
        )
    from commeval.data.guard import GuardError, load_yaml_file

    try:
        doc = load_yaml_file(file)  # a regular file, size and alias-expansion limits
    except GuardError as exc:
        raise _fail(file, "<file>", str(file), exc.message, "input refused") from None
    except yaml.YAMLError as exc:
        raise _fail(
            file, "<yaml>", str(exc).splitlines()[0], "YAML 语法错误", "YAML syntax"
        ) from None
    except UnicodeDecodeError as exc:
        raise _fail(file, "<file>", str(exc), "须为 UTF-8 编码", "must be UTF-8") from None
    return parse_project(doc if doc is not None else {}, file)


def _str(file: Path, key: str, value: Any, optional: bool = True) -> str | None:
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _fail(file, key, value, "须为非空文字", "must be a non-empty string")
    return value.strip()


def _int(file: Path, key: str, value: Any, low: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(file, key, value, "须为整数", "must be an integer")
    if low is not None and value < low:
        raise _fail(file, key, value, f"须不小于 {low}", f"must be ≥ {low}")
    return value


def _path(file: Path, root: Path, key: str, value: Any) -> Path:
    text = _str(file, key, value, optional=False)
    assert text is not None
    return (root / Path(text).expanduser()).resolve()


def _mapping(file: Path, key: str, value: Any, allowed: set[str]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(file, key, value, "须为映射（键: 值）", "must be a mapping")
    unknown = sorted(str(k) for k in value if k not in allowed)
    if unknown:
        where = f"{key}.{unknown[0]}" if key != "<root>" else unknown[0]
        raise _fail(
            file,
            where,
            value[unknown[0]] if unknown[0] in value else unknown[0],
            f"未知的键，可用：{', '.join(sorted(allowed))}",
            "unknown key",
        )
    return value


def parse_project(doc: Any, file: str | Path) -> Project:
    """Validate a parsed ``commeval.yaml`` (``file``: where it was read, its folder the root)."""
    file = Path(file).resolve()
    root = file.parent
    doc = _mapping(file, "<root>", doc, TOP_KEYS)
    name = _str(file, "name", doc.get("name")) or root.name
    district = _str(file, "district", doc.get("district"))

    if "dataset" in doc:
        dataset = _path(file, root, "dataset", doc["dataset"])
    else:
        dataset = (root / DEFAULT_DATA_DIR).resolve()
    if not dataset.is_relative_to(root) and not dataset.is_dir():
        raise _fail(
            file,
            "dataset",
            doc.get("dataset"),
            f"项目目录之外的数据目录 {dataset} 不存在",
            "a dataset outside the project must exist",
        )
    if dataset.exists() and not dataset.is_dir():
        raise _fail(file, "dataset", doc.get("dataset"), "须为目录", "must be a folder")
    processed = (
        _path(file, root, "processed", doc["processed"])
        if doc.get("processed") is not None
        else default_processed_dir(dataset)
    )
    outputs = (
        _path(file, root, "outputs", doc["outputs"])
        if doc.get("outputs") is not None
        else root / DEFAULT_OUT_DIR
    )
    year = doc.get("year")
    if year is not None:
        year = _int(file, "year", year, low=1900)

    config = _mapping(file, "config", doc.get("config"), set(CONFIG_NAMES))
    files: dict[str, Path | None] = {}
    for cname in CONFIG_NAMES:
        key = f"config.{cname}"
        if config.get(cname) is not None:
            p = _path(file, root, key, config[cname])
            if not p.is_file():
                raise _fail(file, key, config[cname], f"文件 {p} 不存在", "file not found")
            files[cname] = p
        elif (root / "config" / f"{cname}.yaml").is_file():
            files[cname] = root / "config" / f"{cname}.yaml"
        else:
            files[cname] = packaged_config(cname) if cname in PACKAGED_DEFAULTS else None

    return Project(
        root=root,
        file=file,
        name=name,
        district=district,
        dataset=dataset,
        processed=processed,
        outputs=outputs,
        year=year,
        framework_file=files["framework"],  # type: ignore[arg-type]
        fields_file=files["fields"],
        codebook_file=files["codebook"],
        diagnosis_file=files["diagnosis"],  # type: ignore[arg-type]
        report=replace(
            _report_options(file, doc.get("report")), level=_level(file, doc.get("level"))
        ),
        survey_weighting=_survey_weighting(file, doc.get("survey")),
    )


def _survey_weighting(file: Path, value: Any) -> str:
    spec = _mapping(file, "survey", value, {"weighting"})
    w = spec.get("weighting", "design")
    if w not in WEIGHTINGS:
        raise _fail(
            file,
            "survey.weighting",
            w,
            "须为 design（设计权数）或 raked（按人口表 raking）",
            f"must be one of {', '.join(WEIGHTINGS)}",
        )
    return str(w)


def _level(file: Path, value: Any) -> str | None:
    if value is None:
        return None
    if value not in LEVELS:
        raise _fail(file, "level", value, f"须为 {'、'.join(LEVELS)} 之一", "must be 区, 县 or 市")
    return str(value)


def _report_options(file: Path, value: Any) -> ReportOptions:
    spec = _mapping(file, "report", value, REPORT_KEYS)
    d = ReportOptions()
    title = _str(file, "report.title", spec.get("title"))
    small_cell = _int(file, "report.small_cell", spec.get("small_cell", d.small_cell), low=1)
    mc_draws = _int(file, "report.mc_draws", spec.get("mc_draws", d.mc_draws), low=1)
    max_cv = spec.get("max_cv")
    if max_cv is not None and (
        isinstance(max_cv, bool) or not isinstance(max_cv, int | float) or not 0 < max_cv
    ):
        raise _fail(
            file,
            "report.max_cv",
            max_cv,
            "须为正数（如 0.3）",
            "must be a positive number (e.g. 0.3)",
        )
    max_moe = spec.get("max_moe")
    if max_moe is not None and (
        isinstance(max_moe, bool) or not isinstance(max_moe, int | float) or not 0 < max_moe
    ):
        raise _fail(
            file,
            "report.max_moe",
            max_moe,
            "须为正数（区间半宽，百分点或分，如 10）",
            "must be a positive number (interval half-width in percentage points or points)",
        )
    survey_period = _str(file, "report.survey_period", spec.get("survey_period"))
    seed = _int(file, "report.seed", spec.get("seed", d.seed), low=0)
    level = spec.get("interval_level", d.interval_level)
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        raise _fail(
            file,
            "report.interval_level",
            level,
            "须为 0 与 1 之间的数（如 0.9）",
            "must be a number between 0 and 1 (e.g. 0.9)",
        )
    tz = _str(file, "report.timezone", spec.get("timezone", d.timezone), optional=False)
    try:
        zoneinfo.ZoneInfo(str(tz))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise _fail(
            file,
            "report.timezone",
            tz,
            "未知的时区，应为 IANA 时区名如 Asia/Shanghai",
            "unknown time zone; an IANA name such as Asia/Shanghai",
        ) from None
    formats = spec.get("formats", list(d.formats))
    if isinstance(formats, str):
        formats = [formats]
    if not isinstance(formats, list) or not formats:
        raise _fail(file, "report.formats", formats, "须为格式列表", "must be a list of formats")
    for f in formats:
        if f not in FORMATS:
            raise _fail(
                file,
                "report.formats",
                f,
                f"可选格式为 {', '.join(FORMATS)}",
                f"use some of {', '.join(FORMATS)}",
            )
    docx = _mapping(file, "report.docx", spec.get("docx"), DOCX_KEYS)
    fonts = _mapping(file, "report.docx.fonts", docx.get("fonts"), DOCX_FONT_KEYS)
    font_names = tuple(
        (k, str(_str(file, f"report.docx.fonts.{k}", v, optional=False))) for k, v in fonts.items()
    )
    cover = docx.get("cover", True)
    if not isinstance(cover, bool):
        raise _fail(file, "report.docx.cover", cover, "须为 true 或 false", "must be true or false")
    organisation = _str(file, "report.docx.organisation", docx.get("organisation")) or ""
    return ReportOptions(
        title=title,
        small_cell=small_cell,
        max_cv=float(max_cv) if max_cv is not None else None,
        mc_draws=mc_draws,
        seed=seed,
        timezone=str(tz),
        formats=tuple(dict.fromkeys(formats)),
        docx_fonts=font_names,
        docx_cover=cover,
        organisation=organisation,
        interval_level=float(level),
        max_moe=float(max_moe) if max_moe is not None else None,
        survey_period=survey_period,
    )


def ensure_processed(
    data_dir: str | Path, processed_dir: str | Path | None = None, project: Project | None = None
) -> Path:
    """THE "ingest if stale" of the package: the processed folder of ``data_dir`` (default
    :func:`commeval.paths.default_processed_dir`), ingested first unless its manifest records
    the raw files, contract, codebook and code it would be made from now
    (:func:`commeval.data.freshness.is_current`). With a ``project`` its contract (fields.yaml)
    and codebook read the data. :func:`commeval.load_tables`, :func:`commeval.district.
    load_district` (the report and research notebooks), the batch pipeline and the CLI all come
    through here (``tests/test_load_paths.py``)."""
    from commeval.data.freshness import is_current

    opts = project.data_options() if project is not None else {}
    processed = Path(processed_dir) if processed_dir else default_processed_dir(data_dir)
    # one process at a time checks and re-makes a processed folder (a notebook and a batch run
    # on the same data): the second waits, then finds it current instead of reading it half
    # rewritten or ingesting it again
    with exclusive(processed.parent / f".{processed.name}.lock"):
        if not is_current(data_dir, processed, **opts):
            from commeval.data.ingest import ingest  # only when needed: importing it costs more

            ingest(data_dir, processed, **opts)
    return processed
