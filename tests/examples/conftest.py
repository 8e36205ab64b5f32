"""The examples' tests never read or write the user's cache: the metric's classifier goes to one temporary
directory per test session (so it is trained once per session, and every test sees the same one)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def _session_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("kornia_diffaug_cache")


@pytest.fixture(autouse=True)
def example_cache(_session_cache, monkeypatch):
    monkeypatch.setenv("KORNIA_DIFFAUG_CACHE", str(_session_cache))
    return _session_cache
