"""Project facts that cross-file rules depend on.

A first pass over every file (in the same parse as the rules) and over the project's deployment
files (requirements, pyproject, Dockerfiles, Procfiles, scripts, env files) collects facts such as
``instrumented:requests`` or ``log-bridge``. A finding may require facts (``fact``) or their
absence (``!fact``); the engine keeps it only if the whole project's facts agree.
"""

from __future__ import annotations

import functools
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
#: A bridge of stdlib ``logging`` (the instrumentation, an OpenTelemetry handler, a filter or record
#: factory writing ids into records, the correlation variables), as opposed to a structlog
#: processor or loguru patcher, which bridges only its own events.
STDLIB_LOG_BRIDGE = "log-bridge:stdlib"
#: ``span-reader:NAME``: the function or class ``NAME`` reads the current span, itself or through
#: a function of the same file. Names are bare (no module): a processor names its helper by the
#: name it imports, and the project join matches on it.
SPAN_READER = "span-reader:"
#: ``span-call:NAME>CALLEE``: ``NAME`` (a logging hook, or a function that mentions trace or span
#: ids) calls ``CALLEE``, defined in another file; joined with ``span-reader:`` at project level.
SPAN_CALL = "span-call:"
#: ``record-writer:KIND:NAME``: ``NAME`` is a logging hook (``_log_hook``: it writes a stdlib
#: record, renders a line, or writes a loguru record or structlog event dict) that does not read
#: the span itself; a bridge when the join finds it a span reader.
RECORD_WRITER = "record-writer:"
#: ``logging-instrumentor:FLAGS``: a ``LoggingInstrumentor().instrument(...)`` call, with the
#: arguments that change what it does (``format``, ``inject``, ``no-handler``) or ``plain``.
#: What it bridges depends on the instrumentation's version, known only at project level.
LOGGING_INSTRUMENTOR = "logging-instrumentor:"
#: ``OTEL_PYTHON_LOG_AUTO_INSTRUMENTATION=false`` in a deployment file: ``instrument()`` installs
#: no handler (0.61b0 on), as with ``enable_log_auto_instrumentation=False``.
LOG_HANDLER_OFF = "logging-handler-off"
#: ``logging-instrumentation==VERSION``: the version of opentelemetry-instrumentation-logging the
#: project pins (requirements, pyproject, lock files).
LOGGING_PIN = "logging-instrumentation=="
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
#: Lock files, also deployment files, are read by ``lock_facts`` alone.
LOCK_FILE = re.compile(r"(^|/)(poetry|uv|pdm|Pipfile)\.lock$")

#: Names of files, other than Python sources, that describe how the project is installed and run.
DEPLOYMENT_FILE = re.compile(
    r"(^|/)(requirements[^/]*\.(txt|in)|pyproject\.toml|setup\.cfg|Pipfile|Dockerfile[^/]*|"
    r"[^/]*\.dockerfile|Procfile|docker-compose[^/]*\.ya?ml|compose[^/]*\.ya?ml|[^/]*\.sh|"
    r"Makefile|(?:poetry|uv|pdm|Pipfile)\.lock|\.env[^/]*|[^/]*\.env|app\.ya?ml|[^/]*\.service|tox\.ini|[^/]*\.(k8s|deployment)\.ya?ml)$"
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
#: 0.61b0 on: the instrumentation's handler switched off for every ``instrument()`` call.
_LOG_HANDLER_OFF_ENV = re.compile(
    rf"OTEL_PYTHON_LOG_AUTO_INSTRUMENTATION\b{_ASSIGNED}(false|0)\b", re.IGNORECASE
)
_LOG_AUTO_ENV = re.compile(
    rf"OTEL_PYTHON_LOGGING_AUTO_INSTRUMENTATION_ENABLED{_ASSIGNED}(true|1)\b", re.IGNORECASE
)
_SERVICE_NAME = re.compile(
    rf"OTEL_SERVICE_NAME{_ASSIGNED}[^\s\"']|OTEL_RESOURCE_ATTRIBUTES{_ASSIGNED}[^\n]*service\.name="
)
_LOGGING_PACKAGE = r"opentelemetry[-_.]instrumentation[-_.]logging"
_VERSION = r"v?(\d+\.\d+[\w.]*)"
#: An exact pin of the logging instrumentation: ``==`` in requirements, PEP 621 and setup.py
#: strings; Poetry's and Pipfile's ``name = "0.50b0"`` / ``"==0.50b0"`` / ``{version = ...}``
#: (a bare Poetry version is exact; ``^`` / ``~`` ranges are not pins); the
#: ``name = ...`` / ``version = ...`` pair of poetry.lock and uv.lock; Pipfile.lock's entry.
_LOGGING_PIN_TEXT = re.compile(
    rf"{_LOGGING_PACKAGE}(?:\[[^\]\n]*\])?\s*===?\s*{_VERSION}|"
    rf"{_LOGGING_PACKAGE}[\"']?\s*=\s*(?:\{{[^\n}}]*?\bversion\s*=\s*)?[\"'](?:==)?{_VERSION}[\"']|"
    rf"\bname\s*=\s*[\"']{_LOGGING_PACKAGE}[\"']\s*\n\s*version\s*=\s*[\"']{_VERSION}[\"']|"
    rf"[\"']{_LOGGING_PACKAGE}[\"']\s*:\s*\{{[^}}]*?[\"']version[\"']\s*:\s*[\"']==?{_VERSION}[\"']",
    re.IGNORECASE,
)
#: ``opentelemetry-bootstrap -a install`` installs the default instrumentations, the logging one
#: among them (opentelemetry-instrumentation 0.66b2's ``default_instrumentations``).
_BOOTSTRAP_INSTALL = re.compile(r"\bopentelemetry-bootstrap\b[^\n]*\binstall\b")


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
        facts |= logging_pin_facts(text)
        if _BOOTSTRAP_INSTALL.search(text):
            facts.add(_LOGGING_INSTRUMENTATION)
    if "otel_" in lowered:
        if _LOG_CORRELATION_ENV.search(text):
            facts.update((LOG_BRIDGE, STDLIB_LOG_BRIDGE, LOG_IDS_ON_RECORD, LOG_FORMAT_INJECTED))
        if _LOG_AUTO_ENV.search(text):
            facts.update((LOG_BRIDGE, STDLIB_LOG_BRIDGE))
        if _LOG_HANDLER_OFF_ENV.search(text):
            facts.add(LOG_HANDLER_OFF)
        if _SERVICE_NAME.search(text):
            facts.add(SERVICE_NAME_ENV)
    return facts


def logging_pin_facts(text: str) -> set[str]:
    """The exact versions of opentelemetry-instrumentation-logging that ``text`` pins."""
    return {
        LOGGING_PIN + next(version for version in match.groups() if version)
        for match in _LOGGING_PIN_TEXT.finditer(text)
    }


def lock_facts(text: str) -> set[str]:
    """What a lock file (poetry.lock, uv.lock, Pipfile.lock, pdm.lock) shows: the logging
    instrumentation installed, and its version. Its other packages are dependencies of
    dependencies: read as requirements they would claim instrumentations nobody asked for."""
    pins = logging_pin_facts(text)
    return pins | {_LOGGING_INSTRUMENTATION} if pins else pins


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
#: Signs of a function that reads the current span, or of a logging hook that may call one.
_LOG_HOOK_TRIGGERS = (
    "get_current_span",
    "get_span_context",
    "event_dict",
    "structlog",
    "logging.Filter",
    "setLogRecordFactory",
    # a helper between a hook and the span names the ids (``_NAMES_IDS``)
    "trace_id",
    "span_id",
    "trace_context",
    "otel_id",
)
_PYTHON_TRIGGERS = (
    "opentelemetry.instrumentation",
    "LoggingHandler",
    "OTEL_",
    "Instrumentor",
    *_LOG_HOOK_TRIGGERS,
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
    """The ``logging-instrumentor:`` fact of a ``LoggingInstrumentor().instrument(...)`` call: the
    keyword arguments that change what it does. What they do depends on the version
    (``logging_instrumentor_bridges``)."""
    arguments = call.text()
    flags = [
        flag
        for flag, written in (
            ("format", _keyword_true(arguments, "set_logging_format")),
            ("inject", _keyword_true(arguments, "inject_trace_context")),
            (
                "no-handler",
                re.search(r"\benable_log_auto_instrumentation\s*=\s*False\b", arguments),
            ),
        )
        if written
    ]
    return {LOGGING_INSTRUMENTOR + (",".join(flags) or "plain")}


def _version_key(version: str) -> tuple[int, int]:
    found = re.match(r"(\d+)\.(\d+)", version)
    return (int(found.group(1)), int(found.group(2))) if found else (0, 0)


def logging_instrumentor_bridges(flags: str, version: str | None) -> set[str]:
    """What a ``LoggingInstrumentor().instrument(...)`` call with ``flags`` bridges under
    opentelemetry-instrumentation-logging ``version`` (None: the newest behaviour).

    Read from the releases' sources: up to 0.60b0 a record factory puts ``otelTraceID`` /
    ``otelSpanID`` / ``otelServiceName`` / ``otelTraceSampled`` on every record and no handler is
    installed; 0.61b0 installs a ``LoggingHandler`` on the root logger (unless
    ``enable_log_auto_instrumentation=False``) and puts the fields on records only with
    ``set_logging_format=True``; 0.64b0 adds ``inject_trace_context=True``, fields without the
    format. ``set_logging_format=True`` rewrites the format (``basicConfig``) in every version.
    """
    given = set(flags.split(","))
    sets_format = "format" in given
    key = _version_key(version) if version is not None else (1 << 30, 0)
    if key <= (0, 60):
        on_record, handler = True, False
    else:
        on_record = sets_format or ("inject" in given and key >= (0, 64))
        handler = "no-handler" not in given
    facts: set[str] = set()
    if on_record or handler:
        facts.update((LOG_BRIDGE, STDLIB_LOG_BRIDGE))
    if on_record:
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
        facts.update((LOG_BRIDGE, STDLIB_LOG_BRIDGE))
    if any(trigger in text for trigger in _LOG_HOOK_TRIGGERS):
        facts |= _id_copying_facts(root)
    return facts


# Writes into a log record (stdlib ``record.x = ...`` / ``setattr(record, ...)``), into loguru's
# ``record["extra"]``, or into a structlog event dict.
_WRITES_STDLIB_RECORD = re.compile(
    r"\b(record|log_record|rec)\.\w+\s*=(?!=)|setattr\(\s*(record|log_record|rec)\b|"
    r"\b(record|log_record|rec)\.__dict__\.update\("
)
_WRITES_OTHER_RECORD = re.compile(
    r"\b(record|event_dict|ed)(\[[^\]\n]+\])+\s*=(?!=)|\b(record|event_dict|ed)(\[[^\]\n]+\])*\.update\("
)


_READS_SPAN = re.compile(r"\b(get_current_span|get_span_context)\b")
#: A helper on the way to the ids: it names them (``trace_id``, ``span-id``, ``otel_ids``).
_NAMES_IDS = re.compile(r"(trace|span)[_.-]?id|\botel_?ids?\b|trace_?context", re.IGNORECASE)
#: Methods that stdlib logging or structlog call by name: known by their class, as their name says
#: nothing (a ``format`` method that reads the span must not make every ``.format()`` a bridge).
_HOOK_METHODS = frozenset(("filter", "format", "emit", "handle", "__call__", "__init__"))
#: Callees that are never the project's helpers.
_NOT_HELPERS = frozenset(
    ("str", "int", "format", "dict", "get", "update", "isinstance", "getattr", "setattr", "len")
)


def _names(function: SgNode) -> list[str]:
    """The name a function is used by: its own, or for a hook method (``__call__``, ``filter``)
    its class's."""
    name = function.field("name")
    own = name.text() if name is not None else ""
    parent = function.parent()
    if parent is not None and parent.kind() == "decorated_definition":
        parent = parent.parent()
    owner = parent.parent() if parent is not None and parent.kind() == "block" else None
    if owner is None or owner.kind() != "class_definition":
        return [own]
    class_name = owner.field("name")
    if own in _HOOK_METHODS and class_name is not None:
        return [class_name.text()]  # the instance is the processor or filter
    return [own]


def _imported(root: SgNode) -> dict[str, str]:
    """The names a file's imports bind, each with the name it stands for (``helper`` for ``from
    app.ids import helper`` or ``... import helper as h``; ``ids`` for ``import app.ids as ids``;
    ``app`` for ``import app.ids``)."""
    bound: dict[str, str] = {}
    for statement in root.find_all(
        {"rule": {"any": [{"kind": "import_statement"}, {"kind": "import_from_statement"}]}}
    ):
        module = statement.field("module_name")
        for name in statement.children():
            if not name.is_named() or name == module:
                continue
            original = name.field("name") if name.kind() == "aliased_import" else name
            alias = name.field("alias") if name.kind() == "aliased_import" else None
            if original is None or original.kind() != "dotted_name":
                continue
            parts = original.text().split(".")
            named = parts[-1] if statement.kind() == "import_from_statement" else parts[0]
            bound[alias.text() if alias is not None else named] = named
    return bound


def _callees(function: SgNode, imported: dict[str, str]) -> set[str]:
    """The bare names of the functions ``function`` calls through an import (``helper`` for
    ``helper()``, ``h()`` after ``import helper as h``, or ``ids.helper()``): a helper in another
    module of the project is imported."""
    called: set[str] = set()
    for call in function.find_all(kind="call"):
        target = call.field("function")
        if target is None:
            continue
        if target.kind() == "identifier" and target.text() in imported:
            called.add(imported[target.text()])
            continue
        head: SgNode | None = target
        while head is not None and head.kind() == "attribute":
            head = head.field("object")
        name = target.field("attribute") if target.kind() == "attribute" else None
        if head is not None and head.kind() == "identifier" and head.text() in imported and name:
            called.add(name.text())
    return called - _NOT_HELPERS


def _local_callees(function: SgNode) -> set[str]:
    """The bare names of every function ``function`` calls (``helper`` for ``self.helper()``),
    to follow the file's own helpers."""
    called: set[str] = set()
    for call in function.find_all(kind="call"):
        target = call.field("function")
        if target is not None and target.kind() == "attribute":
            target = target.field("attribute")
        if target is not None and target.kind() == "identifier":
            called.add(target.text())
    return called


_ID_HELPER = re.compile(r"trace|span|otel|context|correlat|ids?$", re.IGNORECASE)
_EVENT_DICT = re.compile(r"event|^_*ed$", re.IGNORECASE)


def _log_hook(function: SgNode, body: str) -> str:
    """What kind of logging hook ``function`` is, from what it writes or else its shape:
    ``stdlib`` (writes a stdlib record: a filter or record factory), ``format`` (a stdlib
    ``format`` / ``filter`` / ``emit`` method that writes no record attribute: the ids, if any, go
    into the line it renders), ``other`` (writes a loguru record or structlog event dict, or is
    shaped like a structlog processor or a loguru patcher), or ``""``."""
    parameters = function.field("parameters")
    given = [p.text() for p in parameters.children() if p.is_named()] if parameters else []
    given = [p.split(":")[0].strip() for p in given if p not in ("self", "cls")]
    # A function that takes no record is not a hook, whatever it writes (a script's `main`
    # filling a dict named `record`).
    takes_record = any(p in ("record", "log_record", "rec", "event_dict", "ed") for p in given)
    if _WRITES_STDLIB_RECORD.search(body) and takes_record:
        return "stdlib"
    if _WRITES_OTHER_RECORD.search(body) and takes_record:
        return "other"
    own = function.field("name")
    if given == ["record"] and own is not None and own.text() in ("format", "filter", "emit"):
        return "format"
    if given == ["record"] or (len(given) == 3 and _EVENT_DICT.search(given[2]) is not None):
        return "other"
    return ""


#: What a logging hook that reads the current span bridges, by its kind (``_log_hook``).
_HOOK_BRIDGES = {
    "stdlib": {LOG_BRIDGE, STDLIB_LOG_BRIDGE, LOG_IDS_ON_RECORD},
    "format": {LOG_BRIDGE, STDLIB_LOG_BRIDGE},
    "other": {LOG_BRIDGE},
}


def _writes(body: str) -> str:
    """What record a function that reads the span itself writes, whatever its parameters (a
    record factory takes ``*args``)."""
    if _WRITES_STDLIB_RECORD.search(body):
        return "stdlib"
    return "other" if _WRITES_OTHER_RECORD.search(body) else ""


def _id_copying_facts(root: SgNode) -> set[str]:
    """Functions (logging filters, record factories, structlog processors, loguru patchers) that
    read the current span context, themselves or through a function of the same file, and write
    it into the log record or event dict; and, for the project join, which functions read the span
    (``span-reader:``), which write records without reading it (``record-writer:``), and whom the
    logging hooks and id helpers among them call (``span-call:``)."""
    functions = []
    imported = _imported(root)
    for function in root.find_all(kind="function_definition"):
        body = function.text()
        hook = _log_hook(function, body)
        functions.append((function, _names(function), body, _local_callees(function), hook))
    readers = {
        name for _, names, body, _, _ in functions if _READS_SPAN.search(body) for name in names
    }
    grown = True
    while grown:  # through the file's own helpers, however deep
        grown = False
        for _, names, _, local, _ in functions:
            if local & readers and not readers.issuperset(names):
                readers.update(names)
                grown = True
    facts = {SPAN_READER + name for name in readers}
    for function, names, body, _, hook in functions:
        if readers.intersection(names):
            facts |= _HOOK_BRIDGES.get(hook or _writes(body), set())
            continue
        if hook:
            facts.update(f"{RECORD_WRITER}{hook}:{name}" for name in names)
            callees = _callees(function, imported)
        elif _NAMES_IDS.search(body):
            # A helper between a hook and the span: only its calls of id-like names are kept
            # (tracing code names trace_id everywhere; a project fact per call would be noise).
            callees = {c for c in _callees(function, imported) if _ID_HELPER.search(c)}
        else:
            continue
        facts.update(f"{SPAN_CALL}{name}>{callee}" for name in names for callee in callees)
    return facts


def _span_calls(present: Iterable[str]) -> list[tuple[str, str]]:
    """The (caller, callee) pairs of the ``span-call:`` facts."""
    return [
        (caller, callee)
        for fact in present
        if fact.startswith(SPAN_CALL)
        for caller, _, callee in [fact[len(SPAN_CALL) :].partition(">")]
    ]


def span_readers(present: Iterable[str]) -> set[str]:
    """The functions and classes of the project that read the current span: in their own file
    (``span-reader:``), or by calling, one or two calls away, such a function of another file."""
    readers = {fact[len(SPAN_READER) :] for fact in present if fact.startswith(SPAN_READER)}
    calls = _span_calls(present)
    for _ in range(2):
        readers |= {caller for caller, callee in calls if callee in readers}
    return readers


def is_library(present: set[str] | frozenset[str]) -> bool:
    """Whether the project is a library: the ``kind`` setting when set, else an instrumentation,
    or a package built for others to install that nothing deploys or runs."""
    if KIND_APPLICATION in present or KIND_LIBRARY in present:
        return KIND_LIBRARY in present
    if LIBRARY_SIGN in present:
        return True
    return PACKAGED in present and APPLICATION_SIGN not in present


@functools.cache
def installed_logging_instrumentation() -> str | None:
    """The version of opentelemetry-instrumentation-logging installed beside the linter, read from
    its metadata (nothing is imported), for projects that pin none."""
    # Here, not at the top: only a project that calls the instrumentor and pins no version asks.
    import importlib.metadata

    try:
        return importlib.metadata.version("opentelemetry-instrumentation-logging")
    except importlib.metadata.PackageNotFoundError:
        return None


def _logging_version(present: set[str]) -> str | None:
    """The project's pin (the newest, if files disagree), else the installed version."""
    pins = [fact[len(LOGGING_PIN) :] for fact in present if fact.startswith(LOGGING_PIN)]
    if pins:
        return max(pins, key=_version_key)
    return installed_logging_instrumentation()


def _log_bridges(present: set[str]) -> set[str]:
    """The bridges only the whole project shows: each ``LoggingInstrumentor`` call under the
    pinned version, a zero-code launch with the instrumentation installed (its ``instrument()``
    without arguments), and record writers whose helper, in another file, reads the span."""
    found: set[str] = set()
    flags = {
        fact[len(LOGGING_INSTRUMENTOR) :]
        for fact in present
        if fact.startswith(LOGGING_INSTRUMENTOR)
    }
    if ALL_INSTRUMENTED in present and _LOGGING_INSTRUMENTATION in present:
        flags.add("plain")
    if flags:
        version = _logging_version(present)
        off = ",no-handler" if LOG_HANDLER_OFF in present else ""
        for given in flags:
            found |= logging_instrumentor_bridges(given + off, version)
    writers = [
        fact[len(RECORD_WRITER) :].partition(":")
        for fact in present
        if fact.startswith(RECORD_WRITER)
    ]
    if writers:
        readers, calls = span_readers(present), _span_calls(present)
        for kind, _, name in writers:
            # Through its own calls: a reader of the same bare name elsewhere (every `main`) is
            # another function.
            if any(caller == name and callee in readers for caller, callee in calls):
                found |= _HOOK_BRIDGES.get(kind, set())
    if any(fact.startswith(SPAN_CALL) for fact in present):
        found |= {SPAN_READER + name for name in span_readers(present)}
    return found


def _derived(present: set[str]) -> set[str]:
    """Facts that follow from others: the log bridges of the whole project (``_log_bridges``);
    ``library`` from the signs of what the project is."""
    present = present | _log_bridges(present)
    if is_library(present):
        present = present | {LIBRARY}
    return present


@functools.lru_cache(maxsize=16)
def _derived_once(present: frozenset[str]) -> set[str]:
    # A run asks once per requirement of each finding, with the same facts: join them once.
    return _derived(set(present))


def holds(requirement: str, facts: Iterable[str]) -> bool:
    """Whether the project's facts meet one requirement (``fact`` or ``!fact``)."""
    present = _derived_once(frozenset(facts))
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
