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
        if self.district_name:
            return self.district_name
        ds = self.provenance.dataset
        return str(ds.get("district") or ds.get("name") or self.data_dir.name)

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


def framework_fingerprint(framework: Framework) -> str:
    """Hash of a framework: its file's (the packaged default is covered by
    :func:`~commeval.keys.package_hash` too), else the key of its parsed content."""
    src = Path(framework.source)
    if src.is_file():
        return file_hash(src)
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
    fw = framework if isinstance(framework, Framework) else load_framework(framework, contract=c)
    tables, meta = load_processed(processed, contract=c)
    provenance = Provenance.from_manifest(meta, json.loads(manifest).get("tables", {}))
    years = sorted(int(y) for y in tables["villages"]["year"].unique())
    if year is None:
        year = years[-1]
    elif year not in years:
        raise ValueError(f"评估年度 {year} 不在数据中（有 {years}）")
    min_n = options.small_cell
    weighting = proj.survey_weighting if proj is not None else "design"
    level = options.interval_level
    designs = official_designs(tables, weighting, min_n=min_n, contract=c)
    estimates = questionnaire.township_estimates(designs, sorted(fw.survey_items))
    dkey = district_key(
        provenance.table_hashes, fw, year, mc_draws, seed, min_n, c, weighting, level
    )
    folder = processed / "evaluation"
    evaluation = derived.memo(
        folder,
        dkey,
        "index",
        lambda: evaluate(
            tables, fw, year=year, survey=estimates, mc_draws=mc_draws, seed=seed, level=level
        ),
    )
    summaries = (
        derived.memo(
            folder, dkey, "survey", lambda: survey_summaries(designs, year, min_n, contract=c)
        )
        if year in designs
        else None
    )
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
