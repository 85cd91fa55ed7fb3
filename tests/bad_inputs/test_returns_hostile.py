"""Hostile or broken inputs never exhaust the machine: a zip bomb posing as .xlsx, a YAML alias
bomb as dataset.yaml or codebook, a FIFO as codebook or data file, a large sparse file of NUL
bytes. Each `commeval validate` runs in a subprocess under a memory limit (RLIMIT_AS) and must
end with one Chinese error, exit 2, no traceback (the subprocess timeout only guards against a
hang; it is not a timing assertion)."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from returns_helpers import copy, files

SRC = Path(__file__).resolve().parents[2] / "src"
MEMORY = 3 << 30  # address space of the whole validating process


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def _validate(raw: Path, tmp: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(SRC), "COMMEVAL_SALT_FILE": str(tmp / "salt")}
    code = "import sys; from commeval.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, "validate", "--data", str(raw), "--report-dir",
         str(tmp / "report")],
        env=env, cwd=tmp, capture_output=True, text=True, timeout=300, preexec_fn=_limit,
    )  # fmt: skip


def _check(res: subprocess.CompletedProcess, *expected: str) -> None:
    out = res.stdout + res.stderr
    assert res.returncode == 2, out
    assert "Traceback" not in out and "MemoryError" not in out, out
    for text in expected:
        assert text in out, out


def test_the_memory_limit_leaves_room_for_a_normal_run(base_raw: Path, tmp_path: Path):
    res = _validate(copy(base_raw, tmp_path / "raw"), tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr


def test_zip_bomb_xlsx_is_refused_before_inflating(base_raw: Path, tmp_path: Path):
    raw = copy(base_raw, tmp_path / "raw")
    path = raw / "villages.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        chunk = b"<row>" + b" " * ((1 << 20) - 5)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            for _ in range(600):  # 600 MiB of XML, about 0.6 MiB compressed
                fh.write(chunk)
    assert path.stat().st_size < 5 << 20
    files(raw, "villages", "villages.xlsx")
    res = _validate(raw, tmp_path)
    _check(res, "压缩炸弹", "villages.xlsx")


BOMB = "".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n',
        *(
            f"{b}: &{b} [{','.join(['*' + a] * 9)}]\n"
            for a, b in zip("abcdefgh", "bcdefghi", strict=True)
        ),
    ]
)


def test_yaml_alias_bomb_in_dataset_yaml(base_raw: Path, tmp_path: Path):
    raw = copy(base_raw, tmp_path / "raw")
    text = (raw / "dataset.yaml").read_text(encoding="utf-8")
    (raw / "dataset.yaml").write_text(BOMB + text, encoding="utf-8")
    _check(_validate(raw, tmp_path), "dataset.yaml", "别名炸弹")


def test_yaml_alias_bomb_as_codebook(base_raw: Path, tmp_path: Path):
    raw = copy(base_raw, tmp_path / "raw")
    (raw / "codebook.yaml").write_text(BOMB + "missing_values: ['-']\n", encoding="utf-8")
    with open(raw / "dataset.yaml", "a", encoding="utf-8") as fh:
        fh.write("codebook: codebook.yaml\n")
    _check(_validate(raw, tmp_path), "别名炸弹")


@pytest.mark.parametrize("what", ["codebook", "data", "dataset.yaml"])
def test_fifo_is_refused_without_blocking(base_raw: Path, tmp_path: Path, what: str):
    raw = copy(base_raw, tmp_path / "raw")
    if what == "dataset.yaml":
        (raw / "dataset.yaml").unlink()
        os.mkfifo(raw / "dataset.yaml")
    elif what == "codebook":
        os.mkfifo(raw / "codebook.yaml")
        with open(raw / "dataset.yaml", "a", encoding="utf-8") as fh:
            fh.write("codebook: codebook.yaml\n")
    else:
        (raw / "survey.csv").unlink()
        os.mkfifo(raw / "survey.csv")
    _check(_validate(raw, tmp_path), "不是普通文件", "命名管道")


def test_large_sparse_file_of_nul_bytes(base_raw: Path, tmp_path: Path):
    raw = copy(base_raw, tmp_path / "raw")
    with open(raw / "survey.csv", "wb") as fh:
        fh.truncate(2 << 30)  # 2 GiB, sparse: no disk used
    _check(_validate(raw, tmp_path), "文件过大", "survey.csv")


def test_small_file_of_nul_bytes_is_not_text(base_raw: Path, tmp_path: Path):
    raw = copy(base_raw, tmp_path / "raw")
    (raw / "survey.csv").write_bytes(b"\0" * 100_000)
    _check(_validate(raw, tmp_path), "NUL", "survey.csv")


def test_yaml_alias_bomb_as_commeval_yaml(tmp_path: Path):
    project = tmp_path / "proj"
    project.mkdir()
    (project / "commeval.yaml").write_text(BOMB + "name: 测试\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(SRC), "COMMEVAL_SALT_FILE": str(tmp_path / "salt")}
    code = "import sys; from commeval.cli import main; sys.exit(main(sys.argv[1:]))"
    res = subprocess.run(
        [sys.executable, "-c", code, "validate", "--project", str(project)],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300, preexec_fn=_limit,
    )  # fmt: skip
    _check(res, "别名炸弹", "commeval.yaml")
