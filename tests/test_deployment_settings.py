"""Telemetry settings in deployment files, linted where they are written: every output format
carries the file and line, ``# noqa`` and ``per-file-ignores`` work, fixes rewrite the key, and
nothing in a file can make the linter construct objects or block."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from otel_lint.cli import main
from otel_lint.project.deployment import compose_services, read_settings

COMPOSE = """\
services:
  api:
    build: ./api
    environment:
      OTEL_RESOURCE_ATTRIBUTES: deployment.environment=prod,app.running-in=docker
      OTEL_TRACES_EXPORTER: otlp_http
"""


def _project(root: Path) -> Path:
    root.mkdir(exist_ok=True)
    (root / "docker-compose.yml").write_text(COMPOSE)
    (root / "Dockerfile").write_text(
        "FROM python:3.12\n# noqa: OTL310\nENV OTEL_RESOURCE_ATTRIBUTES=deployment.environment=x\n"
    )
    (root / ".env").write_text("OTEL_RESOURCE_ATTRIBUTES=service.nmae=shop  # noqa: OTL312\n")
    return root


def _run(capsys: pytest.CaptureFixture[str], *arguments: str) -> tuple[int, str]:
    code = main(["check", "--no-cache", *arguments])
    return code, capsys.readouterr().out


def test_findings_are_at_the_settings_file_and_line_in_every_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path / "shop")
    code, out = _run(capsys, "--output-format", "json", str(root))
    assert code == 1
    found = {(Path(f["path"]).name, f["line"], f["column"], f["code"]) for f in json.loads(out)}
    # The Dockerfile's and the .env's findings are suppressed by their noqa comments.
    assert found == {
        ("docker-compose.yml", 5, 33, "OTL310"),
        ("docker-compose.yml", 5, 61, "OTL311"),
        ("docker-compose.yml", 6, 29, "OTL507"),
    }
    _, sarif = _run(capsys, "--output-format", "sarif", str(root))
    results = json.loads(sarif)["runs"][0]["results"]
    places = {
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].rsplit("/", 1)[-1],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["ruleId"],
        )
        for r in results
    }
    assert ("docker-compose.yml", 6, "OTL507") in places and len(places) == 3
    _, github = _run(capsys, "--output-format", "github", str(root))
    assert "docker-compose.yml,line=5,col=33" in github and "title=OTL310" in github
    _, text = _run(capsys, str(root))
    assert "docker-compose.yml:6:29: OTL507" in text
    assert "      OTEL_TRACES_EXPORTER: otlp_http" in text  # the code frame of a YAML file


def test_per_file_ignores_apply_to_deployment_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path / "shop")
    (root / "pyproject.toml").write_text(
        '[tool.otel-lint.per-file-ignores]\n"docker-compose.yml" = ["OTL31"]\n'
    )
    _, out = _run(capsys, "--output-format", "json", str(root))
    assert {f["code"] for f in json.loads(out)} == {"OTL507"}


def test_fix_rewrites_a_deprecated_key_in_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path / "shop")
    _run(capsys, "--fix", str(root))
    assert "deployment.environment.name=prod,app.running-in=docker" in (
        (root / "docker-compose.yml").read_text()
    )
    # A suppressed finding is not fixed.
    assert "=deployment.environment=x" in (root / "Dockerfile").read_text()


def test_unused_noqa_in_a_deployment_file_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "shop"
    root.mkdir()
    (root / ".env").write_text("OTEL_SERVICE_NAME=shop  # noqa: OTL310\n")
    _, out = _run(capsys, "--output-format", "json", "--extend-select", "OTL001", str(root))
    assert [f["code"] for f in json.loads(out)] == []
    _, out = _run(capsys, "--output-format", "json", "--report-unused-noqa", str(root))
    assert [(f["code"], f["line"]) for f in json.loads(out)] == [("OTL001", 1)]


def test_yaml_tags_construct_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A tag that a full loader would turn into a call is only a node here."""
    marker = tmp_path / "ran"
    text = (
        "services:\n  api:\n    build: !!python/object/apply:os.system "
        f'["touch {marker}"]\n    environment:\n'
        "      OTEL_RESOURCE_ATTRIBUTES: deployment.environment=prod\n"
    )
    assert compose_services(text)[0].folders == ()
    assert [s.value for s in read_settings("compose", text)] == ["deployment.environment=prod"]
    (tmp_path / "docker-compose.yml").write_text(text)
    _, out = _run(capsys, "--output-format", "json", str(tmp_path))
    assert [f["code"] for f in json.loads(out)] == ["OTL310"]
    assert not marker.exists()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX thing")
def test_a_pipe_named_like_a_deployment_file_is_not_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.mkfifo(tmp_path / ".env")
    os.mkfifo(tmp_path / "docker-compose.yml")
    (tmp_path / "app.py").write_text("x = 1\n")
    code, out = _run(capsys, "--output-format", "json", str(tmp_path))
    assert code == 0 and json.loads(out) == []


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        # A compose list item, a map with a merge key, a Kubernetes valueFrom (skipped).
        (
            "compose",
            "x-otel: &otel\n  OTEL_SERVICE_NAME: base\nservices:\n  a:\n    environment:\n"
            "      <<: *otel\n      OTEL_TRACES_SAMPLER: always_on\n",
            [("OTEL_TRACES_SAMPLER", "always_on", 7), ("OTEL_SERVICE_NAME", "base", 2)],
        ),
        (
            "kubernetes",
            "kind: Pod\nspec:\n  containers:\n    - name: a\n      env:\n"
            "        - name: A\n          valueFrom: {fieldRef: {fieldPath: x}}\n"
            "        - name: OTEL_SERVICE_NAME\n          value: a\n",
            [("OTEL_SERVICE_NAME", "a", 9)],
        ),
        (
            "dockerfile",
            'FROM x\nENV A=1 OTEL_SERVICE_NAME="shop api"\nenv LEGACY some value\n',
            [("A", "1", 2), ("OTEL_SERVICE_NAME", "shop api", 2), ("LEGACY", "some value", 3)],
        ),
        (
            "env",
            "# comment\nexport A='x # y'\nB=2 # trailing\n",
            [("A", "x # y", 2), ("B", "2", 3)],
        ),
        ("procfile", "web: A=1 B='2 3' gunicorn app\n", [("A", "1", 1), ("B", "2 3", 1)]),
        ("compose", "services: [not, a, map\n", []),
    ],
)
def test_settings_are_read_with_their_lines(
    kind: str, text: str, expected: list[tuple[str, str, int]]
) -> None:
    assert [(s.name, s.value, s.line) for s in read_settings(kind, text)] == expected


def test_yaml_files_that_are_not_manifests_are_not_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A walked YAML file is judged only if it is a manifest: a cassette or a template that no
    YAML reader accepts is neither Python nor an OTL000."""
    (tmp_path / "cassette.yaml").write_text("interactions:\n- request: {body: '{{ not: yaml\n")
    (tmp_path / "logging.yml").write_text("version: 1\nhandlers: {console: {class: x}}\n")
    code, out = _run(capsys, "--output-format", "json", str(tmp_path))
    assert (code, json.loads(out)) == (0, [])


def test_a_rename_beside_its_replacement_is_reported_and_never_fixed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Both keys on purpose, for backends that still read the old one: renaming it would set
    # deployment.environment.name twice (found on a published compose file).
    root = tmp_path / "shop"
    root.mkdir()
    settings = (
        "OTEL_RESOURCE_ATTRIBUTES=deployment.environment.name=prod,deployment.environment=prod\n"
    )
    (root / ".env").write_text(settings)
    code, out = _run(capsys, "--fix", "--output-format", "concise", str(root))
    assert code == 1
    assert "OTL310" in out and "is set as well" in out
    assert (root / ".env").read_text() == settings


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        # A plain key with an interpolated value is judged; a key filled in where it runs is not.
        ("OTEL_RESOURCE_ATTRIBUTES=deployment.environment=${APP_ENV:-dev}\n", ["OTL310"]),
        ("OTEL_RESOURCE_ATTRIBUTES=${EXTRA_ATTRIBUTES},deployment.environment=prod\n", ["OTL310"]),
        # OTEL_SERVICE_NAME filled in where it runs may be the same name: not a conflict.
        ("OTEL_SERVICE_NAME=$APP_NAME\nOTEL_RESOURCE_ATTRIBUTES=service.name=shop\n", []),
        ("OTEL_SERVICE_NAME=shop\nOTEL_RESOURCE_ATTRIBUTES=service.name=$APP_NAME\n", []),
    ],
)
def test_interpolated_values_hide_only_what_they_fill_in(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], settings: str, expected: list[str]
) -> None:
    root = tmp_path / "shop"
    root.mkdir()
    (root / ".env").write_text(settings)
    _, out = _run(capsys, "--output-format", "json", str(root))
    assert sorted(f["code"] for f in json.loads(out)) == expected


JAVA_AND_PYTHON = """\
services:
  connector:
    environment:
      OTEL_TRACES_EXPORTER: jaeger
    entrypoint: java -javaagent:/resources/opentelemetry-javaagent.jar -jar /app/connector.jar
  api:
    build: ./api
    environment:
      OTEL_TRACES_EXPORTER: jaeger
      OTEL_RESOURCE_ATTRIBUTES: deployment.environment=prod
    command: opentelemetry-instrument gunicorn app:app
"""


def test_exporter_names_are_judged_only_where_no_other_language_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The Java agent 1.x registers `jaeger`: the Python SDK's entry points say nothing about it
    # (found on a published compose file). Resource keys are every language's and still judged.
    root = tmp_path / "shop"
    root.mkdir()
    (root / "docker-compose.yml").write_text(JAVA_AND_PYTHON)
    _, out = _run(capsys, "--output-format", "json", str(root))
    found = sorted((f["code"], f["line"]) for f in json.loads(out))
    assert found == [("OTL310", 10), ("OTL507", 9)]
