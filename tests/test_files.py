"""commeval.files: atomic writes and file hashes."""

from __future__ import annotations

import hashlib

import pytest

from commeval.files import atomic_path, sha256_bytes, sha256_file, write_atomic


def test_write_atomic_text_and_bytes(tmp_path):
    p = write_atomic(tmp_path / "a" / "x.txt", "乡镇\n")
    assert p.read_text(encoding="utf-8") == "乡镇\n"
    write_atomic(p, b"\x00\x01")
    assert p.read_bytes() == b"\x00\x01"
    write_atomic(p, "ab", encoding="ascii", fsync=False)
    assert p.read_bytes() == b"ab"
    assert (p.stat().st_mode & 0o777) == 0o644
    assert sorted(f.name for f in p.parent.iterdir()) == ["x.txt"]  # no temporary left


def test_atomic_path_keeps_the_old_file_on_failure(tmp_path):
    target = tmp_path / "t.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp != target
        tmp.write_text("half")
        raise RuntimeError("writer failed")
    assert target.read_text() == "old"
    assert [f.name for f in tmp_path.iterdir()] == ["t.csv"]
    with atomic_path(target) as tmp:
        tmp.write_text("new")
        assert target.read_text() == "old"  # not visible before the rename
    assert target.read_text() == "new"


def test_sha256(tmp_path):
    data = bytes(range(256)) * 10_000  # several chunks
    p = tmp_path / "b"
    p.write_bytes(data)
    assert sha256_file(p) == hashlib.sha256(data).hexdigest() == sha256_bytes(data)
    assert sha256_bytes("甲") == hashlib.sha256("甲".encode()).hexdigest()


def test_package_hash_covers_code_config_templates_styles_and_notebooks(tmp_path):
    import shutil

    from commeval.files import package_files, package_hash
    from commeval.paths import package_dir

    root = tmp_path / "commeval"
    shutil.copytree(package_dir(), root, ignore=shutil.ignore_patterns("__pycache__"))
    names = {p.relative_to(root).as_posix() for p in package_files(root)}
    assert {"cli.py", "config/diagnosis.yaml", "templates/report.css"} <= names
    assert "templates/commeval_report.html.j2" in names
    assert package_hash(root) == package_hash(root)  # once per process
    seen = {package_hash(root)}
    rels = ("config/diagnosis.yaml", "templates/report.css", "notebooks/township_report.ipynb")
    for rel in (*rels, "cli.py"):
        copy = tmp_path / f"edit-{len(seen)}"
        shutil.copytree(root, copy)
        with open(copy / rel, "a", encoding="utf-8") as fh:
            fh.write("\n# edited\n")
        seen.add(package_hash(copy))
    assert len(seen) == 5  # every edit changes the hash
    (root / "__pycache__").mkdir(exist_ok=True)
    (root / "__pycache__" / "x.py").write_text("ignored")
    assert "__pycache__/x.py" not in {p.relative_to(root).as_posix() for p in package_files(root)}
