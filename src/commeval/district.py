"""The evaluated district: processed tables → one survey design per year → one index evaluation.

Every number a report, the district summary or a research notebook shows comes from this layer:
:func:`load_district` reads the processed tables (ingesting first when the raw files changed),
builds THE design of every survey year (:func:`commeval.survey.questionnaire.year_design`),
takes the township survey estimates the index needs from those designs, evaluates the index
once, and summarises the survey of the assessment year once. A township page's confidence
interval for overall satisfaction and the sampling error the index's Monte Carlo draws from are
therefore the same numbers.

Derived results (the evaluation with its Monte Carlo analysis, the survey summaries) are kept
beside the processed tables in ``evaluation/`` as Parquet + JSON (:mod:`commeval.derived`),
keyed by everything they depend on, so batch workers and re-runs read them instead of
recomputing. In a process the last district loaded is kept in memory (a warm worker renders
many townships from one evaluation).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from commeval import derived
from commeval import project as _project
from commeval.data.contract import Contract, contract
from commeval.data.processed import load_processed
from commeval.errors import InputError
from commeval.index import Evaluation, Framework, evaluate, load_framework
from commeval.keys import digest, file_hash, key, package_hash
from commeval.paths import DEFAULT_DATA_DIR
from commeval.project import Project, ReportOptions, load_project
from commeval.survey import SurveyDesign, questionnaire
from commeval.survey.columns import as_year
from commeval.survey.comparisons import compare_independent, compare_to_rest
from commeval.survey.likert import likert_summary, multiple_response

MC_DRAWS = 500
MC_SEED = 20121
SURVEY_MIN_N = 30


def ensure_processed(
    data_dir: str | Path, processed_dir: str | Path | None = None, project: Project | None = None
) -> Path:
    """Ingest ``data_dir`` unless the processed tables are current; return the processed dir
    (:func:`commeval.project.ensure_processed`, the package's one "ingest if stale")."""
    return _project.ensure_processed(data_dir, processed_dir, project)


def as_project(project: Project | str | Path | None) -> Project | None:
    """A project given as itself or as its folder (a notebook parameter is a path string)."""
    if project is None or isinstance(project, Project):
        return project
    return load_project(project)


@dataclass
class SurveySummaries:
    """The assessment year's survey, summarised once for every township (tidy frames).

    ``likert``: :func:`~commeval.survey.likert_summary` by township; ``needs`` and
    ``participation``: multiple-response shares by township; ``vs_district``: each township
    against the rest of the district, per Likert item; ``vs_previous``: each township against
    itself in the previous survey year (independent samples), per Likert item.
    """

    year: int
    previous_year: int | None
    likert: pd.DataFrame
    needs: pd.DataFrame
    participation: pd.DataFrame
    vs_district: pd.DataFrame
    vs_previous: pd.DataFrame


def survey_summaries(
    designs: dict[int, SurveyDesign],
    year: int,
    min_n: int = SURVEY_MIN_N,
    contract: Contract | None = None,
) -> SurveySummaries:
    """:class:`SurveySummaries` of ``year`` from the year designs: every Likert, multiple-choice
    and yes/no item of ``contract`` (default: the packaged one; a project's adds its own)."""
    design = designs[year]
    columns = design.data.columns
    items = [i for i in questionnaire.likert_items(contract) if i in columns]
    needs = [i for i in questionnaire.needs_items(contract) if i in columns]
    yesno = [i for i in questionnaire.participation_items(contract) if i in columns]
    earlier = [y for y in designs if y < year]
    prev = max(earlier) if earlier else None
    vs_prev = [compare_independent(design, designs[prev], i, "township") for i in items if prev]
    return SurveySummaries(
        year=year,
        previous_year=prev,
        likert=likert_summary(design, items, by="township", min_n=min_n),
        needs=multiple_response(design, needs, by="township", min_n=min_n),
        participation=multiple_response(design, yesno, by="township", min_n=min_n),
        vs_district=pd.concat(
            [compare_to_rest(design, i, "township") for i in items], ignore_index=True
        ),
        vs_previous=pd.concat(vs_prev, ignore_index=True) if vs_prev else pd.DataFrame(),
    )


@dataclass(frozen=True)
class Provenance:
    """Where the processed tables came from: the processed folder's manifest."""

    run_id: str
    created: str
    schema_version: int
    synthetic: bool
    dataset: dict[str, object]  # dataset.yaml as ingested
    sources: pd.DataFrame  # one row per raw file: table, file, modified, sha256, …
    table_hashes: dict[str, str]  # processed table → sha256 of its Parquet file

    @classmethod
    def from_manifest(cls, meta: dict[str, Any], tables: dict[str, Any]) -> Provenance:
        return cls(
            run_id=str(meta.get("run_id", "")),
            created=str(meta.get("created", "")),
            schema_version=int(meta.get("schema_version", 0)),
            synthetic=bool(meta.get("synthetic")),
            dataset=dict(meta.get("dataset") or {}),
            sources=pd.DataFrame(meta.get("sources") or []),
            table_hashes={k: str(v["sha256"]) for k, v in tables.items()},
        )


@dataclass
class District:
    """Everything the reports of one district and assessment year are built from."""

    data_dir: Path
    processed_dir: Path
    tables: dict[str, pd.DataFrame]
    provenance: Provenance
    year: int
    framework: Framework
    designs: dict[int, SurveyDesign]  # THE design of every survey year
    survey_estimates: pd.DataFrame  # township × year × indicator: what the index used
    evaluation: Evaluation
    summaries: SurveySummaries
    district_key: str  # hash of what the evaluation and the summaries depend on
    contract: Contract = field(default_factory=contract)
    options: ReportOptions = field(default_factory=ReportOptions)
    district_name: str | None = None  # the project's name for the district (over the data's)
    diagnosis_file: Path | None = None  # the project's diagnosis rules (None: packaged)
    project: Project | None = None
    #: how :attr:`designs` are weighted (``commeval.yaml`` ``survey: weighting:``)
    weighting: str = "design"
    _hashes: dict[str, str] | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return (
            f"<District {self.name} {self.year}: {len(self.townships)} townships, "
            f"survey years {sorted(self.designs)}, framework {self.framework.name} "
            f"{self.framework.version}>"
        )

    @property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.tables["villages"]["year"].unique())

    @property
    def previous_year(self) -> int | None:
        earlier = [y for y in self.years if y < self.year]
        return earlier[-1] if earlier else None

    @cached_property
    def townships(self) -> list[str]:
        """Townships in the contract table's order."""
        return [str(t) for t in self.tables["townships"]["township"]]

    @property
    def synthetic(self) -> bool:
        return self.provenance.synthetic

    @property
    def name(self) -> str:
        return district_name(self.district_name, self.provenance, self.data_dir)

    @property
    def survey(self) -> pd.DataFrame:
        """The survey table as processed (one row per respondent, every year)."""
        return self.tables["survey"]

    @property
    def design(self) -> SurveyDesign:
        """The design of the assessment year's survey."""
        return self.designs[self.year]

    def township_slice(self, township: str) -> dict[str, pd.DataFrame]:
        """The rows of every table that belong to one township."""
        return {
            name: df[df["township"] == township] if "township" in df.columns else df
            for name, df in self.tables.items()
        }

    def input_hash(self, township: str) -> str:
        """Hash of what a township report depends on: the township's slice of processed data
        and the district-wide evaluation it is ranked in (:attr:`district_key`)."""
        if self._hashes is None:  # one pass over the tables for every township, kept
            self._hashes = self.input_hashes()
        hashes = self._hashes
        return hashes[township] if township in hashes else self.input_hashes([township])[township]

    def input_hashes(self, townships: list[str] | None = None) -> dict[str, str]:
        """:meth:`input_hash` of many townships at once (default: all of them): the key
        (:func:`commeval.keys.key`, tag ``township``) of the digest of the township's slice of
        every table (of the whole table when it has no township column), the year and the
        :attr:`district_key`.

        Every table's rows are hashed once and grouped by township once, instead of masking
        every table per township (2,000 townships × a 400,000-row survey). The digests are
        byte-identical to hashing each township's slice on its own: a row's hash depends only
        on that row, and a slice keeps the table's row order."""
        townships = self.townships if townships is None else list(townships)
        slices: dict[str, dict[str, str]] = {t: {} for t in townships}
        for name, df in sorted(self.tables.items()):
            rows = pd.util.hash_pandas_object(df, index=False).to_numpy()
            if "township" not in df.columns:
                whole = digest(rows.tobytes())  # a table without townships: all of it
                for tables in slices.values():
                    tables[name] = whole
                continue
            codes, uniques = pd.factorize(df["township"])
            order = np.argsort(codes, kind="stable")
            bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
            group = {u: i for i, u in enumerate(uniques)}
            for t, tables in slices.items():
                i = group.get(t)
                part = rows[order[bounds[i] : bounds[i + 1]]] if i is not None else rows[:0]
                tables[name] = digest(part.tobytes())
        return {
            t: key("township", tables=tables, year=self.year, district=self.district_key)
            for t, tables in slices.items()
        }


_LOADED: dict[str, District] = {}
# the derived results this layer caches (commeval.derived rebuilds registered classes only)
derived.register(Evaluation, SurveySummaries)

#: What the weighting options of ``commeval.yaml`` (``survey: weighting:``) mean.
WEIGHTING_LABELS = {
    "design": "设计权数（抽样权数）",
    "raked": "按人口表 raking（乡镇×性别、乡镇×年龄组）",
}


def official_designs(
    tables: dict[str, pd.DataFrame],
    weighting: str = "design",
    min_n: int = SURVEY_MIN_N,
    contract: Contract | None = None,
) -> dict[int, SurveyDesign]:
    """THE design of every survey year under the project's official weighting: the year
    design (:func:`~commeval.survey.questionnaire.year_design`: design weights), then, for
    ``weighting="raked"``, raked to the population table's township × gender and township ×
    age-group margins (:func:`~commeval.survey.analysis.rake_to_population`). Every survey
    figure of the reports, the index and the research notebooks comes from these designs."""
    from commeval.survey.analysis import rake_to_population

    if weighting not in WEIGHTING_LABELS:
        raise ValueError(f"survey.weighting 须为 {list(WEIGHTING_LABELS)}，得到 {weighting!r}")
    survey = tables.get("survey")
    if survey is None or not len(survey):
        return {}
    designs = questionnaire.year_designs(survey, min_n=min_n, contract=contract)
    if weighting == "raked":
        pop = tables.get("population")
        if pop is None or pop.empty:
            raise ValueError(
                "survey.weighting: raked 需要人口表 population (raking needs the population table)"
            )
        designs = {y: rake_to_population(d, pop) for y, d in designs.items()}
    return designs


def district_name(given: str | None, provenance: Provenance, data_dir: Path) -> str:
    """The district's name: the project's ``district``, else the one its dataset.yaml gives,
    else the data folder's name."""
    if given:
        return given
    ds = provenance.dataset
    return str(ds.get("district") or ds.get("name") or Path(data_dir).name)


def framework_fingerprint(framework: Framework) -> str:
    """Hash of a framework: its file's (the packaged default is covered by
    :func:`~commeval.keys.package_hash` too), else the key of its parsed content."""
    src = Path(framework.source)
    if src.is_file():
        return key("framework", file=file_hash(src), wording=framework.wording)
    return key("framework", content=repr(framework))


def district_key(
    table_hashes: dict[str, str],
    framework: Framework,
    year: int,
    draws: int,
    seed: int,
    min_n: int = SURVEY_MIN_N,
    data_contract: Contract | None = None,
    weighting: str = "design",
    level: float = 0.90,
) -> str:
    """The key (:func:`commeval.keys.key`, tag ``district``) of what the evaluation and the
    survey summaries depend on: the processed tables' checksums, the framework, the year, the
    Monte Carlo draws and seed, the small-cell threshold, the contract's fingerprint, the
    weighting, the interval level and commeval's own files."""
    return key(
        "district",
        tables=table_hashes,
        framework=framework_fingerprint(framework),
        year=int(year),
        draws=int(draws),
        seed=int(seed),
        min_n=int(min_n),
        contract=data_contract.fingerprint if data_contract is not None else None,
        weighting=weighting,
        level=float(level),
        code=package_hash(),
    )


def load_district(
    data_dir: str | Path | None = None,
    processed_dir: str | Path | None = None,
    year: int | None = None,
    framework: str | Path | Framework | None = None,
    mc_draws: int | None = None,
    seed: int | None = None,
    *,
    project: Project | str | Path | None = None,
) -> District:
    """Load (ingesting if needed) and evaluate a district for an assessment year (default: the
    latest year in the data).

    With a ``project`` (a :class:`~commeval.project.Project` or its folder), everything not
    given comes from it: the dataset and processed folders, the default year, the framework,
    the contract (fields.yaml) and codebook the data are read with, the Monte Carlo draws and
    seed, the small-cell threshold, the district name, the diagnosis rules and the report
    options. Without one, the packaged defaults and the sample district."""
    proj = as_project(project)
    options = proj.report if proj is not None else ReportOptions()
    if data_dir is None:
        data_dir = proj.dataset if proj is not None else DEFAULT_DATA_DIR
    if processed_dir is None and proj is not None and Path(data_dir) == proj.dataset:
        processed_dir = proj.processed
    if year is None and proj is not None:
        year = proj.year
    year = None if year is None else as_year(year)  # 2012 or "2012" alike
    if framework is None and proj is not None:
        framework = proj.framework_file
    mc_draws = options.mc_draws if mc_draws is None else mc_draws
    seed = options.seed if seed is None else seed
    data_dir = Path(data_dir)
    processed = ensure_processed(data_dir, processed_dir, proj)
    manifest = (processed / "manifest.json").read_text(encoding="utf-8")
    if isinstance(framework, Framework):
        fw_key: object = framework_fingerprint(framework)
    elif framework is not None:
        st = Path(framework).stat()
        fw_key = (str(Path(framework).resolve()), st.st_size, st.st_mtime_ns)
    else:
        fw_key = None
    config = [] if proj is None else [_stat(p) for p in proj.config_files()]
    loaded = key(
        "loaded",
        processed=str(processed.resolve()),
        manifest=digest(manifest),
        year=year,
        framework=fw_key,
        draws=mc_draws,
        seed=seed,
        config=config,
    )
    if loaded in _LOADED:
        return _LOADED[loaded]
    c = proj.contract() if proj is not None else contract()
    tables, meta = load_processed(processed, contract=c)
    provenance = Provenance.from_manifest(meta, json.loads(manifest).get("tables", {}))
    if isinstance(framework, Framework):
        fw = framework
    else:  # its {level} worded as the district's level (县直部门 in a county)
        name = district_name(proj.district if proj is not None else None, provenance, data_dir)
        fw = load_framework(framework, contract=c, level=options.level_of(name))
    years = sorted(int(y) for y in tables["villages"]["year"].unique())
    if year is None:
        year = years[-1]
    min_n = options.small_cell
    weighting = proj.survey_weighting if proj is not None else "design"
    level = options.interval_level
    dkey = district_key(
        provenance.table_hashes, fw, year, mc_draws, seed, min_n, c, weighting, level
    )
    folder = processed / "evaluation"
    done = check_evaluation(
        tables, fw, year, contract=c, weighting=weighting, min_n=min_n, level=level,
        files=_source_files(provenance), mc_draws=mc_draws, seed=seed,
        memo=lambda name, compute: derived.memo(folder, dkey, name, compute),
    )  # fmt: skip
    designs, estimates = done.designs, done.estimates
    evaluation, summaries = done.evaluation, done.summaries
    district = District(
        data_dir=data_dir,
        processed_dir=processed,
        tables=tables,
        provenance=provenance,
        year=year,
        framework=fw,
        designs=designs,
        survey_estimates=estimates,
        evaluation=evaluation,
        summaries=summaries,
        district_key=dkey,
        contract=c,
        options=options,
        district_name=proj.district if proj is not None else None,
        diagnosis_file=proj.diagnosis_file if proj is not None else None,
        project=proj,
        weighting=weighting,
    )
    _LOADED.clear()  # one district per process at a time
    _LOADED[loaded] = district
    return district


def _source_files(provenance: Provenance) -> dict[str, str]:
    """table → its raw file names (as the problems of ``validate`` name them)."""
    src = provenance.sources
    if src.empty or not {"table", "file"} <= set(src.columns):
        return {}
    return {str(t): "、".join(dict.fromkeys(map(str, g["file"]))) for t, g in src.groupby("table")}


def _stat(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return str(path.resolve()), st.st_size, st.st_mtime_ns


def warm(
    data_dir: str | Path | None,
    processed_dir: str | Path | None,
    year: int | None,
    project: str | Path | None = None,
) -> None:
    """Load the district into this process (a batch worker's kernel calls this once, with the
    same arguments as the report notebooks, so their ``load_district`` finds it loaded)."""
    load_district(data_dir, processed_dir, year, project=project)


# --- can the data be evaluated? (``validate`` asks before ``reports`` finds out) ---------------


class EvaluationDataError(InputError, ValueError):
    """Tables that pass their own checks but cannot be evaluated: an indicator missing for every
    township, a survey year whose design cannot be built, …. The message is Chinese first
    (naming the table's file and the field), the engine's English after it; ``where`` lists
    the cells concerned: dicts of table, field, value, year (for the problems table of
    ``commeval validate``)."""

    def __init__(self, message: str, where: list[dict[str, Any]] | None = None) -> None:
        self.where = list(where or [])
        super().__init__(message)


@dataclass
class Evaluated:
    """What :func:`check_evaluation` built: the year designs, the township survey estimates,
    the evaluation and the survey summaries of the assessment year (None without survey)."""

    designs: dict[int, SurveyDesign]
    estimates: pd.DataFrame
    evaluation: Evaluation
    summaries: SurveySummaries | None
    #: townships whose page cannot be made (no respondent in the assessment year's survey,
    #: whose satisfaction section a township page shows): township → why, in Chinese
    unreportable: dict[str, str] = field(default_factory=dict)


TABLE_LABELS = {
    "townships": "乡镇表",
    "villages": "行政村表",
    "communities": "社区表",
    "survey": "问卷",
    "population": "人口表",
}


def check_evaluation(
    tables: dict[str, pd.DataFrame],
    fw: Framework,
    year: int,
    *,
    contract: Contract | None = None,
    weighting: str = "design",
    min_n: int = SURVEY_MIN_N,
    level: float = 0.90,
    files: dict[str, str] | None = None,
    mc_draws: int = 0,
    seed: int = MC_SEED,
    memo: Any = None,
) -> Evaluated:
    """THE evaluation steps of a district — the year designs, the township survey estimates,
    the index evaluation and the assessment year's survey summaries — each failure raised as
    :class:`EvaluationDataError` naming the table's file (``files``: table → file names) and
    the field. :func:`load_district` runs it with its Monte Carlo draws and its cache
    (``memo(name, compute)``); ``commeval validate`` runs it with ``mc_draws=0`` on the checked
    tables (:func:`evaluation_problems`), so that what ``reports`` would find out late is
    found at validation, in the same words."""
    from commeval.data.contract import contract as packaged

    c = contract or packaged()
    files = files or {}
    memo = memo or (lambda name, compute: compute())
    years = sorted(int(y) for y in tables["villages"]["year"].dropna().unique())
    if year not in years:
        raise EvaluationDataError(
            f"评估年度 {year} 不在数据中（有 {years}）：请核对 commeval.yaml 的 year，"
            f"或补报{_table('villages', files)}该年度的数据 (year {year} not in the data)",
            [{"table": "villages", "field": "year", "value": str(year)}],
        )
    step = _Explain(tables, fw, year, c, files)
    with step("designs"):
        designs = official_designs(tables, weighting, min_n=min_n, contract=c)
    with step("estimates"):
        estimates = questionnaire.township_estimates(designs, sorted(fw.survey_items))
    with step("evaluation"):
        evaluation = memo(
            "index",
            lambda: evaluate(
                tables, fw, year=year, survey=estimates, mc_draws=mc_draws, seed=seed,
                level=level,
            ),
        )  # fmt: skip
    summaries = None
    if year in designs:
        with step("summaries"):
            summaries = memo("survey", lambda: survey_summaries(designs, year, min_n, contract=c))
    unreportable = {}
    if summaries is not None:
        have = set(designs[year].data["township"].astype(str))
        for town in tables["townships"]["township"].dropna().astype(str):
            if town not in have:
                unreportable[town] = (
                    f"乡镇“{town}”在{_table('survey', files)}中没有 {year} 年的问卷：其报告的"
                    f"群众满意度部分无法生成，该乡镇的报告将失败；请补报该乡镇 {year} 年的问卷"
                    f" (township {town!r} has no survey respondents in {year})"
                )
    return Evaluated(designs, estimates, evaluation, summaries, unreportable)


def evaluation_problems(
    checked: Any, fw: Framework, year: int | None, **options: Any
) -> pd.DataFrame:
    """The problems (:mod:`commeval.data.problems`) of tables that passed their checks but
    cannot be evaluated: :func:`check_evaluation` on the checked tables (``checked``: a
    :class:`commeval.data.checks.Checked` without errors), its failure as problem rows naming
    file, sheet, column (the source header), field and value. ``options`` go to
    :func:`check_evaluation` (weighting, min_n, level)."""
    from commeval.data import problems as P
    from commeval.data.schema import cast_table

    c = checked.contract
    tables = {n: cast_table(df, c[n]) for n, df in checked.tables.items()}
    located = checked.located
    if "villages" not in tables or not len(tables["villages"]):
        return P.empty()
    files = {n: loc.file for n, loc in located.items()}
    if year is None:
        year = int(tables["villages"]["year"].dropna().max())
    try:
        done = check_evaluation(tables, fw, year, contract=c, files=files, **options)
    except EvaluationDataError as exc:
        rows = []
        for w in exc.where or [{}]:
            loc = located.get(w.get("table", ""))
            where: dict[str, Any] = {}
            if loc is not None:
                fld = w.get("field", "")
                where = {"file": loc.file.split("、")[0] if loc.files is not None else loc.file,
                         "sheet": loc.sheet, "column": loc.headers.get(fld, fld), "field": fld}  # fmt: skip
                i = _first_row(loc.df, w.get("year"))
                if i is not None and w.get("row", True):
                    where["row"] = int(loc.rows[i])
                    where["file"] = str(loc.file_per_row()[i])
                    where["sheet"] = str(loc.sheet_per_row()[i])
            rows.append(
                P.one(P.ERROR, f"evaluation:{w.get('rule', 'data')}", str(exc),
                      value=w.get("value", ""), **where)
            )  # fmt: skip
        return P.frame(rows)
    except Exception as exc:  # a defect, not the data: validate still reports, never crashes
        return P.frame(
            [P.one(P.ERROR, "evaluation:unexpected", f"评估试算时出现意外错误，commeval reports 也将"
                   f"失败；请把此信息反馈给开发者（{type(exc).__name__}: {exc}）")]
        )  # fmt: skip
    rows = []
    towns = located.get("townships")
    for town, why in done.unreportable.items():
        where = {}
        if towns is not None and "township" in towns.df:
            hit = np.flatnonzero((towns.df["township"].astype(str) == town).to_numpy())
            if len(hit):
                where = towns.at(int(hit[0]), "township")
        rows.append(P.one(P.ERROR, "evaluation:no_survey", why, value=town, **where))
    return P.frame(rows)


def _first_row(df: pd.DataFrame, year: Any) -> int | None:
    if year is None or "year" not in df or not len(df):
        return None
    hit = np.flatnonzero((pd.to_numeric(df["year"], errors="coerce") == year).to_numpy())
    return int(hit[0]) if len(hit) else None


def _table(name: str, files: dict[str, str]) -> str:
    """A table as a message names it: its label and its file(s) (a few of many returns)."""
    label = TABLE_LABELS.get(name, name)
    names = [f for f in (files.get(name) or "").split("、") if f]
    if len(names) > 3:
        return f"{label}（{names[0]}、{names[1]} 等 {len(names)} 个文件）"
    return f"{label}（{'、'.join(names)}）" if names else label


#: the survey engine's English reasons for a design it cannot build → Chinese
_DESIGN_ZH = [
    (r".*column '?(\w+)'? has (\d+) missing values.*", r"“\1”有 \2 个空值"),
    (r".*column '?(\w+)'? has (\d+) negative values.*", r"“\1”有 \2 个负数"),
    (r".*column '?(\w+)'? has (\d+) non-positive values.*", r"“\1”有 \2 个不大于 0 的值"),
    (
        r".*column '?(\w+)'?: population size smaller than the number of sampled units in (\d+).*",
        r"“\1”在 \2 个层中小于该层被抽中的单位数",
    ),
    (r".*column '?(\w+)'? varies within (\d+) .*", r"“\1”在 \2 个层（或村）内取值不一，须处处相同"),
    (r".*column '?(\w+)'? mixes fractions.*", r"“\1”混用了抽样比（≤ 1）和总数（> 1）"),
    (r".*column '?(\w+)'?: a PPS design needs .*", r"“\1”须为入样概率（0 < p ≤ 1）"),
    (
        r".*compare_to_rest: column '?(\w+)'? needs at least two levels.*",
        r"“\1”只有一个取值：与全区其余乡镇的比较至少需要两个乡镇",
    ),
    (r".*likert item '?(\w+)'?: (\d+) rows hold values outside.*", r"“\1”有 \2 行取值超出量表"),
    (r".*data has no rows.*", "没有数据行"),
]


class _Explain:
    """Runs one evaluation step (``with step("designs"): …``) and re-raises its failure as
    :class:`EvaluationDataError`: Chinese first, naming the table's file and the field."""

    def __init__(self, tables, fw, year, contract, files) -> None:
        self.tables, self.fw, self.year, self.contract, self.files = (
            tables, fw, year, contract, files,
        )  # fmt: skip
        self.name = ""

    def __call__(self, name: str) -> _Explain:
        self.name = name
        return self

    def __enter__(self) -> _Explain:
        return self

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is None or isinstance(exc, EvaluationDataError):
            return False
        if not isinstance(exc, ValueError | InputError | KeyError | ZeroDivisionError):
            return False
        if getattr(exc, "indicators", None):
            raise self.missing(exc) from exc
        raise self.other(exc) from exc

    def label(self, table: str, field: str) -> str:
        try:
            return str(self.contract[table].fields[field].label)
        except (KeyError, AttributeError):
            return field

    def missing(self, exc: Exception) -> EvaluationDataError:
        """Indicators missing for every township: why, from the data they are made of."""
        year = self.year
        by_reason: dict[str, list[str]] = {}
        where: list[dict[str, Any]] = []
        for name in exc.indicators:
            ind = self.fw.indicators[name]
            why, w = self.why_missing(ind)
            by_reason.setdefault(why, []).append(f"“{ind.label}”（{name}）")
            for x in w:
                if {**x, "rule": "indicator_missing"} not in where:
                    where.append({**x, "rule": "indicator_missing"})
        parts = [
            f"指标{'、'.join(names)}在 {year} 年所有乡镇都没有值：{why}"
            for why, names in by_reason.items()
        ]
        english = ", ".join(repr(n) for n in exc.indicators)
        if not where:
            where = [{"table": "villages", "field": "", "value": "", "year": year}]
        hint = (
            "。请补填这些数据后重新报送；确实无此项时，可在框架中给该指标写 missing: "
            "not_applicable（无此项的乡镇不计入）"
        )
        return EvaluationDataError(
            "；".join(parts) + hint + f" (indicator {english} is missing for every township "
            f"in {year})",
            where,
        )

    def why_missing(self, ind) -> tuple[str, list[dict[str, Any]]]:
        from commeval.data.conventions import DONT_KNOW

        year, reasons, where = self.year, [], []
        s = self.tables.get("survey")
        for item in sorted(ind.formula.survey_items):
            base = item.removesuffix(questionnaire.TOP2_SUFFIX)
            lab = self.label("survey", base)
            where_s = _table("survey", self.files)
            rows = None if s is None else s[pd.to_numeric(s["year"], errors="coerce") == year]
            if rows is None or rows.empty:
                have = [] if s is None else questionnaire.survey_years(s)
                shown = f"（问卷年度：{'、'.join(map(str, have))}）" if have else ""
                reasons.append(f"{where_s}没有 {year} 年的问卷{shown}")
                where.append({"table": "survey", "field": "year", "value": str(year),
                              "row": False})  # fmt: skip
                continue
            if base not in rows:
                reasons.append(f"{where_s}没有“{lab}”（{base}）这一列")
                where.append({"table": "survey", "field": base, "value": "", "year": year})
                continue
            x = pd.to_numeric(rows[base], errors="coerce")
            flag = rows.get(base + questionnaire.DK_SUFFIX)  # 说不清 kept as a flag
            is_dk = (x == DONT_KNOW).to_numpy(dtype=bool, na_value=False)
            if flag is not None:
                is_dk |= (pd.to_numeric(flag, errors="coerce") == 1).to_numpy(
                    dtype=bool, na_value=False
                )
            valid = int((x.notna().to_numpy() & ~is_dk).sum())
            if valid == 0:
                dk = int(is_dk.sum())
                reasons.append(
                    f"{where_s}的“{lab}”（{base}）在 {year} 年的 {len(rows)} 份问卷中没有有效回答"
                    f"（空白 {len(rows) - dk} 份、“说不清” {dk} 份）"
                )
                where.append({"table": "survey", "field": base, "year": year,
                              "value": f"空白 {len(rows) - dk}，说不清 {dk}"})  # fmt: skip
        for table, col in sorted(ind.formula.columns):
            df = self.tables.get(table)
            where_t = _table(table, self.files)
            if df is None or df.empty:
                reasons.append(f"没有{where_t}")
                where.append({"table": table, "field": col, "value": ""})
                continue
            rows = df[pd.to_numeric(df["year"], errors="coerce") == year] if "year" in df else df
            lab = self.label(table, col)
            if rows.empty:
                reasons.append(f"{where_t}没有 {year} 年的数据")
                where.append({"table": table, "field": "year", "value": str(year),
                              "row": False})  # fmt: skip
            elif col not in rows or rows[col].isna().all():
                reasons.append(f"{where_t}的“{lab}”（{col}）在 {year} 年全部为空")
                where.append({"table": table, "field": col, "value": "（空）", "year": year})
        if not reasons:
            reasons.append(f"其公式 {ind.source} 在每个乡镇都无法计算（如分母为 0）")
            for table, col in sorted(ind.formula.columns)[:1]:
                where.append({"table": table, "field": col, "value": "", "year": year})
        return "；".join(dict.fromkeys(reasons)), where

    def other(self, exc: Exception) -> EvaluationDataError:
        import re

        from commeval.index.errors import zh

        text = str(exc)
        step = {
            "designs": "问卷的抽样设计无法建立",
            "estimates": "问卷的乡镇估计无法计算",
            "evaluation": "评估无法完成",
            "summaries": "问卷汇总无法完成",
        }[self.name]
        table = "survey" if self.name != "evaluation" else ""
        field = ""
        m = re.search(r"column '?(\w+)'?", text)
        if m:
            field = m.group(1)
        if re.match(r"[\u3000-\u9fff（]", text):  # already Chinese first
            return EvaluationDataError(
                f"{step}：{text}" if table else text,
                [{"table": table, "field": field, "value": "", "rule": self.name}],
            )
        reason = zh(text)
        for pat, rep in _DESIGN_ZH:
            if re.fullmatch(pat, text, flags=re.S):
                reason = f"{re.sub(pat, rep, text, flags=re.S)}（{text}）"
                break
        chinese = reason != text
        if field and table and chinese:
            reason = f"{_table(table, self.files)}的{reason}"
            reason = reason.replace(f"“{field}”", f"“{self.label(table, field)}”（{field}）", 1)
        elif table:
            reason = f"{_table(table, self.files)}：{reason}"
        return EvaluationDataError(
            f"{step}——{reason}；请核对数据后重新运行 commeval validate",
            [{"table": table, "field": field, "value": "", "rule": self.name}],
        )
