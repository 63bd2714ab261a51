"""The registry is read from the installed semantic-conventions package, and cached safely."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from otel_lint.conventions import registry as semconv
from otel_lint.conventions.registry import (
    Registry,
    build_registry,
    load_registry,
    package_root,
    parse_deprecation,
)


def test_registry_size_matches_the_installed_package(registry: Registry) -> None:
    assert 800 <= len(registry.attributes) <= 2000
    assert len(registry.metrics) >= 400
    assert registry.version not in ("missing", "unknown")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("http.method", "http.request.method"),
        ("db.statement", "db.query.text"),
        ("deployment.environment", "deployment.environment.name"),
        ("http.status_code", "http.response.status_code"),
    ],
)
def test_single_replacements(registry: Registry, old: str, new: str) -> None:
    deprecated = registry.attributes[old].deprecated
    assert deprecated is not None
    assert deprecated.replacement == new


def test_free_text_deprecation_has_a_note_and_no_replacement(registry: Registry) -> None:
    flavor = registry.attributes["http.flavor"].deprecated
    assert flavor is not None and flavor.replacement is None
    assert "network.protocol.name" in flavor.note
    peer = registry.attributes["net.peer.name"].deprecated
    assert peer is not None and peer.replacement is None


def test_incubating_copies_of_stable_names_are_not_deprecated(registry: Registry) -> None:
    method = registry.attributes["http.request.method"]
    assert method.stable and method.deprecated is None
    assert method.module == "opentelemetry.semconv.attributes.http_attributes"


def test_templates_and_namespaces(registry: Registry) -> None:
    header = registry.attributes["http.request.header"]
    assert header.template
    assert registry.attribute("http.request.header.x_forwarded_for") is header
    assert registry.attribute("http.request.headers") is None
    assert {"http", "http.request", "db", "service"} <= registry.namespaces
    assert "http.request.method" not in registry.namespaces


def test_metrics_carry_instrument_and_unit(registry: Registry) -> None:
    duration = registry.metrics["http.server.request.duration"]
    assert (duration.instrument, duration.unit, duration.stable) == ("histogram", "s", True)
    assert all(
        m.instrument in {"counter", "updowncounter", "histogram", "gauge"}
        for m in registry.metrics.values()
    )


def test_deprecated_metric_takes_instrument_and_unit_from_its_create_function(
    registry: Registry,
) -> None:
    # Its docstring has no Instrument:/Unit: lines; create_container_memory_paging_faults does.
    faults = registry.metrics["container.memory.paging.faults"]
    assert faults.deprecated is not None
    assert faults.deprecated.replacement == "container.paging.faults"
    assert (faults.instrument, faults.unit) == ("counter", "{fault}")


def test_enum_members(registry: Registry) -> None:
    assert "GET" in registry.enums["http.request.method"]
    assert "_OTHER" in registry.enums["http.request.method"]


def test_constants_resolve_to_their_names(registry: Registry) -> None:
    method = registry.constant("HTTP_METHOD")
    assert method is not None and getattr(method, "key", None) == "http.method"
    metric = registry.constant("HTTP_SERVER_REQUEST_DURATION")
    assert metric is not None and getattr(metric, "name", None) == "http.server.request.duration"


@pytest.mark.parametrize(
    ("doc", "replacement"),
    [
        ("Deprecated: Replaced by `a.b`.", "a.b"),
        ("Deprecated: Replaced by `a.b` with unit `s`.", "a.b"),
        ("Deprecated: Use `a.b` instead.", "a.b"),
        ("Deprecated: Replaced by `a.b` on client spans and `c.d` on server spans.", None),
        ("Deprecated: Removed, no replacement at this time.", None),
        ("Deprecated: Replaced by `a.b`, but only if not extracting the value from `c`.", None),
        ("Deprecated: Replaced by `a.b`, which has moved to the [X repository](https://x).", "a.b"),
    ],
)
def test_parse_deprecation(doc: str, replacement: str | None) -> None:
    parsed = parse_deprecation("\n" + doc + "\n")
    assert parsed is not None
    assert parsed.replacement == replacement


def test_stable_copy_note_is_not_a_deprecation() -> None:
    assert parse_deprecation("\nDeprecated in favor of stable :py:const:`x.Y`.\n") is None


def test_moved_name_is_not_a_deprecation() -> None:
    note = "\nDeprecated: Moved to the [OpenTelemetry GenAI semantic conventions repository](u).\n"
    assert parse_deprecation(note) is None


def test_cache_round_trip_gives_the_same_registry(_isolated_cache: Path) -> None:
    semconv._LOADED.clear()
    built = load_registry()
    files = list(_isolated_cache.glob("semconv-*.json"))
    assert len(files) == 1
    semconv._LOADED.clear()
    loaded = load_registry()
    assert loaded is not built
    assert loaded.attributes == built.attributes
    assert loaded.metrics == built.metrics
    assert loaded.enums == built.enums
    assert loaded.namespaces == built.namespaces


@pytest.mark.parametrize(
    "content",
    [b"", b"{not json", b'{"format": 1}', json.dumps({"format": 999}).encode(), b"\xff\xfe"],
)
def test_corrupt_cache_falls_back_to_building(_isolated_cache: Path, content: bytes) -> None:
    semconv._LOADED.clear()
    load_registry()
    (path,) = _isolated_cache.glob("semconv-*.json")
    path.write_bytes(content)
    semconv._LOADED.clear()
    registry = load_registry()
    assert registry.attributes["http.method"].deprecated is not None
    # ... and the cache was repaired for the next process.
    assert json.loads(path.read_bytes())["format"] == semconv.FORMAT_VERSION


def test_stale_cache_is_ignored(_isolated_cache: Path) -> None:
    semconv._LOADED.clear()
    load_registry()
    (path,) = _isolated_cache.glob("semconv-*.json")
    raw = json.loads(path.read_bytes())
    raw["version"] = "0.0.0-stale"
    raw["attributes"] = []
    path.write_text(json.dumps(raw))
    semconv._LOADED.clear()
    assert "http.method" in load_registry().attributes


@pytest.mark.skipif(
    os.geteuid() == 0 if hasattr(os, "geteuid") else False, reason="root ignores permissions"
)
def test_unwritable_cache_is_not_an_error_as_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    monkeypatch.setenv("OTEL_LINT_CACHE_DIR", str(locked / "cache"))
    semconv._LOADED.clear()
    assert "http.method" in load_registry().attributes


def test_cache_path_that_is_a_file_is_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Works as root too: a cache "directory" that is a regular file cannot be written into.
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv("OTEL_LINT_CACHE_DIR", str(blocker))
    semconv._LOADED.clear()
    assert "http.method" in load_registry().attributes


def test_upgrading_the_package_upgrades_the_registry(tmp_path: Path) -> None:
    """A copy of the package with one attribute added, as a new release would add it."""
    root = package_root()
    assert root is not None
    copy = tmp_path / "semconv"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / "attributes" / "http_attributes.py"
    target.write_text(
        target.read_text()
        + '\nHTTP_BRAND_NEW: Final = "http.brand_new"\n"""\nA new attribute.\n"""\n'
    )
    assert "http.brand_new" in build_registry(copy).attributes
