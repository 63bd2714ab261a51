"""Shared fixtures: every test gets its own cache directory, so no test reads another's cache."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from otel_lint.conventions.registry import Registry, load_registry

# Property tests: a small budget keeps CI quick; `HYPOTHESIS_PROFILE=thorough pytest ...` runs
# many more examples by hand. Tests that set their own max_examples keep it in every profile.
settings.register_profile("default", max_examples=25, deadline=None)
settings.register_profile("thorough", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True)
def _isolated_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    cache = tmp_path_factory.mktemp("otel-lint-cache")
    monkeypatch.setenv("OTEL_LINT_CACHE_DIR", str(cache))
    yield cache


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry(use_cache=False)
