"""One scheme of input keys (commeval.keys): every key changes when, and only when, one of its
inputs changes — a raw file, dataset.yaml, fields.yaml, the framework, the year, the Monte Carlo
draws, a township's rows — and no module builds a key its own way."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import yaml

from commeval import keys
from commeval.data.contract import contract, extend_contract
from commeval.data.freshness import codebook_fingerprint, input_key, is_current, raw_file_hashes
from commeval.data.ingest import ingest
from commeval.district import District, district_key
from commeval.index import load_framework
from commeval.pipeline import cache
from commeval.synthetic import generate_district, write_raw

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "commeval"


def test_the_key_is_sha256_of_canonical_json_of_tag_and_parts():
    """A hand computation: the tag and the named parts as sorted, compact JSON, hashed."""
    k = keys.key("district", year=2012, tables={"b": "2", "a": "1"}, level=0.9)
    text = '{"key":"district","level":0.9,"tables":{"a":"1","b":"2"},"year":2012}'
    assert k == hashlib.sha256(text.encode("utf-8")).hexdigest()
    # order of the parts and of mapping entries does not matter; the tag and every value do
    assert k == keys.key("district", level=0.9, tables={"a": "1", "b": "2"}, year=2012)
    assert k != keys.key("township", year=2012, tables={"b": "2", "a": "1"}, level=0.9)
    assert k != keys.key("district", year=2011, tables={"b": "2", "a": "1"}, level=0.9)
    assert keys.key("t", p=Path("a/b"), t=("x", 1)) == keys.key("t", p="a/b", t=["x", 1])
    with pytest.raises(TypeError, match="plain data"):
        keys.key("t", x=object())  # never a repr that may differ between processes


def test_file_hash_follows_the_content_not_the_clock(tmp_path):
    p = tmp_path / "a.csv"
    p.write_bytes(b"x,y\n1,2\n")
    h = keys.file_hash(p)
    assert h == hashlib.sha256(b"x,y\n1,2\n").hexdigest() == keys.file_digest(p)
    p.write_bytes(b"x,y\n1,2\n")  # rewritten, same bytes: same hash
    assert keys.file_hash(p) == h
    p.write_bytes(b"x,y\n1,3\n")  # one byte changed (same size): another hash
    assert keys.file_hash(p) != h


@pytest.fixture(scope="module")
def processed(tmp_path_factory):
    """A small raw dataset (2 townships) and its processed folder."""
    root = tmp_path_factory.mktemp("keys")
    tables = generate_district(
        townships=["东镇", "西乡"], villages_per_township=3, respondents_per_village=4,
        sampled_villages=2, seed=3,
    )  # fmt: skip
    raw = write_raw(tables, root / "raw")
    out = root / "processed"
    ingest(raw, out)
    return raw, out


def _current_key(raw: Path, c=None) -> str:
    c = c or contract()
    files = raw_file_hashes(raw)
    return input_key(files, files.get("dataset.yaml"), c, codebook_fingerprint(raw, None, c))


def _recorded(out: Path) -> str:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))["input_key"]


def test_processed_input_key_changes_when_and_only_when_an_input_changes(processed, tmp_path):
    raw, out = processed
    recorded = _recorded(out)
    assert _current_key(raw) == recorded and is_current(raw, out)  # unchanged: same key
    data_file = sorted(p for p in raw.iterdir() if p.suffix == ".csv")[0]
    for path, edit in [
        (data_file, lambda b: b.replace(b"\n", b"\r\n", 1)),  # a raw data file
        (raw / "dataset.yaml", lambda b: b + "# 备注\n".encode()),  # dataset.yaml
    ]:
        original = path.read_bytes()
        path.write_bytes(original)  # rewritten unchanged: same key
        assert _current_key(raw) == recorded and is_current(raw, out)
        path.write_bytes(edit(original))
        assert _current_key(raw) != recorded and not is_current(raw, out)
        path.write_bytes(original)  # back as it was: the same key again
        assert _current_key(raw) == recorded and is_current(raw, out)
    # fields.yaml: the contract the data are read with
    fields = tmp_path / "fields.yaml"
    doc = {"villages": {"has_clinic": {"label": "标准化村卫生室", "dtype": "bool"}}}
    fields.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    extended = extend_contract(contract(), fields)
    assert _current_key(raw, extended) != recorded
    assert not is_current(raw, out, contract=extended)
    # a manifest written before the input key (an older commeval): stale, not an error
    old = tmp_path / "old"
    shutil.copytree(out, old)
    m = json.loads((old / "manifest.json").read_text(encoding="utf-8"))
    del m["input_key"]
    (old / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    assert not is_current(raw, old)


@pytest.fixture(scope="module")
def framework_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("fw") / "framework.yaml"
    shutil.copy(SRC / "config" / "framework.yaml", path)
    return path


def test_district_key_changes_when_and_only_when_an_input_changes(framework_file):
    tables = {"survey": "a" * 64, "villages": "b" * 64}
    fw = load_framework(framework_file)
    base = dict(year=2012, draws=200, seed=1, min_n=30, data_contract=contract())
    k = district_key(tables, fw, **base)
    assert k == district_key(dict(tables), load_framework(framework_file), **base)
    changed = {
        "year": district_key(tables, fw, **{**base, "year": 2011}),
        "draws": district_key(tables, fw, **{**base, "draws": 201}),
        "seed": district_key(tables, fw, **{**base, "seed": 2}),
        "table": district_key({**tables, "survey": "c" * 64}, fw, **base),
        "weighting": district_key(tables, fw, **base, weighting="raked"),
        "level": district_key(tables, fw, **base, level=0.95),
    }
    assert len({k, *changed.values()}) == len(changed) + 1
    # the framework: its file's content (rewritten unchanged: same key)
    text = framework_file.read_text(encoding="utf-8")
    framework_file.write_text(text, encoding="utf-8")
    assert district_key(tables, load_framework(framework_file), **base) == k
    edited = text.replace("weight_noise: 0.25", "weight_noise: 0.30", 1)  # a setting
    assert edited != text
    framework_file.write_text(edited, encoding="utf-8")
    try:
        assert district_key(tables, load_framework(framework_file), **base) != k
    finally:
        framework_file.write_text(text, encoding="utf-8")


def _hashes(tables, year=2012, dkey="d" * 64, townships=("东镇", "西乡")):
    stand_in = SimpleNamespace(
        tables=tables, townships=list(townships), year=year, district_key=dkey
    )
    return District.input_hashes(stand_in)


def test_township_input_keys_follow_their_own_rows():
    tables = {
        "villages": pd.DataFrame({"township": ["东镇", "西乡", "东镇"], "x": [1.0, 2.0, 3.0]}),
        "district": pd.DataFrame({"y": [1, 2]}),
    }
    h = _hashes(tables)
    assert h == _hashes({k: v.copy() for k, v in tables.items()})  # unchanged: same keys
    # a row of 西乡 changes: only 西乡's key
    v = tables["villages"].copy()
    v.loc[1, "x"] = 2.5
    h2 = _hashes({**tables, "villages": v})
    assert h2["东镇"] == h["东镇"] and h2["西乡"] != h["西乡"]
    # a table without townships, the year, the district key: every township's
    d = tables["district"].assign(y=[1, 3])
    for other in (_hashes({**tables, "district": d}), _hashes(tables, year=2011),
                  _hashes(tables, dkey="e" * 64)):  # fmt: skip
        assert all(other[t] != h[t] for t in h)
    # one township on its own: the same key as in the batch; the key is keys.key's
    assert _hashes(tables, townships=["西乡"])["西乡"] == h["西乡"]
    rows = pd.util.hash_pandas_object(tables["villages"], index=False).to_numpy()
    slices = {"district": keys.digest(
        pd.util.hash_pandas_object(tables["district"], index=False).to_numpy().tobytes()
    ), "villages": keys.digest(rows[[1]].tobytes())}  # fmt: skip
    assert h["西乡"] == keys.key("township", tables=slices, year=2012, district="d" * 64)


def test_pipeline_keys_change_when_and_only_when_an_input_changes(processed, tmp_path):
    raw, out = processed
    page = cache.township_key("i" * 64, "n" * 64, "c" * 64)
    assert page == cache.township_key("i" * 64, "n" * 64, "c" * 64)
    assert page != cache.township_key("j" * 64, "n" * 64, "c" * 64)
    assert page != cache.township_key("i" * 64, "m" * 64, "c" * 64)
    assert page != cache.township_key("i" * 64, "n" * 64, None)
    run = cache.run_key(out, 2012, None, ["n" * 64])
    assert run == cache.run_key(out, 2012, None, ["n" * 64])
    assert run != cache.run_key(out, 2011, None, ["n" * 64])
    assert run != cache.run_key(out, 2012, ["东镇"], ["n" * 64])
    copy = tmp_path / "p"
    shutil.copytree(out, copy)
    m = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    m["input_key"] = "0" * 64  # the same tables made from other inputs
    (copy / "manifest.json").write_text(json.dumps(m), encoding="utf-8")
    assert cache.run_key(copy, 2012, None, ["n" * 64]) != run


#: calls that hash, or hash JSON, outside commeval.keys: a key built another way
OWN_KEYS = re.compile(
    r"\bhashlib\b|\.hexdigest\(|(?:sha256_bytes|digest)\(\s*(?:json\.dumps|repr)\("
)


def test_no_module_builds_keys_its_own_way():
    """Every hash of the package comes from commeval.keys: no other module imports hashlib or
    hashes JSON or a repr (file checksums use keys.file_digest / files.sha256_file; the
    pseudonyms of commeval.data.privacy are keyed HMACs, not keys)."""
    offenders = [
        f"{p.relative_to(SRC)}:{i}: {line.strip()}"
        for p in sorted(SRC.rglob("*.py"))
        if p.name != "keys.py" or p.parent != SRC
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if OWN_KEYS.search(line)
    ]
    assert offenders == []
    # the test sees an offender
    assert OWN_KEYS.search("h = hashlib.sha256(x).hexdigest()")
    assert OWN_KEYS.search("sha256_bytes(json.dumps(parts, sort_keys=True))")
