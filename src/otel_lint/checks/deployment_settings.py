"""The judgement of telemetry settings in deployment files (compose, Kubernetes, Dockerfile ``ENV``,
``.env``, Procfile): the keys of ``OTEL_RESOURCE_ATTRIBUTES`` with the same naming code as
attribute keys in Python, a service name set twice, and values the installed SDK or
instrumentation does not read.

Each issue is placed on the characters of the setting's value it is about, found on the setting's
line of the file's text; a value that spans lines (a folded YAML scalar) is placed at its start.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from otel_lint.checks import CheckSettings, declare_fixes
from otel_lint.conventions import sdk
from otel_lint.conventions.codes import RESOURCE_SETTING_CODES
from otel_lint.conventions.naming import IssueKind, NameIssue, check_attribute_key
from otel_lint.conventions.registry import Registry
from otel_lint.project.deployment import Setting, compose_services, read_settings

#: One ``service.name`` for a process, set two ways with different values.
SERVICE_NAME_TWICE = "OTL504"
#: ``OTEL_SEMCONV_STABILITY_OPT_IN`` values the installed instrumentation does not read.
UNKNOWN_STABILITY_OPT_IN = "OTL505"
#: ``OTEL_TRACES_SAMPLER`` values no installed distribution registers.
UNKNOWN_SAMPLER = "OTL506"
#: ``OTEL_*_EXPORTER`` values no installed distribution registers.
UNKNOWN_EXPORTER = "OTL507"
#: Every code this module reports.
DEPLOYMENT_CODES = frozenset(
    {*RESOURCE_SETTING_CODES.values(), SERVICE_NAME_TWICE, UNKNOWN_STABILITY_OPT_IN}
    | {UNKNOWN_SAMPLER, UNKNOWN_EXPORTER}
)


# A deprecated key with a one-to-one replacement is renamed in place.
declare_fixes(RESOURCE_SETTING_CODES[IssueKind.DEPRECATED])


@dataclass(frozen=True)
class SettingIssue:
    """One problem with one setting, at 1-based positions, and its replacement when it is safe."""

    code: str
    message: str
    line: int
    column: int
    end_column: int
    #: The exact text at the position, which ``replacement`` would replace.
    text: str
    replacement: str | None = None


def _place(
    lines: list[str], setting: Setting, part: str, after: int = 0
) -> tuple[int, int, int, str]:
    """Where ``part`` of the setting's value is on its line: (line, column, end column, text).

    ``after`` is where in the value to look from (the entry's offset), so that a key written twice
    is placed at its own occurrence.
    """
    line = lines[setting.line - 1] if 0 < setting.line <= len(lines) else ""
    start = setting.column - 1
    found = line.find(part, start + after) if part else -1
    if found < 0:
        found = line.find(part, start) if part else -1
    if found < 0:
        return setting.line, setting.column, setting.column, ""
    return setting.line, found + 1, found + 1 + len(part), part


def _entries(value: str) -> Iterable[tuple[str, str, int]]:
    """``key=value`` entries of ``OTEL_RESOURCE_ATTRIBUTES``: (key, value, offset of the entry)."""
    offset = 0
    for entry in value.split(","):
        stripped = entry.strip()
        if stripped:
            key, _, rest = stripped.partition("=")
            yield (key.strip() if "=" in stripped else stripped), rest.strip(), offset
        offset += len(entry) + 1


def _resource_issues(
    setting: Setting, lines: list[str], registry: Registry, settings: CheckSettings
) -> list[SettingIssue]:
    issues: list[SettingIssue] = []
    present = {unquote(key) for key, _, _ in _entries(setting.value)}
    for key, _, offset in _entries(setting.value):
        entry = setting.value[offset:].split(",", 1)[0].strip()
        if "$" in key or ("=" not in entry and "$" in entry):
            # `${ATTRS}`, `$(cat attrs)`: filled in where it runs, unknown here. A plain key
            # with an interpolated value (`deployment.environment=${ENV}`) is judged.
            continue
        line, column, end, text = _place(lines, setting, key, offset)
        if "=" not in entry:
            message = (
                f"`{entry}` in OTEL_RESOURCE_ATTRIBUTES has no `=`: the SDK drops it with a warning"
            )
            code = RESOURCE_SETTING_CODES[IssueKind.MALFORMED]
            issues.append(SettingIssue(code, message, line, column, end, text))
            continue
        name = unquote(key)
        for issue in check_attribute_key(name, registry, settings.namespaces)[:1]:
            issues.append(_key_issue(issue, line, column, end, text, present))
    return issues


def _key_issue(
    issue: NameIssue, line: int, column: int, end: int, text: str, present: set[str]
) -> SettingIssue:
    code = RESOURCE_SETTING_CODES[issue.kind]
    message = f"OTEL_RESOURCE_ATTRIBUTES: {issue.message}"
    # Only a rename is safe to apply: a near miss may be the project's own key. And not when the
    # replacement is set beside it (kept for backends that still read the old key): renaming
    # would set one key twice, and the SDK keeps the last value.
    safe = issue.kind is IssueKind.DEPRECATED and issue.suggestion is not None
    if safe and issue.suggestion in present:
        safe = False
        message += f" (`{issue.suggestion}` is set as well: remove this one when nothing reads it)"
    return SettingIssue(
        code, message, line, column, end, text, issue.suggestion if safe and text else None
    )


def _service_names(by_owner: list[Setting], lines: list[str]) -> list[SettingIssue]:
    """``OTEL_SERVICE_NAME`` and ``service.name`` in ``OTEL_RESOURCE_ATTRIBUTES`` of one process,
    with different values: ``OTEL_SERVICE_NAME`` wins, so the other is dead and misleads."""
    named = [s for s in by_owner if s.name == "OTEL_SERVICE_NAME" and s.value.strip()]
    attributes = [s for s in by_owner if s.name == "OTEL_RESOURCE_ATTRIBUTES"]
    issues: list[SettingIssue] = []
    if not named:
        return issues
    chosen = named[-1].value.strip()
    if "$" in chosen:
        return issues  # filled in where it runs: it may well be the same name
    for setting in attributes:
        for key, value, offset in _entries(setting.value):
            if unquote(key) == "service.name" and "$" not in value and unquote(value) != chosen:
                line, column, end, text = _place(lines, setting, f"{key}={value}", offset)
                message = (
                    f"service.name={unquote(value)} in OTEL_RESOURCE_ATTRIBUTES is overridden by "
                    f"OTEL_SERVICE_NAME={chosen} (line {named[-1].line}): set the name once"
                )
                issues.append(SettingIssue(SERVICE_NAME_TWICE, message, line, column, end, text))
    return issues


def _closest(value: str, known: Iterable[str]) -> str | None:
    names = sorted(known)
    normal = value.strip().lower().replace("-", "_")
    if normal in names and normal != value:
        return normal
    found = difflib.get_close_matches(normal, names, n=1, cutoff=0.75)
    return found[0] if found else None


def _unknown_value(
    setting: Setting,
    lines: list[str],
    code: str,
    what: str,
    known: frozenset[str],
    *,
    any_case: bool = False,
) -> list[SettingIssue]:
    """Each comma-separated value not in ``known`` (``any_case``: as the SDK lower-cases it)."""
    issues: list[SettingIssue] = []
    offset = 0
    for part in setting.value.split(","):
        value = part.strip()
        if value and "$" not in value and (value.lower() if any_case else value) not in known:
            closest = _closest(value, known)
            if closest is None and not sdk.sdk_installed():
                offset += len(part) + 1
                continue  # nothing installed here says what the deployment's image holds
            advice = (
                f"did you mean `{closest}`?"
                if closest
                else f"known here: {', '.join(sorted(known))}"
            )
            line, column, end, text = _place(lines, setting, value, offset)
            message = f"{setting.name}={value}: {what}; {advice}"
            issues.append(SettingIssue(code, message, line, column, end, text))
        offset += len(part) + 1
    return issues


def _value_issues(setting: Setting, lines: list[str]) -> list[SettingIssue]:
    if setting.name == "OTEL_TRACES_SAMPLER":
        what = "the SDK knows no such sampler and falls back to `parentbased_always_on`"
        known = sdk.known_samplers()
        return _unknown_value(setting, lines, UNKNOWN_SAMPLER, what, known, any_case=True)
    if setting.name in sdk.EXPORTER_GROUPS:
        what = "no installed distribution registers this exporter, and the SDK fails to start"
        known = sdk.known_exporters(setting.name)
        return _unknown_value(setting, lines, UNKNOWN_EXPORTER, what, known)
    if setting.name == "OTEL_SEMCONV_STABILITY_OPT_IN":
        read = sdk.stability_opt_in_values()
        if read is None:
            return []
        what = "the installed opentelemetry-instrumentation does not read this value"
        return _unknown_value(setting, lines, UNKNOWN_STABILITY_OPT_IN, what, read)
    return []


#: Signs that a process runs another language's agent or SDK: its exporter, sampler and opt-in
#: names are that SDK's (the Java agent 1.x registers `jaeger`), not the Python SDK's.
_OTHER_RUNTIME = re.compile(
    r"-javaagent|\bjava\s+-jar\b|JAVA_TOOL_OPTIONS|OTEL_JAVAAGENT_|NODE_OPTIONS|"
    r"@opentelemetry/|OTEL_NODE_|CORECLR_|OTEL_DOTNET_|\bdotnet\s"
)
_PYTHON_RUNTIME = re.compile(r"python|opentelemetry-instrument\b|gunicorn|uvicorn|\.py\b")


def _other_runtimes(kind: str, text: str) -> set[str]:
    """The owners (compose services; "" for the whole file) whose own text shows another
    language's runtime and no Python."""

    def other(part: str) -> bool:
        return bool(_OTHER_RUNTIME.search(part)) and not _PYTHON_RUNTIME.search(part)

    if kind != "compose":
        return {""} if other(text) else set()
    lines = text.split("\n")
    return {
        service.name
        for service in compose_services(text)
        if other("\n".join(lines[service.first_line - 1 : service.last_line]))
    }


def setting_issues(
    kind: str, text: str, registry: Registry, settings: CheckSettings
) -> list[SettingIssue]:
    """Every problem with the telemetry settings of a deployment file of ``kind``.

    Resource keys are judged whatever runs (the conventions are every language's); exporter,
    sampler and opt-in values only where no other language's runtime shows (``_other_runtimes``).
    """
    if "OTEL_" not in text:
        return []
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    found = read_settings(kind, text)
    foreign = _other_runtimes(kind, text) if _OTHER_RUNTIME.search(text) else set()
    issues: list[SettingIssue] = []
    for setting in found:
        if setting.name == "OTEL_RESOURCE_ATTRIBUTES":
            issues += _resource_issues(setting, lines, registry, settings)
        if setting.owner not in foreign and "" not in foreign:
            issues += _value_issues(setting, lines)
    owners: dict[str, list[Setting]] = {}
    for setting in found:
        owners.setdefault(setting.owner, []).append(setting)
    for owned in owners.values():
        issues += _service_names(owned, lines)
    return sorted(issues, key=lambda issue: (issue.line, issue.column, issue.code))
