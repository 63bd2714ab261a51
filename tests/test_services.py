"""A service is the unit of facts: in a repository holding several, each file is judged by the facts
of its own service (and of the repository's root), however the repository is linted."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from otel_lint.cli import main
from otel_lint.config.settings import ConfigError
from otel_lint.runner import RunOptions, run_lint

COMPOSE = """\
services:
  api:
    build: ./services/api
    environment:
      OTEL_PYTHON_LOG_CORRELATION: "true"
      OTEL_SERVICE_NAME: api
  worker:
    build:
      context: ./services/worker
    environment:
      - OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4317
  collector:
    image: otel/opentelemetry-collector:0.115.0
"""
#: Configures logging without a bridge, builds a resource without a service name, and wraps a
#: requests call and a Flask view in manual spans.
APP = """\
import logging

import requests
from flask import Flask
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource

logging.basicConfig(level=logging.INFO)
resource = Resource.create({"service.version": "1.0"})
tracer = trace.get_tracer(__name__)
app = Flask(__name__)


def fetch(url):
    with tracer.start_as_current_span("fetch"):
        return requests.get(url, timeout=5)


@app.route("/orders")
def orders():
    with tracer.start_as_current_span("orders"):
        return "[]"
"""


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _demo(root: Path) -> Path:
    """Compose at the root, two services in folders, their settings tied by build context, and a
    root ``.env`` loaded by all (whose endpoint says nothing the rules read)."""
    _write(
        root,
        {
            "docker-compose.yml": COMPOSE,
            ".env": "OTEL_EXPORTER_OTLP_PROTOCOL=grpc\n",
            "services/api/requirements.txt": "flask\nopentelemetry-instrumentation-flask\n",
            "services/api/Dockerfile": 'FROM python:3.12\nCMD ["python", "app.py"]\n',
            "services/api/app.py": APP,
            "services/worker/requirements.txt": (
                "requests\nopentelemetry-instrumentation-requests\n"
            ),
            "services/worker/Dockerfile": 'FROM python:3.12\nCMD ["python", "app.py"]\n',
            "services/worker/app.py": APP,
        },
    )
    return root


def _findings(capsys: pytest.CaptureFixture[str], *arguments: str) -> set[tuple[str, int, str]]:
    main(["check", "--no-cache", "--output-format", "json", "--exit-zero", *arguments])
    found = json.loads(capsys.readouterr().out)
    return {
        (Path(os.path.abspath(f["path"])).as_posix(), f["line"], f["code"])
        for f in found
        if f["code"] in {"OTL101", "OTL401", "OTL402", "OTL501"}
    }


def _relative(found: set[tuple[str, int, str]], root: Path) -> set[tuple[str, int, str]]:
    return {(Path(path).relative_to(root).as_posix(), line, code) for path, line, code in found}


#: What each service's own facts say: api bridges its logs, names itself and instruments Flask
#: (its view's span duplicates the SERVER span); worker does none of that but instruments
#: requests (its client span duplicates the instrumentation's).
EXPECTED = {
    ("services/api/app.py", 21, "OTL402"),
    ("services/worker/app.py", 8, "OTL101"),
    ("services/worker/app.py", 9, "OTL501"),
    ("services/worker/app.py", 15, "OTL401"),
}


def test_each_service_is_judged_by_its_own_facts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _demo(tmp_path / "demo")
    assert _relative(_findings(capsys, str(root)), root) == EXPECTED


def test_the_same_findings_from_the_root_a_service_folder_and_inside_a_bigger_repository(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alone = _demo(tmp_path / "alone")
    (alone / ".git").mkdir()
    # The bigger repository bridges its logs and names its service at its root: none of that is
    # the demo's, which its compose file bounds.
    outer = tmp_path / "outer"
    _write(
        outer,
        {
            ".env": "OTEL_PYTHON_LOG_CORRELATION=true\nOTEL_SERVICE_NAME=outer\n",
            "requirements.txt": "opentelemetry-instrumentation-requests\n",
            "pyproject.toml": "[project]\nname = 'outer'\n",
        },
    )
    (outer / ".git").mkdir()
    nested = _demo(outer / "examples" / "demo")
    for root in (alone, nested):
        whole = _relative(_findings(capsys, str(root)), root)
        worker = _relative(_findings(capsys, str(root / "services" / "worker")), root)
        api_file = _relative(_findings(capsys, str(root / "services" / "api" / "app.py")), root)
        assert whole == EXPECTED
        assert worker == {f for f in EXPECTED if f[0].startswith("services/worker/")}
        assert api_file == {f for f in EXPECTED if f[0].startswith("services/api/")}
    from_outer = _relative(_findings(capsys, str(outer)), outer)
    assert {(f"examples/demo/{path}", line, code) for path, line, code in EXPECTED} <= from_outer


def test_a_root_env_file_counts_for_every_service(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _demo(tmp_path / "demo")
    (root / ".env").write_text("OTEL_PYTHON_LOG_CORRELATION=true\n")
    found = _relative(_findings(capsys, str(root)), root)
    assert not {f for f in found if f[2] == "OTL101"}
    assert ("services/worker/app.py", 9, "OTL501") in found


def test_the_services_table_overrides_the_folders_found(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A library folder of the worker's, with its own requirements file, is the worker's."""
    root = _demo(tmp_path / "demo")
    _write(
        root,
        {
            "libs/worker-core/requirements.txt": "opentelemetry-instrumentation-flask\n",
            "libs/worker-core/core.py": "VALUE = 1\n",
        },
    )
    assert ("services/worker/app.py", 21, "OTL402") not in _relative(
        _findings(capsys, str(root)), root
    )
    (root / "pyproject.toml").write_text(
        '[tool.otel-lint.services]\nworker = ["services/worker", "libs/worker-core"]\n'
    )
    assert ("services/worker/app.py", 21, "OTL402") in _relative(_findings(capsys, str(root)), root)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('worker = ["../elsewhere"]', "must be a path inside the project"),
        ('"bad name" = ["services/x"]', "a service name is"),
        ('a = ["libs/shared"]\nb = ["libs/shared"]', "is also in `a`"),
        ("worker = []", "name at least one folder"),
        ('worker = "services/worker"', "valid list"),
    ],
)
def test_a_bad_services_table_names_the_key(tmp_path: Path, table: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.otel-lint.services]\n{table}\n")
    (tmp_path / "app.py").write_text("x = 1\n")
    with pytest.raises(ConfigError) as raised:
        run_lint(RunOptions(paths=(tmp_path,), use_cache=False))
    assert "`services" in str(raised.value) and message in str(raised.value)


def test_show_settings_prints_each_services_facts_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _demo(tmp_path / "demo")
    assert main(["check", "--show-settings", str(root)]) == 0
    shown = capsys.readouterr().out
    api = shown.split("  service services/api\n", 1)[1].split("  service ", 1)[0]
    worker = shown.split("  service services/worker\n", 1)[1].split("  service ", 1)[0]
    assert "    log-bridge: docker-compose.yml:5" in api
    assert "    service-name-env: docker-compose.yml:6" in api
    assert "    instrumented:flask: services/api/requirements.txt:2" in api
    assert "log-bridge" not in worker and "service-name-env" not in worker
    assert "    instrumented:requests: services/worker/requirements.txt:2" in worker


def test_each_service_has_its_own_kind_and_show_settings_says_which(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An application and the SDK it ships for its customers, in one repository: the SDK's
    # debug-only basicConfig is the importing application's business (OTL101 judges applications).
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    setup = "import logging\n\nfrom opentelemetry import trace\n\nlogging.basicConfig()\n"
    _write(
        root,
        {
            "app/requirements.txt": "opentelemetry-sdk\n",
            "app/Dockerfile": 'FROM python:3.12-slim\nCMD ["python", "-m", "main"]\n',
            "app/main.py": setup,
            "sdk/pyproject.toml": '[project]\nname = "acme-sdk"\n[build-system]\nrequires = []\n',
            "sdk/acme_sdk/debug.py": setup,
            # A service folder of the same repository that is an instrumentation: a library.
            "instrumentation/requirements.txt": "opentelemetry-instrumentation\n",
            "instrumentation/acme_instrumentation.py": setup
            + "\n\nclass AcmeInstrumentor(BaseInstrumentor):\n    pass\n",
        },
    )
    outcome = run_lint(RunOptions(paths=(root,), use_cache=False, select=("OTL101",)))
    found = [(f.code, Path(f.path).relative_to(root).as_posix()) for f in outcome.findings]
    assert found == [("OTL101", "app/main.py")]

    assert main(["check", "--show-settings", str(root)]) == 0
    shown = capsys.readouterr().out
    assert "  kind: decided per service" in shown
    # The SDK has a pyproject.toml of its own: its own project, shown once, as it is judged.
    repository, sdk = shown.split(f"project {root / 'sdk'}\n")
    app = repository.split("  service app\n", 1)[1]
    assert "    kind: application: deployed or run by app/Dockerfile:2" in app
    instrumentation = repository.split("  service instrumentation\n", 1)[1].split("  service ")[0]
    assert "    kind: library: an OpenTelemetry instrumentation" in instrumentation
    assert "service sdk" not in repository and "packaged" not in repository
    assert "  kind: library: builds a distribution (pyproject.toml)" in sdk
