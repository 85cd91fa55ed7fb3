"""Shared fixtures: one small generated district rendered end to end (reused by the end-to-end
and browser tests)."""

from __future__ import annotations

import pytest

from commeval.cli import main
from commeval.synthetic import generate_district, write_raw


@pytest.fixture(scope="session")
def e2e_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    tables = generate_district(
        townships=["东镇", "西乡", "南镇"],
        villages_per_township=5,
        respondents_per_village=10,
        sampled_villages=4,
        seed=2,
    )
    raw = write_raw(tables, root / "raw" / "e2e")
    processed, out = root / "processed", root / "outputs"
    rc = main(
        ["reports", "--data", str(raw), "--processed", str(processed), "--out", str(out),
         "--jobs", "1", "--run-name", "r1"]
    )  # fmt: skip
    return rc, raw, processed, out / "r1"


#: Lines papermill itself writes to stderr (progress, paths) and ipykernel's launch notice,
#: which comes from the kernel process before any notebook code runs.
PAPERMILL_NOISE = ("Input Notebook:", "Output Notebook:", "Executing", "[IPKernelApp] WARNING")


#: papermill's own command line, in a process that goes without jsonschema's optional IRI
#: checker (as ``commeval reports`` does: see commeval/pipeline/__init__.py) — importing it
#: compiles a grammar, 1.5–3 s a run, for a format no notebook schema uses.
PAPERMILL = (
    "import sys; sys.modules.setdefault('rfc3987_syntax', None); "
    "from papermill.cli import papermill; papermill(prog_name='papermill')"
)


@pytest.fixture(scope="session")
def sample_processed(tmp_path_factory):
    """The sample district ingested once per session (each notebook run gets its own copy)."""
    from pathlib import Path

    from commeval.project import ensure_processed

    root = Path(__file__).resolve().parents[1]
    return ensure_processed(
        root / "data" / "raw" / "sample_district", tmp_path_factory.mktemp("sample") / "p"
    )


@pytest.fixture
def run_notebook(tmp_path, sample_processed):
    """Execute a committed research notebook with the papermill CLI, on its own processed copy
    of the sample district (copied from one ingest per session; a project's own data are
    ingested by the notebook) and a private IPython dir; assert it is committed without outputs
    and runs clean (no error output, nothing on stderr but papermill's own lines). Keyword
    arguments are further papermill parameters. Returns the executed notebook."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    import nbformat

    root = Path(__file__).resolve().parents[1]

    def run(notebook: Path, timeout: float = 120, **params):
        src = nbformat.read(notebook, as_version=4)
        for cell in src.cells:  # committed without outputs
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None
        assert any("parameters" in c.metadata.get("tags", []) for c in src.cells)
        out = tmp_path / f"{notebook.stem}.out.ipynb"
        if "project" not in params and not (tmp_path / "processed").exists():
            shutil.copytree(sample_processed, tmp_path / "processed")
        cmd = [sys.executable, "-c", PAPERMILL, str(notebook), str(out),
               "-p", "processed_dir", str(tmp_path / "processed")]  # fmt: skip
        for k, v in params.items():
            cmd += ["-p", k, str(v)]
        env = {**__import__("os").environ, "IPYTHONDIR": str(tmp_path / "ipython")}
        proc = subprocess.run(
            cmd, cwd=root, capture_output=True, text=True, timeout=timeout, env=env
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        noise = [
            ln
            for ln in proc.stderr.replace("\r", "\n").splitlines()
            if ln.strip() and not any(m in ln for m in PAPERMILL_NOISE)
        ]
        assert noise == [], noise
        nb = nbformat.read(out, as_version=4)
        for cell in nb.cells:
            for o in cell.get("outputs", []):
                assert o.output_type != "error", o
                assert not (o.output_type == "stream" and o.name == "stderr"), o.text
        return nb

    return run
