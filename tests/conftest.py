"""Shared fixtures: every test gets its own cache directory, so no test reads another's cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from otel_lint.semconv import Registry, load_registry


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    cache = tmp_path_factory.mktemp("otel-lint-cache")
    monkeypatch.setenv("OTEL_LINT_CACHE_DIR", str(cache))
    yield cache


@pytest.fixture(scope="session")
def registry() -> Registry:
    return load_registry(use_cache=False)
