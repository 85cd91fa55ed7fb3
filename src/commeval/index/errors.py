"""Errors of the index engine."""

from __future__ import annotations

from typing import Any

from commeval.errors import InputError


class FrameworkError(InputError, ValueError):
    """A framework file is malformed; the message names the file, key and value."""

    def __init__(self, source: str, key: str, value: Any, why: str) -> None:
        self.source, self.key, self.value = source, key, value
        super().__init__(f"{source}: key {key} = {value!r} is invalid — {why}")


class IndexDataError(InputError, ValueError):
    """The data cannot be evaluated (all-missing indicator, too few townships, ...)."""


class SettingsError(InputError, ValueError):
    """``evaluate(settings=...)`` has an unknown key or an invalid value; the message names the
    key, the value and what is allowed."""

    def __init__(self, key: str, value: Any, why: str) -> None:
        self.key, self.value = key, value
        super().__init__(f"settings key {key!r} = {value!r} is invalid — {why}")
