"""Fixtures every test may use: an isolated GRASSROOTS_HOME and its settings."""

from __future__ import annotations

import pytest

from grassroots import settings as settings_module


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh GRASSROOTS_HOME with an inbox, and settings that point at it."""
    home = tmp_path / "home"
    (home / "inbox").mkdir(parents=True)
    for name in list(__import__("os").environ):
        if name.startswith("GRASSROOTS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GRASSROOTS_HOME", str(home))
    monkeypatch.setenv("GRASSROOTS_SETTLE_SECONDS", "0")
    return home


@pytest.fixture
def settings(home):
    return settings_module.load()
