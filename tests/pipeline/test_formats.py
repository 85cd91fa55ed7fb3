"""Formats of a batch run (issue 19): the page is rendered from the document the report
notebook displayed; Word and PDF files beside it; the index links them; the manifest lists
every file with its hash; PDF left out with one line where it cannot be made."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import types
from pathlib import Path

import pytest

from commeval.cli import main
from commeval.document import Document, Meta, Paragraph, Section
from commeval.errors import UsageError
from commeval.files import sha256_file
from commeval.pipeline import cache
from commeval.pipeline.config import RunConfig
from commeval.pipeline.export import render_document

ROOT = Path(__file__).resolve().parents[2]


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


@pytest.mark.slow
def test_the_page_is_the_rendered_document(e2e_run):
    """A township page of the run is the HTML renderer's page of the composed document (same
    bytes, once the generation time the kernel printed is given to the composition)."""
    from commeval.district import load_district
    from commeval.project import find_project
    from commeval.renderers.html import render_html
    from commeval.report.compose import compose_township

    rc, raw, processed, out = e2e_run
    assert rc == 0
    d = load_district(raw, processed, project=find_project(ROOT))
    m = _manifest(out)
    for t in d.townships:
        page = (out / m["townships"][t]["html"]).read_text(encoding="utf-8")
        generated = re.search(r"生成时间：([^<]*)</p>", page).group(1)
        assert page == render_html(compose_township(d, t, generated=generated)), t
        assert f"<title>{t} {d.year}年度农村社区建设评估</title>" in page


@pytest.mark.slow
def test_the_manifest_lists_every_file_with_its_hash(e2e_run):
    _, _, _, out = e2e_run
    m = _manifest(out)
    on_disk = sorted(
        p.relative_to(out).as_posix() for p in out.rglob("*")
        if p.is_file() and p.name not in ("run.log", "manifest.json")
    )  # fmt: skip
    assert [f["path"] for f in m["files"]] == on_disk
    for f in m["files"]:
        assert f["sha256"] == sha256_file(out / f["path"]) and f["bytes"] > 0
    assert m["formats"] == ["html"] and m["notes"] == []


FORMATS = "html,pdf" + (",docx" if _has("commeval.renderers.docx") else "")


@pytest.fixture(scope="module")
def formats_run(tmp_path_factory):
    from commeval.synthetic import generate_district, write_raw

    root = tmp_path_factory.mktemp("formats")
    tables = generate_district(
        townships=["东镇", "西乡"], villages_per_township=4, respondents_per_village=8,
        sampled_villages=3, seed=4,
    )  # fmt: skip
    raw = write_raw(tables, root / "raw" / "f")
    out = root / "outputs"
    args = ["reports", "--data", str(raw), "--processed", str(root / "processed"), "--out",
            str(out), "--jobs", "1", "--run-name", "r1", "--format", FORMATS]  # fmt: skip
    return main(args), out / "r1", args


@pytest.mark.slow
def test_other_formats_beside_the_page_or_one_line_why_not(formats_run, capsys):
    rc, out, _ = formats_run
    assert rc == 0
    m = _manifest(out)
    pdf_ok = _has("commeval.renderers.pdf")
    if pdf_ok:
        from commeval.renderers.pdf import pdf_unavailable

        pdf_ok = pdf_unavailable() is None
    expected = ["html", *(["docx"] if "docx" in FORMATS else []), *(["pdf"] if pdf_ok else [])]
    assert sorted(m["formats"]) == sorted(expected)
    if not pdf_ok:  # said once, and the other formats written all the same
        assert len(m["notes"]) == 1 and m["notes"][0].startswith("未生成 PDF：")
    index = (out / "index.html").read_text(encoding="utf-8")
    for t, e in m["townships"].items():
        assert e["status"] == "ok" and (out / e["html"]).is_file()
        files = e.get("files") or {}
        assert set(files) == set(expected) - {"html"}
        for fmt, rel in files.items():
            assert rel == f"townships/{t}.{fmt}" and (out / rel).is_file()
            assert f'href="{rel}"' in index  # the summary page links the township's files
    district = m["district"]
    for fmt in set(expected) - {"html"}:
        assert m["index"]["files"][fmt] == f"{district}汇总.{fmt}"
        assert (out / f"{district}汇总.{fmt}").is_file()
    if "pdf" in expected:
        assert all((out / f).read_bytes()[:5] == b"%PDF-" for f in
                   [m["index"]["files"]["pdf"]] + [e["files"]["pdf"] for e in m["townships"].values()])  # fmt: skip
    if "docx" in expected:
        import docx

        for t, e in m["townships"].items():
            text = "\n".join(
                p.text for p in docx.Document(str(out / e["files"]["docx"])).paragraphs
            )
            assert t in text


@pytest.mark.slow
def test_an_unchanged_rerun_links_every_format(formats_run):
    rc, out, args = formats_run
    assert rc == 0
    again = [*args[:-3], "r2", "--format", FORMATS]
    assert main(again) == 0
    m1, m2 = _manifest(out), _manifest(out.parent / "r2")
    assert {e["status"] for e in m2["townships"].values()} == {"reused"}
    assert [f["path"] for f in m2["files"]] == [f["path"] for f in m1["files"]]
    for f in m1["files"]:
        assert (out / f["path"]).stat().st_ino == (out.parent / "r2" / f["path"]).stat().st_ino


def test_unknown_format_is_a_usage_error():
    with pytest.raises(UsageError) as err:
        RunConfig(formats=("html", "odt")).resolved()
    assert "'odt'" in str(err.value) and "html,docx,pdf" in str(err.value)
    assert RunConfig(formats=("pdf",)).resolved().formats == ("html", "pdf")  # the page always


def test_cache_keys_cover_formats_and_options():
    base = cache.with_outputs("c", ("html",), {})
    assert base == "c"  # a page-only run keeps its keys
    docx = cache.with_outputs("c", ("html", "docx"), {"docx": {"cover": True}})
    assert docx not in (base, cache.with_outputs("c", ("html", "docx"), {"docx": {"cover": False}}))
    assert docx != cache.with_outputs("c", ("html", "docx", "pdf"), {"docx": {"cover": True}})


def test_render_document_calls_each_renderer(monkeypatch):
    """The worker's rendering: the page, Word with the project's options, PDF by the run's
    printer with the document's title as running header (stand-in renderers)."""
    seen = {}
    fake = types.ModuleType("commeval.renderers.docx")

    class DocxOptions:
        def __init__(self, fonts=None, cover=True, organisation=""):
            seen["options"] = (fonts, cover, organisation)

    def render_docx(doc, options=None):
        seen["doc"] = doc
        return b"PK-docx"

    fake.DocxOptions, fake.render_docx = DocxOptions, render_docx
    monkeypatch.setitem(sys.modules, "commeval.renderers.docx", fake)

    class Printer:
        def print_html(self, html, header="", footer=True):
            seen["pdf"] = (html, header, footer)
            return b"%PDF-"

    links = Paragraph("下载", origin="renderer")
    doc = Document("township", Meta("甲镇 2012年度农村社区建设评估", township="甲镇"),
                   [Section(None, [Paragraph("正文"), links], id="header")])  # fmt: skip
    opts = {"docx": {"fonts": {"body": "仿宋"}, "cover": False, "organisation": "某县"}}
    html, files = render_document(doc, ("html", "docx", "pdf"), opts, Printer())
    assert files == {"docx": b"PK-docx", "pdf": b"%PDF-"}
    assert seen["options"] == ({"body": "仿宋"}, False, "某县")
    assert seen["doc"].to_dict() == doc.content().to_dict()
    assert seen["pdf"] == (html, "甲镇 2012年度农村社区建设评估", True)
    assert "<title>甲镇 2012年度农村社区建设评估</title>" in html and "正文" in html
    assert "下载" in html and "下载" not in seen["doc"].text()  # the page's links: not Word's


def test_unknown_format_on_the_command_line_exits_2(tmp_path, capsys):
    rc = main(["reports", "--data", str(tmp_path), "--out", str(tmp_path / "o"), "--format",
               "html,odt"])  # fmt: skip
    assert rc == 2
    err = capsys.readouterr().err
    assert "'odt'" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()  # nothing written
