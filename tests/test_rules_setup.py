"""The 5xx rules (SDK and resource setup) over small projects on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
from project_lint import lint_project, write_project

from otel_lint.catalogue.model import load_rules
from otel_lint.checks.sdk_setup import RESOURCE_ONLY_KEYS
from otel_lint.conventions.registry import Registry
from otel_lint.findings import Finding

RULES = [rule for rule in load_rules() if rule.code.startswith("OTL5")]


def lint_files(root: Path, files: dict[str, str]) -> list[Finding]:
    write_project(root, files)
    return lint_project(root, "OTL5")


def codes(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.code, f.path) for f in findings]


CREATE = """
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider

    provider = TracerProvider(resource=Resource.create({"service.version": "1.4.2"}))
"""
CONSTRUCT = """
    from opentelemetry.sdk.resources import Resource

    resource = Resource({"service.version": "1.4.2"})
"""


# --- OTL501 across files ----------------------------------------------------------------------


def test_otl501_reports_create_without_a_name_anywhere(tmp_path: Path, registry: Registry) -> None:
    files = {"app/telemetry.py": CREATE, "Dockerfile": "FROM python:3.12\nENV LOG_LEVEL=info\n"}
    assert codes(lint_files(tmp_path, files)) == [("OTL501", "app/telemetry.py")]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("Dockerfile", "FROM python:3.12\nENV OTEL_SERVICE_NAME=checkout\n"),
        (
            "docker-compose.yml",
            "services:\n  api:\n    environment:\n      OTEL_SERVICE_NAME: checkout\n",
        ),
        (
            ".env",
            "OTEL_RESOURCE_ATTRIBUTES=service.name=checkout,deployment.environment.name=prod\n",
        ),
        ("deploy/api.k8s.yaml", "env:\n  - name: OTEL_SERVICE_NAME\n    value: checkout\n"),
    ],
)
def test_otl501_create_takes_the_name_from_the_deployment(
    tmp_path: Path, registry: Registry, name: str, text: str
) -> None:
    assert codes(lint_files(tmp_path, {"app/telemetry.py": CREATE, name: text})) == []


def test_otl501_resource_attributes_without_a_service_name_do_not_count(
    tmp_path: Path, registry: Registry
) -> None:
    files = {
        "app/telemetry.py": CREATE,
        ".env": "OTEL_RESOURCE_ATTRIBUTES=deployment.environment.name=prod\n",
    }
    assert codes(lint_files(tmp_path, files)) == [("OTL501", "app/telemetry.py")]


def test_otl501_the_constructor_ignores_the_environment(tmp_path: Path, registry: Registry) -> None:
    files = {"app/telemetry.py": CONSTRUCT, "Dockerfile": "ENV OTEL_SERVICE_NAME=checkout\n"}
    found = lint_files(tmp_path, files)
    assert codes(found) == [("OTL501", "app/telemetry.py")]
    assert "OTEL_SERVICE_NAME" in found[0].message


def test_otl501_the_sdk_really_merges_the_environment_only_in_create(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The premise of the rule's two cases, on the installed SDK."""
    from opentelemetry.sdk.resources import Resource

    monkeypatch.setenv("OTEL_SERVICE_NAME", "checkout")
    assert Resource.create({"service.version": "1"}).attributes["service.name"] == "checkout"
    assert "service.name" not in Resource({"service.version": "1"}).attributes


# --- OTL502 ---------------------------------------------------------------------------------------


def test_otl502_keys_are_current_semantic_conventions(registry: Registry) -> None:
    """Every key the rule moves to the resource is a known, non-deprecated attribute."""
    for key in RESOURCE_ONLY_KEYS:
        attribute = registry.attribute(key)
        assert attribute is not None, key
        assert attribute.deprecated is None, key


def test_otl502_flags_each_key_once(tmp_path: Path, registry: Registry) -> None:
    files = {
        "app/handlers.py": """
            with tracer.start_as_current_span("pay", attributes={"service.version": "1"}) as span:
                span.set_attribute("service.name", "checkout")
                span.set_attribute("service.peer.name", "payments")
        """
    }
    found = lint_files(tmp_path, files)
    assert [(f.code, f.line) for f in found] == [("OTL502", 2), ("OTL502", 3)]


# --- OTL503: test files are exempt by path ------------------------------------------------------

SIMPLE_OTLP = """
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    processor = SimpleSpanProcessor(OTLPSpanExporter())
"""


@pytest.mark.parametrize(
    ("path", "flagged"),
    [
        ("app/telemetry.py", True),
        ("app/contest.py", True),
        ("tests/integration/export.py", False),
        ("app/test_export.py", False),
        ("app/export_test.py", False),
        ("conftest.py", False),
    ],
)
def test_otl503_exempts_test_files(
    tmp_path: Path, registry: Registry, path: str, flagged: bool
) -> None:
    found = lint_files(tmp_path, {path: SIMPLE_OTLP})
    assert codes(found) == ([("OTL503", path)] if flagged else [])


# --- What the project is: application rules judge applications only ---------------------------

LIBRARY_PYPROJECT = '[project]\nname = "acme-sdk"\n[build-system]\nrequires = ["hatchling"]\n'


def test_a_packaged_project_that_nothing_deploys_is_a_library(tmp_path: Path) -> None:
    files = {"pyproject.toml": LIBRARY_PYPROJECT, "acme_sdk/otel.py": CREATE}
    assert lint_files(tmp_path, files) == []


def test_a_dockerfile_that_runs_the_package_makes_it_an_application(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": LIBRARY_PYPROJECT,
        "Dockerfile": 'FROM python:3.12-slim\nCMD ["python", "-m", "acme_sdk"]\n',
        "acme_sdk/otel.py": CREATE,
    }
    assert codes(lint_files(tmp_path, files)) == [("OTL501", "acme_sdk/otel.py")]


@pytest.mark.parametrize(
    ("kind", "expected"), [("application", [("OTL501", "acme_sdk/otel.py")]), ("library", [])]
)
def test_the_kind_setting_overrides_the_decision(
    tmp_path: Path, kind: str, expected: list[tuple[str, str]]
) -> None:
    # A library by its files, an application by its setting; and the other way round.
    dockerfile = 'FROM python:3.12-slim\nCMD ["python", "-m", "acme_sdk"]\n'
    files = {
        "pyproject.toml": f'{LIBRARY_PYPROJECT}[tool.otel-lint]\nkind = "{kind}"\n',
        "acme_sdk/otel.py": CREATE,
        **({"Dockerfile": dockerfile} if kind == "library" else {}),
    }
    assert codes(lint_files(tmp_path, files)) == expected


def test_an_unknown_kind_is_a_configuration_error(tmp_path: Path) -> None:
    from otel_lint.config.settings import ConfigError

    files = {"pyproject.toml": '[tool.otel-lint]\nkind = "service"\n', "app.py": CREATE}
    with pytest.raises(ConfigError, match="kind"):
        lint_files(tmp_path, files)
