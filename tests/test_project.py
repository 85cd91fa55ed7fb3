"""commeval.yaml: discovery (as git finds a repository), --project, fallback to the packaged
defaults, and a clear error naming file, key and value for every bad configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from commeval import cli
from commeval.errors import EXIT_INVALID, InputError
from commeval.paths import DEFAULT_DATA_DIR, package_dir
from commeval.project import (
    PROJECT_FILE,
    Project,
    ProjectError,
    ReportOptions,
    default_project,
    find_project,
    load_project,
)

ROOT = Path(__file__).resolve().parents[1]
PACKAGED = package_dir() / "config"


def make_project(root: Path, text: str = "dataset: data/raw/x\n") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / PROJECT_FILE).write_text(text, encoding="utf-8")
    return root


def test_found_from_a_subfolder(tmp_path):
    root = make_project(tmp_path / "p", "name: 某县评估\ndistrict: 某县\ndataset: data/raw/x\n")
    sub = root / "notebooks" / "deep"
    sub.mkdir(parents=True)
    p = find_project(sub)
    assert p.root == root.resolve() and p.file == (root / PROJECT_FILE).resolve()
    assert (p.name, p.district) == ("某县评估", "某县")
    assert p.dataset == (root / "data/raw/x").resolve()
    assert p.processed == (root / "data/processed/x").resolve()
    assert p.outputs == root.resolve() / "outputs"


def test_found_from_the_working_directory(tmp_path, monkeypatch):
    root = make_project(tmp_path / "p")
    (root / "a").mkdir()
    monkeypatch.chdir(root / "a")
    assert find_project().root == root.resolve()


def test_the_repository_is_a_project():
    p = find_project(ROOT / "src" / "commeval")
    assert p.file == ROOT / PROJECT_FILE
    assert p.dataset == ROOT / DEFAULT_DATA_DIR
    assert p.framework_file == PACKAGED / "framework.yaml"


def test_load_a_folder_or_the_file(tmp_path):
    root = make_project(tmp_path / "p")
    assert load_project(root) == load_project(root / PROJECT_FILE)


def test_no_project_is_the_default_project(tmp_path):
    p = find_project(tmp_path)
    assert p == default_project(tmp_path)
    assert p.file is None and p.is_default
    assert p.dataset == tmp_path.resolve() / DEFAULT_DATA_DIR
    assert p.framework_file == PACKAGED / "framework.yaml"
    assert p.diagnosis_file == PACKAGED / "diagnosis.yaml"
    assert p.fields_file is None and p.codebook_file is None
    assert p.report == ReportOptions()
    assert p.config_files() == [PACKAGED / "framework.yaml", PACKAGED / "diagnosis.yaml"]


def test_config_files_fall_back_to_the_packaged_defaults(tmp_path):
    root = make_project(tmp_path / "p")
    p = load_project(root)
    assert p.framework_file == PACKAGED / "framework.yaml"
    assert p.diagnosis_file == PACKAGED / "diagnosis.yaml"
    assert p.fields_file is None and p.codebook_file is None
    (root / "config").mkdir()
    for name in ("framework", "fields", "codebook"):
        (root / "config" / f"{name}.yaml").write_text("# mine\n", encoding="utf-8")
    p = load_project(root)
    assert p.framework_file == root / "config" / "framework.yaml"
    assert p.fields_file == root / "config" / "fields.yaml"
    assert p.codebook_file == root / "config" / "codebook.yaml"
    assert p.diagnosis_file == PACKAGED / "diagnosis.yaml"  # not in the project: the default
    assert p.config_files() == [
        (root / PROJECT_FILE).resolve(),
        root / "config" / "framework.yaml",
        root / "config" / "fields.yaml",
        root / "config" / "codebook.yaml",
        PACKAGED / "diagnosis.yaml",
    ]


def test_config_paths_given_explicitly(tmp_path):
    root = make_project(
        tmp_path / "p", "dataset: data/raw/x\nconfig: {framework: standards/2013.yaml}\n"
    )
    (root / "standards").mkdir()
    (root / "standards" / "2013.yaml").write_text("# 2013\n", encoding="utf-8")
    assert load_project(root).framework_file == (root / "standards" / "2013.yaml").resolve()


def test_every_key(tmp_path):
    outside = tmp_path / "shared" / "county"
    outside.mkdir(parents=True)
    root = make_project(
        tmp_path / "p",
        "name: 测试\ndistrict: 某县\ndataset: ../shared/county\nprocessed: cache/county\n"
        "outputs: site\nyear: 2013\nreport: {title: 某县评估, small_cell: 20, max_cv: 0.25, "
        "mc_draws: 100, seed: 7, timezone: Asia/Urumqi, formats: [html]}\n",
    )
    p = load_project(root)
    assert p.dataset == outside.resolve()
    assert p.processed == (root / "cache/county").resolve()
    assert p.outputs == (root / "site").resolve()
    assert p.year == 2013
    assert p.report == ReportOptions(
        title="某县评估",
        small_cell=20,
        max_cv=0.25,
        mc_draws=100,
        seed=7,
        timezone="Asia/Urumqi",
        formats=("html",),
    )
    assert p.report.title_for("某县", 2013) == "某县评估"
    docx = make_project(
        tmp_path / "q",
        "report: {formats: [html, docx, pdf], docx: {cover: false, organisation: 某县民政局, "
        "fonts: {body: 仿宋_GB2312, heading1: 黑体, heading2: 楷体_GB2312, latin: Times New Roman}}}\n",
    )
    r = load_project(docx).report
    assert r.formats == ("html", "docx", "pdf") and r.docx_cover is False
    assert r.organisation == "某县民政局"
    assert dict(r.docx_fonts) == {
        "body": "仿宋_GB2312",
        "heading1": "黑体",
        "heading2": "楷体_GB2312",
        "latin": "Times New Roman",
    }
    assert ReportOptions().title_for("某县", 2013) == "某县 2013 年农村社区建设评估报告"


BAD = [
    ("colour: red\n", "colour", "red"),
    ("year: '2013'\n", "year", "'2013'"),
    ("year: true\n", "year", "True"),
    ("name: [a, b]\n", "name", "['a', 'b']"),
    ("dataset: ../nowhere\n", "dataset", "'../nowhere'"),
    ("dataset: 3\n", "dataset", "3"),
    ("config: {framework: config/missing.yaml}\n", "config.framework", "'config/missing.yaml'"),
    ("config: {rules: x.yaml}\n", "config.rules", "'x.yaml'"),
    ("config: framework.yaml\n", "config", "'framework.yaml'"),
    ("report: {small_cell: 0}\n", "report.small_cell", "0"),
    ("report: {mc_draws: many}\n", "report.mc_draws", "'many'"),
    ("report: {timezone: Mars/Olympus}\n", "report.timezone", "'Mars/Olympus'"),
    ("report: {formats: [odt]}\n", "report.formats", "'odt'"),
    ("report: {formats: []}\n", "report.formats", "[]"),
    ("report: {docx: {colour: red}}\n", "report.docx.colour", "'red'"),
    ("report: {docx: {fonts: {title: 黑体}}}\n", "report.docx.fonts.title", "'黑体'"),
    ("report: {docx: {fonts: {body: ''}}}\n", "report.docx.fonts.body", "''"),
    ("report: {docx: {cover: maybe}}\n", "report.docx.cover", "'maybe'"),
    ("report: {docx: [a]}\n", "report.docx", "['a']"),
    ("report: {colour: red}\n", "report.colour", "'red'"),
    ("report: [a]\n", "report", "['a']"),
    ("dataset: [unclosed\n", "<yaml>", ""),
    ("- a list\n", "<root>", "['a list']"),
]


@pytest.mark.parametrize("text, key, value", BAD, ids=[b[1] + ":" + b[0][:12] for b in BAD])
def test_a_bad_configuration_names_file_key_and_value(tmp_path, text, key, value):
    root = make_project(tmp_path / "p", text)
    with pytest.raises(ProjectError) as err:
        load_project(root)
    msg = str(err.value)
    assert str(root / PROJECT_FILE) in msg and f"键 {key} " in msg and value in msg
    assert isinstance(err.value, InputError) and isinstance(err.value, ValueError)
    assert "(" in msg  # Chinese, then English in brackets


@pytest.mark.parametrize("command", ["validate", "process", "reports", "dictionary"])
def test_a_bad_configuration_exits_2_and_writes_nothing(tmp_path, monkeypatch, capsys, command):
    root = make_project(tmp_path / "p", "dataset: data/raw/x\nreport: {timezone: Mars/Olympus}\n")
    (root / "sub").mkdir()
    monkeypatch.chdir(root / "sub")
    assert cli.main([command]) == EXIT_INVALID
    err = capsys.readouterr().err
    assert "项目配置无效" in err and "report.timezone" in err and "Mars/Olympus" in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["commeval.yaml", "p", "sub"]


def test_project_option(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["validate", "--project", str(tmp_path / "missing")]) == EXIT_INVALID
    assert "找不到项目文件" in capsys.readouterr().err
    root = make_project(tmp_path / "p", "dataset: data/raw/x\n")
    args = cli.build_parser().parse_args(["validate", "--project", str(root)])
    p = cli.project_of(args)
    assert isinstance(p, Project) and p.root == root.resolve()
    assert cli.data_paths(args, p) == (p.dataset, p.processed)
    args = cli.build_parser().parse_args(["reports", "--project", str(root), "--data", "d"])
    assert cli.data_paths(args, cli.project_of(args)) == (Path("d"), None)  # beside --data
