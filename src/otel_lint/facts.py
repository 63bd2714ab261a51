"""Project facts that cross-file rules depend on.

A first pass over every file (in the same parse as the rules) and over the project's deployment
files (requirements, pyproject, Dockerfiles, Procfiles, scripts, env files) collects facts such as
``instrumented:requests`` or ``log-bridge``. A finding may require facts (``fact``) or their
absence (``!fact``); the engine keeps it only if the whole project's facts agree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from ast_grep_py import SgNode

#: Any instrumentation: zero-code instrumentation with ``opentelemetry-instrument`` activates
#: every installed instrumentation.
ALL_INSTRUMENTED = "instrumented:*"
LOG_BRIDGE = "log-bridge"
#: The bridge also rewrites the log format so ids appear in the rendered line.
LOG_FORMAT_INJECTED = "log-format-injected"
SERVICE_NAME_ENV = "service-name-env"

#: Names of files, other than Python sources, that describe how the project is installed and run.
DEPLOYMENT_FILE = re.compile(
    r"(^|/)(requirements[^/]*\.(txt|in)|pyproject\.toml|setup\.cfg|Pipfile|Dockerfile[^/]*|"
    r"[^/]*\.dockerfile|Procfile|docker-compose[^/]*\.ya?ml|compose[^/]*\.ya?ml|[^/]*\.sh|"
    r"Makefile|\.env[^/]*|[^/]*\.env|app\.ya?ml|[^/]*\.service|tox\.ini|[^/]*\.(k8s|deployment)\.ya?ml)$"
)

_REQUIREMENT = re.compile(r"opentelemetry-instrumentation-([a-z0-9][a-z0-9_-]*)", re.IGNORECASE)
_ZERO_CODE = re.compile(r"\bopentelemetry-(instrument|bootstrap)\b")
_LOG_CORRELATION_ENV = re.compile(
    r"OTEL_PYTHON_LOG_CORRELATION\W{1,4}(true|1)\b", re.IGNORECASE
)
_LOG_AUTO_ENV = re.compile(
    r"OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED\W{1,4}(true|1)\b", re.IGNORECASE
)
_SERVICE_NAME = re.compile(
    r"OTEL_SERVICE_NAME\W{1,4}\S|OTEL_RESOURCE_ATTRIBUTES\W{1,4}[^\n]*service\.name="
)


def library_of(instrumentation: str) -> str:
    """``opentelemetry-instrumentation-aiohttp-client`` or the module name -> ``aiohttp_client``."""
    return instrumentation.lower().replace("-", "_")


def text_facts(text: str) -> set[str]:
    """Facts any file's text shows: deployment files and Python sources alike."""
    facts: set[str] = set()
    for match in _REQUIREMENT.finditer(text):
        facts.add(f"instrumented:{library_of(match.group(1))}")
    if _ZERO_CODE.search(text):
        facts.add(ALL_INSTRUMENTED)
    if _LOG_CORRELATION_ENV.search(text):
        facts.update((LOG_BRIDGE, LOG_FORMAT_INJECTED))
    if _LOG_AUTO_ENV.search(text):
        facts.add(LOG_BRIDGE)
    if _SERVICE_NAME.search(text):
        facts.add(SERVICE_NAME_ENV)
    return facts


# Python sources: a quick substring test first, so most files cost nothing here.
_PYTHON_TRIGGERS = ("opentelemetry.instrumentation", "LoggingHandler", "OTEL_", "get_current_span", "Instrumentor")
_INSTRUMENTATION_IMPORT = {
    "any": [
        {"pattern": "from $M import $$$"},
        {"pattern": "import $M"},
    ]
}
_INSTRUMENT_CALL = {
    "any": [
        {"pattern": "$I.instrument($$$)"},
        {"pattern": "$I.instrument_app($$$)"},
        {"pattern": "$I.instrument_connection($$$)"},
        {"pattern": "$I.instrument_engine($$$)"},
    ]
}
_INSTRUMENTOR_MODULE = re.compile(r"^opentelemetry\.instrumentation\.([a-z0-9_]+)")


def _logging_instrumentor_facts(call: SgNode) -> set[str]:
    facts = {LOG_BRIDGE}
    arguments = call.text()
    if re.search(r"set_logging_format\s*=\s*True", arguments):
        facts.add(LOG_FORMAT_INJECTED)
    return facts


def python_facts(text: str, root: SgNode) -> set[str]:
    """Facts a Python file shows: instrumentations it activates, a log bridge it installs."""
    facts = {fact for fact in text_facts(text) if not fact.startswith("instrumented:")}
    if not any(trigger in text for trigger in _PYTHON_TRIGGERS):
        return facts
    libraries: set[str] = set()
    for node in root.find_all({"rule": _INSTRUMENTATION_IMPORT}):
        module = node.get_match("M")
        found = _INSTRUMENTOR_MODULE.match(module.text()) if module else None
        if found:
            libraries.add(found.group(1))
    calls = list(root.find_all({"rule": _INSTRUMENT_CALL}))
    if libraries and calls:
        facts.update(f"instrumented:{library}" for library in libraries if library != "logging")
    for call in calls:
        receiver = call.get_match("I")
        if receiver is not None and "LoggingInstrumentor" in receiver.text():
            facts.update(_logging_instrumentor_facts(call))
    if "LoggingHandler" in text and root.find(pattern="LoggingHandler($$$)") is not None:
        facts.add(LOG_BRIDGE)
    if "get_current_span" in text and _adds_ids_to_records(root):
        facts.add(LOG_BRIDGE)
    return facts


def _adds_ids_to_records(root: SgNode) -> bool:
    """A logging filter or structlog processor that copies the current span's ids into records."""
    for function in root.find_all(kind="function_definition"):
        body = function.text()
        if "get_current_span" not in body:
            continue
        if re.search(r"\brecord\.\w+\s*=|setattr\(\s*record\b|event_dict\[|\.update\(", body):
            return True
    return False


def holds(requirement: str, facts: Iterable[str]) -> bool:
    """Whether the project's facts meet one requirement (``fact`` or ``!fact``)."""
    present = set(facts)
    negate = requirement.startswith("!")
    fact = requirement[1:] if negate else requirement
    found = fact in present or (fact.startswith("instrumented:") and ALL_INSTRUMENTED in present)
    return found != negate


def deployment_files(root: Path, limit: int = 2000) -> list[Path]:
    """The deployment files under ``root`` (skipping hidden and virtual-environment folders)."""
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
            elif DEPLOYMENT_FILE.search(entry.relative_to(root).as_posix()):
                found.append(entry)
    return found
