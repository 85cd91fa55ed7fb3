"""No traceback from any input, and nothing read from outside the dataset folder: YAML typos
with line and column, paths leading out (``..``, absolute, symlinks) refused without echoing the
refused file, the CLI's catch-all for the unexpected (message, log, exit code)."""

from __future__ import annotations

import hashlib
import io
import os
import shutil
from pathlib import Path

import pytest
import yaml

from commeval.cli import main
from commeval.data.checks import check_dataset
from commeval.data.freshness import is_current
from commeval.data.ingest import IngestError, ingest
from commeval.data.validate import run_validate

SECRET = "SECRET-FIRST-LINE-должен-не-показываться"


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def _set_path(raw: Path, table: str, path: str) -> None:
    meta = yaml.safe_load((raw / "dataset.yaml").read_text(encoding="utf-8"))
    meta["files"][table] = {"path": path}
    (raw / "dataset.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")


@pytest.fixture
def raw(base_raw: Path, tmp_path: Path) -> Path:
    d = tmp_path / "data" / "raw"
    shutil.copytree(base_raw, d)
    (tmp_path / "secret.csv").write_text(f"{SECRET}\n1,2,3\n", encoding="utf-8")
    return d


def _everything_written(tmp_path: Path) -> str:
    out = []
    for p in tmp_path.rglob("*"):
        linked = any(q.is_symlink() for q in [p, *p.parents])
        if p.is_file() and not linked and p.name != "secret.csv":
            out.append(p.read_bytes().decode("utf-8", "replace"))
    return "\n".join(out)


@pytest.mark.parametrize("how", ["dotdot", "absolute", "symlink", "symlink_dir", "codebook_dotdot"])
def test_paths_outside_the_dataset_are_refused(raw: Path, tmp_path: Path, how: str, capsys):
    secret = tmp_path / "secret.csv"
    if how == "dotdot":
        _set_path(raw, "townships", "../../secret.csv")
    elif how == "absolute":
        _set_path(raw, "townships", str(secret))
    elif how == "symlink":
        os.symlink(secret, raw / "link.csv")
        _set_path(raw, "townships", "link.csv")
    elif how == "symlink_dir":
        os.symlink(tmp_path, raw / "up")
        _set_path(raw, "townships", "up/secret.csv")
    else:
        meta = yaml.safe_load((raw / "dataset.yaml").read_text(encoding="utf-8"))
        meta["codebook"] = "../../secret.csv"
        (raw / "dataset.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), "utf-8")
    before = _hashes(tmp_path)
    checked = check_dataset(raw)
    hit = checked.problems[checked.problems["rule"] == "path_outside"]
    assert len(hit) == 1, checked.problems.to_string()
    assert "数据集目录内的相对路径" in hit.iloc[0]["message"]
    assert hit.iloc[0]["file"] == "dataset.yaml"
    out = io.StringIO()
    assert run_validate(raw, tmp_path / "report", out=out) == 2
    with pytest.raises(IngestError):
        ingest(raw, tmp_path / "processed")
    assert not (tmp_path / "processed").exists()
    assert main(["validate", "--data", str(raw), "--report-dir", str(tmp_path / "r2")]) == 2
    printed = out.getvalue() + "".join(capsys.readouterr())
    assert SECRET not in printed
    assert SECRET not in _everything_written(tmp_path)
    assert _hashes(tmp_path) == before | {
        k: v for k, v in _hashes(tmp_path).items() if k.startswith(("report", "r2"))
    }


def test_yaml_typo_names_line_and_column(raw: Path, tmp_path: Path, capsys):
    processed = tmp_path / "processed"
    ingest(raw, processed)
    assert is_current(raw, processed)
    text = (raw / "dataset.yaml").read_text(encoding="utf-8")
    (raw / "dataset.yaml").write_text(text.replace("files:\n", "files:\n  : [\n", 1), "utf-8")
    assert not is_current(raw, processed)  # never a traceback, and never served as current
    checked = check_dataset(raw)
    msg = checked.problems.loc[checked.problems["rule"] == "dataset_yaml", "message"].iloc[0]
    assert "行第" in msg and "列" in msg, msg
    code = main(["process", "--data", str(raw), "--processed", str(processed)])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err and "行第" in err


def test_editing_dataset_yaml_makes_processed_stale(raw: Path, tmp_path: Path):
    processed = tmp_path / "processed"
    ingest(raw, processed)
    assert is_current(raw, processed)
    meta = yaml.safe_load((raw / "dataset.yaml").read_text(encoding="utf-8"))
    meta["district"] = "另一个区"
    (raw / "dataset.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), "utf-8")
    assert not is_current(raw, processed)
    ingest(raw, processed)
    assert is_current(raw, processed)


def test_unexpected_error_is_one_message_and_a_log(raw: Path, tmp_path: Path, monkeypatch, capsys):
    import commeval.data.validate as validate

    def boom(*a, **k):
        raise RuntimeError("internal detail")

    monkeypatch.setattr(validate, "run_validate", boom)
    monkeypatch.chdir(tmp_path)
    code = main(["validate", "--data", str(raw), "--report-dir", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 1
    assert "Traceback" not in err
    assert "意外错误（RuntimeError）" in err and str(raw) in err
    log = Path(err.split("错误详情已写入 ")[1].split("；")[0])
    assert "Traceback" in log.read_text(encoding="utf-8")
    assert "internal detail" in log.read_text(encoding="utf-8")


def test_a_reader_crash_is_reported_for_its_file(raw: Path, monkeypatch):
    import commeval.data.checks as checks

    real = checks.read_source

    def flaky(path, *a, **k):
        if path.name == "villages.csv":
            raise OverflowError("boom")
        return real(path, *a, **k)

    monkeypatch.setattr(checks, "read_source", flaky)
    checked = check_dataset(raw)
    hit = checked.problems[checked.problems["rule"] == "unreadable"]
    assert list(hit["file"]) == ["villages.csv"]
