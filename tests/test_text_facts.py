"""``text_facts`` skips its regexes in files that cannot match them; it must never skip a match."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from otel_lint.project import facts

REPOSITORY = Path(__file__).parents[1]


def _every_pattern(text: str) -> set[str]:
    """The facts as every regex finds them, searched in full (the behaviour before the gates).

    The signs of a project's kind are read from the text as it is (``text_facts`` does too)."""
    found: set[str] = set()
    if facts._LIBRARY_SIGN.search(text):
        found.add(facts.LIBRARY_SIGN)
    if facts._PACKAGED.search(text) or facts._SETUP_CALL.search(text):
        found.add(facts.PACKAGED)
    if facts._APPLICATION_SIGN.search(text) or facts._DOCKERFILE_RUNS.search(text):
        found.add(facts.APPLICATION_SIGN)
    text = facts.without_comment_lines(text)
    found |= {
        f"instrumented:{facts.library_of(m.group(1))}" for m in facts._REQUIREMENT.finditer(text)
    }
    if facts._ZERO_CODE.search(text):
        found.add(facts.ALL_INSTRUMENTED)
    if facts._LOG_CORRELATION_ENV.search(text):
        found |= {facts.LOG_BRIDGE, facts.LOG_IDS_ON_RECORD, facts.LOG_FORMAT_INJECTED}
        found.add(facts.STDLIB_LOG_BRIDGE)
    if facts._LOG_AUTO_ENV.search(text):
        found |= {facts.LOG_BRIDGE, facts.STDLIB_LOG_BRIDGE}
    if facts._LOG_HANDLER_OFF_ENV.search(text):
        found.add(facts.LOG_HANDLER_OFF)
    found |= facts.logging_pin_facts(text)
    if facts._BOOTSTRAP_INSTALL.search(text):
        found.add("instrumented:logging")
    if facts._SERVICE_NAME.search(text):
        found.add(facts.SERVICE_NAME_ENV)
    if facts._OPENTELEMETRY.search(text):
        found.add(facts.USES_OPENTELEMETRY)
    return found


@pytest.mark.parametrize(
    "text",
    [
        "OpenTelemetry-Instrumentation-Flask==0.66b1\n",
        "OpenTelemetry_Instrumentation_Logging==0.50b0\n",
        "RUN opentelemetry-bootstrap -a install\n",
        "OTEL_PYTHON_LOG_AUTO_INSTRUMENTATION=false\n",
        "OPENTELEMETRY-INSTRUMENTATION-REQUESTS\n",
        "CMD opentelemetry-instrument python app.py\n",
        "Otel_Python_Log_Correlation: 'True'\n",
        '- name: OTEL_PYTHON_LOG_CORRELATION\n  value: "true"\n',
        "otel_python_logging_auto_instrumentation_enabled=1\n",
        "OTEL_SERVICE_NAME=checkout\n",
        "OTEL_RESOURCE_ATTRIBUTES=service.name=checkout\n",
        "from opentelemetry import trace\n",
        "class FooInstrumentor(BaseInstrumentor):\n    pass\n",
        '[project]\nname = "acme"\n[build-system]\nrequires = ["hatchling"]\n',
        "[metadata]\nname = acme\n",
        "import setuptools\nsetup(name='acme')\n",
        "web: gunicorn app:app\nworker: celery -A app worker\n",
        "services:\n  api:\n    build: .\n",
        "apiVersion: apps/v1\nkind: Deployment\n",
        "[Service]\nExecStart=/usr/bin/python app.py\n",
        "entrypoint: gunicorn -b :$PORT main:app\n",
        "execute_from_command_line(sys.argv)\n",
        'FROM python:3.12-slim\nCOPY . /app\nENTRYPOINT ["python", "app.py"]\n',
        "import os\nprint('nothing here')\n",
        "query = 'SELECT name FROM users'\n# nothing here either\n",
    ],
)
def test_text_facts_find_what_the_full_search_finds(text: str) -> None:
    assert facts.text_facts(text) == _every_pattern(text)
    assert _every_pattern(text) or "nothing" in text  # each case but the last shows a fact


@pytest.mark.parametrize(
    "text",
    [
        "flask==3.1.0\n# opentelemetry-instrumentation-flask==0.66b1\n",
        "flask==3.1.0\n    #opentelemetry-instrumentation-flask\n",
        "# CMD opentelemetry-instrument python app.py\nCMD python app.py\n",
        "# OTEL_PYTHON_LOG_CORRELATION=true\nOTEL_PYTHON_LOG_CORRELATION=false\n",
        "  # - name: OTEL_SERVICE_NAME\n  #   value: checkout\n",
        "# from opentelemetry import trace\nimport logging\n",
        "# opentelemetry-instrumentation-flask\r\nflask\r\n",
        "flask\r# opentelemetry-instrumentation-flask\r",
    ],
)
def test_a_commented_out_line_shows_no_fact(text: str) -> None:
    assert facts.text_facts(text) == set()


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        # The comment is on another line, or after the value; a "#!" line is an interpreter line.
        (
            "# tracing\nopentelemetry-instrumentation-flask==0.66b1\n",
            "instrumented:flask",
        ),
        ("opentelemetry-instrumentation-flask  # web spans\n", "instrumented:flask"),
        ("#!/usr/bin/env -S opentelemetry-instrument python\n", facts.ALL_INSTRUMENTED),
        ("OTEL_SERVICE_NAME=checkout # the shop\n", facts.SERVICE_NAME_ENV),
        ("value = '#'\nfrom opentelemetry import trace\n", facts.USES_OPENTELEMETRY),
        # Old Mac line ends: the comment ends at the CR, not at the end of the file.
        ("# deps\rOTEL_SERVICE_NAME=checkout\r", facts.SERVICE_NAME_ENV),
    ],
)
def test_a_line_beside_a_comment_still_shows_its_fact(text: str, fact: str) -> None:
    assert fact in facts.text_facts(text)


def test_text_facts_over_the_repository_files() -> None:
    paths = [p for p in REPOSITORY.rglob("*") if p.suffix in (".py", ".yaml", ".toml", ".txt")]
    differ = [
        str(path)
        for path in paths
        if ".git" not in path.parts
        and facts.text_facts(text := path.read_text(encoding="utf-8", errors="replace"))
        != _every_pattern(text)
    ]
    assert differ == []


def test_only_letters_that_lower_to_the_gates_match_them_case_insensitively() -> None:
    """Why lower() is a sound gate: no other character matches these under re.IGNORECASE."""
    gates = "opentelemetry" + "otel_"
    everything = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    matching = set(re.findall(f"[{re.escape(gates)}]", everything, re.IGNORECASE))
    assert {c for c in matching if c.lower() not in gates} == set()
    assert matching == set(gates) | set(gates.upper())


def _deployment_files_by_pathlib(root: Path, limit: int = 2000) -> list[Path]:
    """The walk as it was written with pathlib, kept as the reference for the scandir one."""
    found: list[Path] = []
    skip = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache"}
    stack = [root]
    while stack and len(found) < limit:
        folder = stack.pop()
        try:
            entries = sorted(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink():
                continue
            if entry.is_dir():
                if entry.name not in skip and not entry.name.startswith("."):
                    stack.append(entry)
            elif facts.DEPLOYMENT_FILE.search(entry.relative_to(root).as_posix()):
                found.append(entry)
    return found


def test_deployment_files_are_those_the_pathlib_walk_finds(tmp_path: Path) -> None:
    for name in (
        "requirements.txt",
        "requirements/prod.in",
        "deploy/Dockerfile.web",
        "deploy/k8s/app.k8s.yaml",
        "deploy/k8s/notes.md",
        "scripts/run.sh",
        "Procfile",
        ".env",
        ".hidden/Dockerfile",
        "venv/requirements.txt",
        "node_modules/x/compose.yaml",
        "src/app/settings.py",
        "src/app/tox.ini",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x\n")
    (tmp_path / "linked").symlink_to(tmp_path / "deploy", target_is_directory=True)
    (tmp_path / "Makefile").symlink_to(tmp_path / "Procfile")
    for root in (tmp_path, tmp_path / "deploy", REPOSITORY):
        assert facts.deployment_files(root) == _deployment_files_by_pathlib(root)
    assert facts.deployment_files(tmp_path, limit=3) == _deployment_files_by_pathlib(tmp_path, 3)
    assert len(facts.deployment_files(tmp_path)) == 7  # not requirements/prod.in, nor hidden ones
