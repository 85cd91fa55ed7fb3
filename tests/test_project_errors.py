"""Bad project configuration stops `commeval reports` before anything is written: exit 2, one
clear message naming the file, the key and the value, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

COMMEVAL = Path(sys.executable).with_name("commeval")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sample_project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("bad") / "p"
    out = subprocess.run(
        [str(COMMEVAL), "init", str(root), "--sample"], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    return root


def _copy(project: Path, tmp_path: Path) -> Path:
    import shutil

    dst = tmp_path / "p"
    shutil.copytree(project, dst)
    return dst


def _fields(project: Path, doc: dict) -> None:
    (project / "config" / "fields.yaml").write_text(
        yaml.safe_dump(doc, allow_unicode=True), "utf-8"
    )


CASES = {
    "unknown dtype": (
        lambda p: _fields(p, {"villages": {"has_clinic": {"label": "卫生室", "dtype": "boolean"}}}),
        ["fields.yaml", "has_clinic", "boolean"],
    ),
    "collides with a built-in field": (
        lambda p: _fields(p, {"villages": {"has_library": {"label": "图书室2", "dtype": "bool"}}}),
        ["fields.yaml", "has_library"],
    ),
    "formula names an undeclared field": (
        lambda p: (p / "config" / "framework.yaml").write_text(
            (p / "config" / "framework.yaml")
            .read_text("utf-8")
            .replace("100 * share(has_library)", "100 * share(has_clinic)", 1),
            "utf-8",
        ),
        ["framework.yaml", "library_share", "has_clinic"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_configuration_exits_2_and_writes_nothing(sample_project, tmp_path, case):
    project = _copy(sample_project, tmp_path)
    damage, words = CASES[case]
    damage(project)
    out = subprocess.run(
        [str(COMMEVAL), "reports"], cwd=project, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 2, out.stdout + out.stderr
    message = out.stdout + out.stderr
    assert "Traceback" not in message
    for w in words:
        assert w in message, (w, message)
    assert not (project / "data" / "processed").exists() or not any(
        (project / "data" / "processed").rglob("*.parquet")
    )
    outputs = project / "outputs"
    assert not outputs.exists() or not any(outputs.rglob("*.html"))
