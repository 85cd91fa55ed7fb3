"""Cache keys are complete: editing what shapes a page (diagnosis rules, stylesheet, code)
changes its key, and a re-run renders the page again instead of reusing it."""

from __future__ import annotations

import json
import shutil

import pytest

from commeval.files import package_hash
from commeval.paths import package_dir
from commeval.pipeline import cache

from .conftest import TOWNSHIPS, manifest


@pytest.fixture
def package_copy(tmp_path):
    """A copy of the installed package tree and a function editing one of its files."""
    root = tmp_path / "pkg" / "commeval"
    shutil.copytree(package_dir(), root, ignore=shutil.ignore_patterns("__pycache__"))

    def edit(rel: str, text: str = "\n/* edited */\n") -> str:
        with open(root / rel, "a", encoding="utf-8") as fh:
            fh.write(text)
        return _fresh_hash(root)

    return root, edit


def _fresh_hash(root):
    from commeval.files import _package_hash

    _package_hash.cache_clear()  # the copy changed under this process
    return package_hash(root)


@pytest.mark.parametrize(
    "rel, text",
    [
        ("config/diagnosis.yaml", "\n# a new rule's comment\n"),
        ("templates/report.css", "\n.y { color: blue }\n"),
        ("templates/commeval_report.html.j2", "\n{# edited #}\n"),
        ("report/render.py", "\n# edited\n"),
    ],
)
def test_editing_what_shapes_a_page_changes_its_keys(
    package_copy, monkeypatch, tmp_path, rel, text
):
    root, edit = package_copy
    processed = tmp_path / "processed"
    processed.mkdir()
    (processed / "manifest.json").write_text(json.dumps({"tables": {"t": {"sha256": "x"}}}))
    before_hash = _fresh_hash(root)
    monkeypatch.setattr(cache, "package_hash", lambda: before_hash)
    before = (
        cache.township_key("ih", "nb"),
        cache.index_key("dk", 2012, "nb", []),
        cache.run_key(processed, 2012, None, ["nb"]),
    )
    after_hash = edit(rel, text)
    monkeypatch.setattr(cache, "package_hash", lambda: after_hash)
    after = (
        cache.township_key("ih", "nb"),
        cache.index_key("dk", 2012, "nb", []),
        cache.run_key(processed, 2012, None, ["nb"]),
    )
    assert all(a != b for a, b in zip(before, after))


def test_run_key_covers_raw_sources(tmp_path):
    processed = tmp_path / "p"
    processed.mkdir()
    doc = {"tables": {"t": {"sha256": "x"}}, "sources": [{"file": "dataset.yaml", "sha256": "1"}]}
    (processed / "manifest.json").write_text(json.dumps(doc))
    k1 = cache.run_key(processed, None, None, [])
    doc["sources"][0]["sha256"] = "2"
    (processed / "manifest.json").write_text(json.dumps(doc))
    assert cache.run_key(processed, None, None, []) != k1
    (processed / "manifest.json").write_text("not json")
    assert cache.run_key(processed, None, None, []) is None


def test_edited_stylesheet_rerenders_every_page(run_reports, package_copy, monkeypatch, tmp_path):
    root, edit = package_copy
    original = _fresh_hash(root)
    monkeypatch.setattr(cache, "package_hash", lambda: original)
    assert run_reports(run_name="a", jobs=1) == 0
    assert run_reports(run_name="b", jobs=1) == 0  # nothing changed: everything reused
    m = manifest(tmp_path / "out")
    assert {e["status"] for e in m["townships"].values()} == {"reused"}

    edited = edit("templates/report.css", "\n.z { color: green }\n")
    monkeypatch.setattr(cache, "package_hash", lambda: edited)
    assert run_reports(run_name="c", jobs=1) == 0
    m = manifest(tmp_path / "out")
    assert {t: e["status"] for t, e in m["townships"].items()} == {t: "ok" for t in TOWNSHIPS}
    assert m["index"]["status"] == "ok" and m["code_hash"] == edited
    assert m["kind"] == "commeval.run"


def _project(tmp_path, framework_text: str = "# v1\n"):
    from commeval.project import load_project

    root = tmp_path / "proj"
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / "commeval.yaml").write_text("dataset: raw\n", encoding="utf-8")
    (root / "config" / "framework.yaml").write_text(framework_text, encoding="utf-8")
    return load_project(root)


def test_project_config_files_are_in_every_key(tmp_path):
    processed = tmp_path / "processed"
    processed.mkdir()
    (processed / "manifest.json").write_text(json.dumps({"tables": {"t": {"sha256": "x"}}}))
    assert cache.project_hash(None) is None
    h1 = cache.project_hash(_project(tmp_path))
    assert cache.project_hash(_project(tmp_path)) == h1  # content, not the clock
    h2 = cache.project_hash(_project(tmp_path, "# v2\n"))
    assert h1 != h2

    def keys(h):
        return (
            cache.township_key("ih", "nb", h),
            cache.index_key("dk", 2012, "nb", [], h),
            cache.run_key(processed, 2012, None, ["nb"], h),
        )

    assert all(a != b for a, b in zip(keys(h1), keys(h2)))
    # without a project the keys are those of before projects existed
    assert keys(None) == (
        cache.township_key("ih", "nb"),
        cache.index_key("dk", 2012, "nb", []),
        cache.run_key(processed, 2012, None, ["nb"]),
    )


def test_an_edited_project_framework_rerenders_every_page(run_reports, tmp_path):
    assert run_reports(run_name="a", jobs=1, project=_project(tmp_path)) == 0
    assert run_reports(run_name="b", jobs=1, project=_project(tmp_path)) == 0
    m = manifest(tmp_path / "out")
    assert {e["status"] for e in m["townships"].values()} == {"reused"}
    assert m["project"] == str(tmp_path / "proj" / "commeval.yaml")
    assert run_reports(run_name="c", jobs=1, project=_project(tmp_path, "# v2\n")) == 0
    m = manifest(tmp_path / "out")
    assert {t: e["status"] for t, e in m["townships"].items()} == {t: "ok" for t in TOWNSHIPS}
    assert m["index"]["status"] == "ok"


def test_the_project_parameter_goes_to_notebooks_that_declare_it(run_reports, tmp_path):
    import nbformat
    from nbformat.v4 import new_code_cell

    from commeval.pipeline.parameters import declared_parameters

    from .conftest import TOWNSHIP_NB

    assert "project" not in declared_parameters(TOWNSHIP_NB)
    nb = nbformat.read(TOWNSHIP_NB, as_version=4)
    nb.cells[0].source += "\nproject = None  # the project folder"
    nb.cells.append(new_code_cell("print('项目', project)"))
    path = tmp_path / "with_project.ipynb"
    nbformat.write(nb, path)
    assert {"township", "project", "year"} <= declared_parameters(path)
    p = _project(tmp_path)
    assert run_reports(run_name="a", jobs=1, project=p, township_notebook=path) == 0
    page = (tmp_path / "out" / "latest" / "townships" / f"{TOWNSHIPS[0]}.html").read_text("utf-8")
    assert f"项目 {p.root}" in page


def test_edited_project_diagnosis_rules_rerender_every_page(run_reports, tmp_path):
    from commeval.project import load_project, packaged_config

    def project(advice_suffix: str):
        p = _project(tmp_path)
        rules = packaged_config("diagnosis").read_text(encoding="utf-8")
        rules = rules.replace("。}", f"{advice_suffix}。}}")  # every piece of advice edited
        (p.root / "config" / "diagnosis.yaml").write_text(rules, encoding="utf-8")
        return load_project(p.root)

    assert run_reports(run_name="a", jobs=1, project=project("")) == 0
    assert run_reports(run_name="b", jobs=1, project=project("")) == 0
    m = manifest(tmp_path / "out")
    assert {e["status"] for e in m["townships"].values()} == {"reused"}
    assert run_reports(run_name="c", jobs=1, project=project("（第二版）")) == 0
    m = manifest(tmp_path / "out")
    assert {t: e["status"] for t, e in m["townships"].items()} == {t: "ok" for t in TOWNSHIPS}
    assert m["index"]["status"] == "ok"
