from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _salt(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch ~/.config in tests."""
    monkeypatch.setenv("COMMEVAL_SALT_FILE", str(tmp_path_factory.getbasetemp() / "salt" / "salt"))


@pytest.fixture(scope="session")
def base_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from bad_input_cases import base_dataset

    return base_dataset(tmp_path_factory.mktemp("bad") / "valid")
