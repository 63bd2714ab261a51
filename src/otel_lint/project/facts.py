"""Project facts that cross-file rules depend on.

A first pass over every file (in the same parse as the rules) and over the project's deployment
files (requirements, pyproject, Dockerfiles, Procfiles, scripts, env files) collects facts such as
``instrumented:requests`` or ``log-bridge``. A finding may require facts (``fact``) or their
absence (``!fact``); the engine keeps it only if the whole project's facts agree.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from ast_grep_py import Config, Rule, SgNode, SgRoot

from otel_lint.project.discovery import VIRTUAL_ENVIRONMENT_MARK

#: Any instrumentation: zero-code instrumentation with ``opentelemetry-instrument`` activates
#: every installed instrumentation.
ALL_INSTRUMENTED = "instrumented:*"
#: Something correlates log records with traces: a handler that exports records through the logs
#: provider (they carry the span context), or code that copies the current ids into records.
LOG_BRIDGE = "log-bridge"
#: The ids are attributes of stdlib ``LogRecord`` objects (``record.otelTraceID`` or a filter's own
#: ``record.trace_id``), so a format string can render them.
LOG_IDS_ON_RECORD = "log-ids-on-record"
#: The bridge also rewrites the log format so ids appear in the rendered line.
LOG_FORMAT_INJECTED = "log-format-injected"
SERVICE_NAME_ENV = "service-name-env"
#: The project uses OpenTelemetry: a file imports it, or a deployment file installs or runs it.
USES_OPENTELEMETRY = "uses-opentelemetry"
_OPENTELEMETRY = re.compile(
    r"^\s*(from|import)\s+opentelemetry\b|\bopentelemetry[-_]", re.MULTILINE
)
#: What the project is. Application rules (how logging, the resource and the processors are set up:
#: OTL101, OTL501, OTL503) judge applications only: a library's setup code is a fallback, an
#: option or a debug aid, and the application that imports it decides. ``library`` is derived
#: (``_derived``) from the signs below, or forced by the ``kind`` setting (``kind:library`` /
#: ``kind:application``).
LIBRARY = "library"
KIND_LIBRARY = "kind:library"
KIND_APPLICATION = "kind:application"
#: Something only a library is: an OpenTelemetry instrumentation (a ``BaseInstrumentor`` subclass,
#: an ``opentelemetry_instrumentor`` entry point).
LIBRARY_SIGN = "library-sign"
#: The project builds a distribution for others to install: ``[build-system]`` in pyproject.toml,
#: ``[metadata]`` in setup.cfg, a ``setup()`` call in setup.py.
PACKAGED = "packaged"
#: The project is deployed and run: a Dockerfile that runs something, a Procfile, a compose file, a
#: Kubernetes workload, a systemd unit, an App Engine ``app.yaml``, a Django ``manage.py``.
APPLICATION_SIGN = "application-sign"
_LIBRARY_SIGN = re.compile(
    r"\bopentelemetry_instrumentor\b|^\s*class\s+\w+\((?:[\w.]*\.)?BaseInstrumentor\b", re.MULTILINE
)
_PACKAGED = re.compile(r"^\[build-system\]|^\[metadata\]\s*$", re.MULTILINE)
_SETUP_CALL = re.compile(r"^(?:setuptools\.)?setup\(", re.MULTILINE)
_DOCKERFILE_RUNS = re.compile(r"^FROM\s+\S+[\s\S]*^(?:CMD|ENTRYPOINT)\s", re.MULTILINE)
_APPLICATION_SIGN = re.compile(
    r"^(?:web|worker|release):\s|^services:\s*$|"
    r"^kind:\s*(?:Deployment|StatefulSet|DaemonSet|Job|CronJob|Pod)\b|^ExecStart=|^entrypoint:|"
    r"\bexecute_from_command_line\(",
    re.MULTILINE,
)
#: A word each alternative of ``_APPLICATION_SIGN`` holds.
_APPLICATION_WORDS = (
    "web:",
    "worker:",
    "release:",
    "services:",
    "kind:",
    "ExecStart=",
    "entrypoint:",
    "execute_from_command_line(",
)
#: The requirement line that installs the logging instrumentation (``instrumented:logging``).
_LOGGING_INSTRUMENTATION = "instrumented:logging"

#: Names of files, other than Python sources, that describe how the project is installed and run.
DEPLOYMENT_FILE = re.compile(
    r"(^|/)(requirements[^/]*\.(txt|in)|pyproject\.toml|setup\.cfg|Pipfile|Dockerfile[^/]*|"
    r"[^/]*\.dockerfile|Procfile|docker-compose[^/]*\.ya?ml|compose[^/]*\.ya?ml|[^/]*\.sh|"
    r"Makefile|\.env[^/]*|[^/]*\.env|app\.ya?ml|[^/]*\.service|tox\.ini|[^/]*\.(k8s|deployment)\.ya?ml)$"
)

_COMMENT_LINE = re.compile(r"(?:^|(?<=\r))[ \t]*#(?!!)[^\r\n]*", re.MULTILINE)
_REQUIREMENT = re.compile(r"opentelemetry-instrumentation-([a-z0-9][a-z0-9_-]*)", re.IGNORECASE)
_ZERO_CODE = re.compile(r"\bopentelemetry-(instrument|bootstrap)\b")
#: Between a variable's name and its value: ``=``, ``: "``, a space (Dockerfile ``ENV``), or a
#: Kubernetes ``- name: X`` / ``value: "..."`` pair on the next line.
_ASSIGNED = r"(?:\W{1,4}|[\"']?\s*\n\s*value:\s*[\"']?)"
_LOG_CORRELATION_ENV = re.compile(
    rf"OTEL_PYTHON_LOG_CORRELATION{_ASSIGNED}(true|1)\b", re.IGNORECASE
)
_LOG_AUTO_ENV = re.compile(
    rf"OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED{_ASSIGNED}(true|1)\b", re.IGNORECASE
)
_SERVICE_NAME = re.compile(
    rf"OTEL_SERVICE_NAME{_ASSIGNED}[^\s\"']|OTEL_RESOURCE_ATTRIBUTES{_ASSIGNED}[^\n]*service\.name="
)


def library_of(instrumentation: str) -> str:
    """``opentelemetry-instrumentation-aiohttp-client`` or the module name -> ``aiohttp_client``."""
    return instrumentation.lower().replace("-", "_")


def without_comment_lines(text: str) -> str:
    """``text`` with its whole-line ``#`` comments emptied (a ``#!`` line is kept); lines may end
    in LF, CRLF or CR.

    Every format read for facts (requirements, TOML, YAML, INI, Dockerfiles, shell, Makefiles, env
    files, Python) treats such a line as a comment, and a commented-out requirement or variable is
    how projects switch one off. Trailing comments are kept: in a Dockerfile or an env file ``#``
    after a value is not always one. INI's other comment, ``;``, is not read as one: the text
    does not say which format it is in.
    """
    return _COMMENT_LINE.sub("", text)


def text_facts(text: str) -> set[str]:
    """Facts any file's text shows: deployment files and Python sources alike."""
    facts = _kind_signs(text)
    # Each pattern needs "opentelemetry" or "otel_" in some case. Most files hold neither, and the
    # regexes (case-insensitive, or starting with \b) try every position of a file: two substring
    # tests first. Only ASCII letters match these case-insensitively, so lower() keeps every match.
    lowered = text.lower()
    if ("opentelemetry" in lowered or "otel_" in lowered) and "#" in text:
        text = without_comment_lines(text)
        lowered = text.lower()
    if "opentelemetry" in lowered:
        for match in _REQUIREMENT.finditer(text):
            facts.add(f"instrumented:{library_of(match.group(1))}")
        if _ZERO_CODE.search(text):
            facts.add(ALL_INSTRUMENTED)
        if "opentelemetry" in text and _OPENTELEMETRY.search(text):
            facts.add(USES_OPENTELEMETRY)
    if "otel_" in lowered:
        if _LOG_CORRELATION_ENV.search(text):
            facts.update((LOG_BRIDGE, LOG_IDS_ON_RECORD, LOG_FORMAT_INJECTED))
        if _LOG_AUTO_ENV.search(text):
            facts.add(LOG_BRIDGE)
        if _SERVICE_NAME.search(text):
            facts.add(SERVICE_NAME_ENV)
    return facts


def _kind_signs(text: str) -> set[str]:
    """Signs of what the project is (a library or an application) that a file's text shows."""
    signs: set[str] = set()
    if (
        "opentelemetry_instrumentor" in text or "BaseInstrumentor" in text
    ) and _LIBRARY_SIGN.search(text):
        signs.add(LIBRARY_SIGN)
    # Substring tests first, as in text_facts: a multi-line regex with alternatives tries every
    # position of every file, which cost a tenth of a cold run on sources that hold none of them.
    if (("[build-system]" in text or "[metadata]" in text) and _PACKAGED.search(text)) or (
        "setuptools" in text and _SETUP_CALL.search(text)
    ):
        signs.add(PACKAGED)
    if (any(word in text for word in _APPLICATION_WORDS) and _APPLICATION_SIGN.search(text)) or (
        "FROM" in text and ("CMD" in text or "ENTRYPOINT" in text) and _DOCKERFILE_RUNS.search(text)
    ):
        signs.add(APPLICATION_SIGN)
    return signs


# Python sources: a quick substring test first, so most files cost nothing here.
_PYTHON_TRIGGERS = (
    "opentelemetry.instrumentation",
    "LoggingHandler",
    "OTEL_",
    "get_current_span",
    "get_span_context",
    "Instrumentor",
)
_INSTRUMENTATION_IMPORT: Rule = {
    "any": [
        {"pattern": "from $M import $$$"},
        {"pattern": "import $M"},
    ]
}
_INSTRUMENT_CALL: Rule = {
    "any": [
        {"pattern": "$I.instrument($$$)"},
        {"pattern": "$I.instrument_app($$$)"},
        {"pattern": "$I.instrument_connection($$$)"},
        {"pattern": "$I.instrument_engine($$$)"},
    ]
}
_INSTRUMENTOR_MODULE = re.compile(r"^opentelemetry\.instrumentation\.([a-z0-9_]+)")


def _keyword_true(arguments: str, name: str) -> bool:
    return re.search(rf"\b{name}\s*=\s*True\b", arguments) is not None


def _logging_instrumentor_facts(call: SgNode) -> set[str]:
    """What ``LoggingInstrumentor().instrument(...)`` does, read from its keyword arguments.

    Checked against opentelemetry-instrumentation-logging 0.66b1: without arguments it adds a
    ``LoggingHandler`` to the root logger that exports records through the logs provider (each
    carries the current span context); ``otelTraceID`` and friends go onto stdlib records only with
    ``inject_trace_context=True`` or ``set_logging_format=True``, and only the latter changes the
    format. ``enable_log_auto_instrumentation=False`` leaves the handler out. Older releases
    always put the ``otel*`` fields on records, so with them every call is a bridge too.
    """
    arguments = call.text()
    facts: set[str] = set()
    sets_format = _keyword_true(arguments, "set_logging_format")
    injects = sets_format or _keyword_true(arguments, "inject_trace_context")
    without_handler = re.search(r"\benable_log_auto_instrumentation\s*=\s*False\b", arguments)
    if injects or not without_handler:
        facts.add(LOG_BRIDGE)
    if injects:
        facts.add(LOG_IDS_ON_RECORD)
    if sets_format:
        facts.add(LOG_FORMAT_INJECTED)
    return facts


#: An OpenTelemetry logging handler, constructed (``LoggingHandler(...)``, Logfire's
#: ``LogfireLoggingHandler(...)``) or named as a class in a ``dictConfig`` dictionary.
_HANDLER_CALL: Config = {
    "rule": {"kind": "call", "has": {"field": "function", "regex": r"(^|\.)\w*LoggingHandler$"}}
}
_HANDLER_CLASS_STRING = re.compile(r"[\"'](class|\(\))[\"']\s*:\s*[\"'][\w.]*LoggingHandler[\"']")


def python_facts(text: str, root: SgNode | None = None) -> set[str]:
    """Facts a Python file shows: instrumentations it activates, a log bridge it installs.

    Without ``root`` the file is parsed here, and only if its text can show such facts.
    """
    facts = {fact for fact in text_facts(text) if not fact.startswith("instrumented:")}
    # A Dockerfile or Procfile inside a Python string is a template the code writes (mlflow's
    # docker_utils), not how this project runs: only Django's manage.py says so from Python.
    if APPLICATION_SIGN in facts and "execute_from_command_line(" not in text:
        facts.discard(APPLICATION_SIGN)
    if not any(trigger in text for trigger in _PYTHON_TRIGGERS):
        return facts
    if root is None:
        root = SgRoot(text, "python").root()
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
    if "LoggingHandler" in text and (
        root.find(_HANDLER_CALL) is not None or _HANDLER_CLASS_STRING.search(text)
    ):
        facts.add(LOG_BRIDGE)
    if "get_current_span" in text or "get_span_context" in text:
        facts |= _id_copying_facts(root)
    return facts


# Writes into a log record (stdlib ``record.x = ...`` / ``setattr(record, ...)``), into loguru's
# ``record["extra"]``, or into a structlog event dict.
_WRITES_STDLIB_RECORD = re.compile(
    r"\b(record|log_record|rec)\.\w+\s*=(?!=)|setattr\(\s*(record|log_record|rec)\b"
)
_WRITES_OTHER_RECORD = re.compile(
    r"\b(record|event_dict|ed)(\[[^\]\n]+\])+\s*=(?!=)|\b(record|event_dict|ed)(\[[^\]\n]+\])*\.update\("
)


def _id_copying_facts(root: SgNode) -> set[str]:
    """Functions (logging filters, record factories, structlog processors, loguru patchers) that
    read the current span context and write it into the log record or event dict."""
    facts: set[str] = set()
    for function in root.find_all(kind="function_definition"):
        body = function.text()
        if "get_current_span" not in body and "get_span_context" not in body:
            continue
        if _WRITES_STDLIB_RECORD.search(body):
            facts.update((LOG_BRIDGE, LOG_IDS_ON_RECORD))
        elif _WRITES_OTHER_RECORD.search(body):
            facts.add(LOG_BRIDGE)
    return facts


def is_library(present: set[str] | frozenset[str]) -> bool:
    """Whether the project is a library: the ``kind`` setting when set, else an instrumentation,
    or a package built for others to install that nothing deploys or runs."""
    if KIND_APPLICATION in present or KIND_LIBRARY in present:
        return KIND_LIBRARY in present
    if LIBRARY_SIGN in present:
        return True
    return PACKAGED in present and APPLICATION_SIGN not in present


def _derived(present: set[str]) -> set[str]:
    """Facts that follow from others: ``opentelemetry-instrument`` activates the logging
    instrumentation when its package is installed, and that (0.66b1) installs the log handler;
    ``library`` from the signs of what the project is."""
    if ALL_INSTRUMENTED in present and _LOGGING_INSTRUMENTATION in present:
        present = present | {LOG_BRIDGE}
    if is_library(present):
        present = present | {LIBRARY}
    return present


def holds(requirement: str, facts: Iterable[str]) -> bool:
    """Whether the project's facts meet one requirement (``fact`` or ``!fact``)."""
    present = _derived(set(facts))
    negate = requirement.startswith("!")
    fact = requirement[1:] if negate else requirement
    found = fact in present or (fact.startswith("instrumented:") and ALL_INSTRUMENTED in present)
    return found != negate


def deployment_files(root: Path, limit: int = 2000) -> list[Path]:
    """The deployment files under ``root`` (skipping hidden and virtual-environment folders)."""
    found: list[Path] = []
    skip = {
        *(".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache"),
        *("site-packages", "dist-packages"),
    }
    # os.scandir rather than pathlib: this walks every folder of the project on every run, and
    # Path objects for each entry cost ~5x the walk itself (0.29 s for Django's tree).
    stack = [os.fspath(root)]
    while stack and len(found) < limit:
        folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: os.path.normcase(entry.name))
        except OSError:
            continue
        if folder != os.fspath(root) and any(e.name == VIRTUAL_ENVIRONMENT_MARK for e in entries):
            continue  # a virtual environment, whatever its name
        for entry in entries:
            try:
                if entry.is_symlink():
                    continue
                is_folder = entry.is_dir(follow_symlinks=False)
            except OSError:  # vanished or unreadable: judged by its name, as pathlib would
                is_folder = False
            if is_folder:
                if entry.name not in skip and not entry.name.startswith("."):
                    stack.append(entry.path)
            # The pattern's alternatives hold no "/": it matches a path where it matches the name.
            elif DEPLOYMENT_FILE.search(entry.name):
                found.append(Path(entry.path))  # read only if regular (project.context)
    return found


_TEST_FILE = re.compile(r"(^|/)(tests?/|test_[^/]*\.py$|[^/]*_test\.py$|conftest\.py$)")


def is_test_file(path: str) -> bool:
    """Whether a file is test code (``tests/``, ``test_*.py``, ``*_test.py``, ``conftest.py``),
    which configures logging and exporters for itself and never runs in production."""
    return _TEST_FILE.search(path.replace("\\", "/")) is not None
