"""Checks of the 3xx family: attribute keys, metric names and units against the conventions.

The judgement itself lives in ``otel_lint.conventions.naming``; these checks find the name in
the syntax (a string literal, a semconv constant, the arguments of ``meter.create_*``) and report
each issue under the one code ``otel_lint.conventions.codes`` gives its kind, so a name with two
problems gets two codes but no problem is reported twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ast_grep_py import SgNode

from otel_lint.checks import FileContext, Verdict, check, per_file
from otel_lint.checks.syntax.attribute_writes import (
    dict_key_is_generic,
    holds_no_attribute_value,
    imports_opentelemetry,
    is_attribute_key_position,
    is_read,
    old_convention_functions,
    on_old_convention_path,
)
from otel_lint.checks.syntax.constants import (
    constant_literal,
    constant_string,
    project_constant,
    semconv_constant,
)
from otel_lint.checks.syntax.literals import string_value, with_string_value
from otel_lint.conventions.codes import ATTRIBUTE_KEY_CODES, METRIC_CODES
from otel_lint.conventions.naming import (
    IssueKind,
    NameIssue,
    check_attribute_key,
    check_metric_definition,
    check_metric_name,
    check_unit,
)
from otel_lint.conventions.registry import Attribute, Metric
from otel_lint.project.facts import is_test_file

# --- attribute keys written as string literals ------------------------------------------------


@per_file
def _issues_by_key(context: FileContext) -> dict[str, list[NameIssue]]:
    """Each attribute key's issues, filled in as the file's keys are met: four rules ask about
    every key, and a generated file repeats the same few keys thousands of times."""
    return {}


@per_file
def _names_are_judged(context: FileContext) -> bool:
    """Whether the file's telemetry names are judged at all: not in test code.

    A test's attribute keys, metric names and units are what it expects the code under test to
    emit (judged where that code writes them, once) or input chosen on purpose (a malformed key to
    check that an exporter sanitises it). The file is test code by the project's one definition,
    the one OTL101 and OTL501 use: ``tests/``, ``test_*.py``, ``*_test.py``, ``conftest.py``.
    """
    return not is_test_file(context.path)


@per_file
def _old_convention_functions(context: FileContext) -> frozenset[str] | None:
    """The functions only old-mode code calls; None in a file that never asks ``_report_old``
    (asked once per file: a text search per candidate made a 20,000-key dict take seconds)."""
    if "report_old" not in context.text:
        return None
    return old_convention_functions(context.root)


def _on_old_convention_path(node: SgNode, context: FileContext) -> bool:
    functions = _old_convention_functions(context)
    return functions is not None and on_old_convention_path(node, functions)


@per_file
def _is_opentelemetry_module(context: FileContext) -> bool:
    return imports_opentelemetry(context.text)


def _is_written_attribute_key(node: SgNode, context: FileContext) -> bool:
    """Whether a string the rule's pattern matched is a key written into OpenTelemetry.

    A dict reaching a generic carrier (``.emit``, ``.set``, ``Resource(...)``, a name ending in
    ``attrs`` or ``labels``) counts only in a module that imports OpenTelemetry:
    elsewhere those are a lookup table, Kubernetes labels, another library's ``Resource``.
    """
    if holds_no_attribute_value(node):
        return False
    return not dict_key_is_generic(node) or _is_opentelemetry_module(context)


def _attribute_key_verdicts(node: SgNode, context: FileContext, code: str) -> Iterator[Verdict]:
    key = string_value(node)
    if key is None or not _names_are_judged(context):
        return
    if not _is_written_attribute_key(node, context):
        return
    if code == "OTL301" and _on_old_convention_path(node, context):
        return
    known = _issues_by_key(context)
    if key not in known:
        known[key] = check_attribute_key(key, context.registry, context.settings.namespaces)
    for issue in known[key]:
        if ATTRIBUTE_KEY_CODES.get(issue.kind) != code:
            continue
        fix = None
        if (
            code == "OTL301"
            and issue.suggestion is not None
            and _beside_replacement(node, issue.suggestion, context)
        ):
            return
        # Only a deprecation has a replacement the conventions themselves name; the other
        # suggestions are guesses a person should confirm, so they stay in the message.
        if code == "OTL301" and issue.suggestion is not None:
            fix = with_string_value(node, issue.suggestion)
        yield Verdict(message=issue.message, fix=fix)
        return


def _written_keys(statement: SgNode) -> Iterator[SgNode]:
    """The keys a statement writes: ``set_attribute``'s first argument, ``attrs[KEY] = v``, the
    keys of its dict literals."""
    for call in statement.find_all(kind="call"):
        function = call.field("function")
        arguments = call.field("arguments")
        if function is None or arguments is None or not function.text().endswith("set_attribute"):
            continue
        first = next((a for a in arguments.children() if a.is_named()), None)
        if first is not None and first.kind() != "keyword_argument":
            yield first
    if statement.kind() == "expression_statement":
        for assignment in statement.find_all(kind="assignment"):
            left = assignment.field("left")
            index = left.field("subscript") if left is not None else None
            if left is not None and left.kind() == "subscript" and index is not None:
                yield index
    for pair in statement.find_all(kind="pair"):
        key = pair.field("key")
        if key is not None:
            yield key


def _beside_replacement(node: SgNode, replacement: str, context: FileContext) -> bool:
    """Whether the deprecated key ``node`` is written together with its replacement: in the same
    dict, or by the statement just before or after. The old name is then kept on purpose, for
    readers that have not moved (``{PROVIDER_NAME: p, SYSTEM: p}``), as the opt-in does."""
    pair = node.parent()
    if pair is not None and pair.kind() == "pair":
        dictionary = pair.parent()
        if dictionary is not None and any(
            constant_string(other.field("key"), context) == replacement
            for other in dictionary.children()
            if other.kind() == "pair"
        ):
            return True
    statement = node
    while (parent := statement.parent()) is not None and parent.kind() not in ("block", "module"):
        statement = parent
    if parent is None:
        return False
    neighbours = [statement.prev(), statement.next()]
    return any(
        constant_string(key, context) == replacement
        for neighbour in neighbours
        if neighbour is not None and neighbour.kind() != "comment"
        for key in _written_keys(neighbour)
    )


def _constant_reference(node: SgNode) -> SgNode | None:
    """The whole expression an upper-case identifier is the last part of, or None if a binding."""
    parent = node.parent()
    if parent is None:
        return node
    if parent.kind() == "attribute":
        attribute = parent.field("attribute")
        if attribute is None or attribute.range() != node.range():
            return None  # the object of ``X.y``, not a constant of its own
        return parent
    if parent.kind() == "keyword_argument":
        name = parent.field("name")
        if name is not None and name.range() == node.range():
            return None
    return node


def _replacement_hint(key: str, context: FileContext) -> str:
    attribute = context.registry.attribute(key)
    if attribute is None or attribute.template or attribute.key != key:
        return ""
    return f" (`{attribute.constant}` from `{attribute.module}`)"


@check("OTL301", fixes=True)
def deprecated_attribute_key(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    if node.kind() == "string":
        yield from _attribute_key_verdicts(node, context, "OTL301")
        return
    reference = _constant_reference(node)
    if reference is None or not _names_are_judged(context):
        return
    if is_read(reference) or _on_old_convention_path(reference, context):
        return
    attribute = semconv_constant(reference, context)
    if attribute is None:
        yield from _project_key_verdicts(reference, context)
        return
    if not isinstance(attribute, Attribute) or attribute.deprecated is None:
        return
    replacement = attribute.deprecated.replacement
    if replacement and _beside_replacement(reference, replacement, context):
        return
    advice = (
        f"use `{replacement}`{_replacement_hint(replacement, context)}"
        if replacement
        else attribute.deprecated.note.rstrip(".")
    )
    # No fix: the replacement's constant usually lives in another module than the one imported,
    # and adding imports is beyond a safe textual fix.
    yield Verdict(
        message=f"`{reference.text()}` is the deprecated semantic-convention attribute "
        f"`{attribute.key}`: {advice}",
        node=reference,
    )


def _constant_value(node: SgNode | None, context: FileContext) -> str | None:
    """The string a constant of this file or of another module of the project spells."""
    bound = constant_literal(node, context)
    if bound is not None:
        return string_value(bound)
    return project_constant(node, context)


def _project_key_verdicts(reference: SgNode, context: FileContext) -> Iterator[Verdict]:
    """A deprecated key held in the project's own constant (``Attrs.HTTP_METHOD``, imported or
    not): judged like the literal, where a literal key would be, and never fixed (the constant's
    definition, perhaps in another module, is what to change)."""
    if not is_attribute_key_position(reference):
        return
    if not _is_written_attribute_key(reference, context):
        return
    key = _constant_value(reference, context)
    if key is None:
        return
    for issue in check_attribute_key(key, context.registry, context.settings.namespaces):
        if ATTRIBUTE_KEY_CODES.get(issue.kind) == "OTL301":
            if issue.suggestion is not None and _beside_replacement(
                reference, issue.suggestion, context
            ):
                return
            said, spelled = issue.message, f"`{key}` is "
            if said.startswith(spelled):
                said = f"`{key}`, " + said[len(spelled) :]
            yield Verdict(message=f"`{reference.text()}` is {said}", node=reference)
            return


@check("OTL302")
def malformed_attribute_key(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    yield from _attribute_key_verdicts(node, context, "OTL302")


@check("OTL303")
def near_miss_attribute_key(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    yield from _attribute_key_verdicts(node, context, "OTL303")


@check("OTL304")
def attribute_in_foreign_namespace(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    yield from _attribute_key_verdicts(node, context, "OTL304")


# --- metric instruments ------------------------------------------------------------------------

#: ``create_*`` method -> the instrument kind in the registry's words.
INSTRUMENT_KINDS: dict[str, str] = {
    "create_counter": "counter",
    "create_up_down_counter": "updowncounter",
    "create_histogram": "histogram",
    "create_gauge": "gauge",
    "create_observable_counter": "counter",
    "create_observable_up_down_counter": "updowncounter",
    "create_observable_gauge": "gauge",
}
#: Kinds whose values always carry a dimension, so a missing unit is worth reporting. Counters
#: count events, where leaving the default unit is common and harmless.
UNIT_REQUIRED_KINDS = frozenset({"histogram", "gauge"})


@dataclass(frozen=True)
class InstrumentCall:
    """The parts of a ``meter.create_*(name, [callbacks,] unit, description)`` call we judge."""

    kind: str
    name: SgNode | None
    unit: SgNode | None
    #: False when the arguments cannot be read (``*args``, ``**kwargs``), so a unit may be there.
    complete: bool


def instrument_call(node: SgNode) -> InstrumentCall | None:
    """Read a ``create_*`` call's name and unit arguments as the opentelemetry-api binds them."""
    function = node.field("function")
    method = function.field("attribute") if function is not None else None
    arguments = node.field("arguments")
    kind = INSTRUMENT_KINDS.get(method.text()) if method is not None else None
    if kind is None or method is None or arguments is None:
        return None
    # The observable instruments take ``callbacks`` between the name and the unit.
    unit_position = 2 if method.text().startswith("create_observable_") else 1
    positional: list[SgNode] = []
    keywords: dict[str, SgNode] = {}
    complete = True
    for argument in arguments.children():
        if not argument.is_named() or argument.kind() == "comment":
            continue
        if argument.kind() == "keyword_argument":
            name, value = argument.field("name"), argument.field("value")
            if name is not None and value is not None:
                keywords[name.text()] = value
        elif argument.kind() in ("list_splat", "dictionary_splat"):
            complete = False
        else:
            positional.append(argument)
    name_node = keywords.get("name", positional[0] if positional else None)
    unit_node = keywords.get(
        "unit", positional[unit_position] if len(positional) > unit_position else None
    )
    return InstrumentCall(kind, name_node, unit_node, complete)


def _metric_name(node: SgNode | None, context: FileContext) -> str | None:
    """A metric name written as a literal, a semconv metric constant or the project's own."""
    literal = string_value(node)
    if literal is not None or node is None:
        return literal
    metric = semconv_constant(node, context)
    if metric is not None:
        return metric.name if isinstance(metric, Metric) else None
    return _constant_value(node, context)


def _label(node: SgNode | None) -> str | None:
    """How to name a metric whose name we cannot read: as written (``names.LATENCY``)."""
    return None if node is None else " ".join(node.text().split())


def _joined(issues: list[NameIssue]) -> str:
    return "; ".join(issue.message for issue in issues)


@check("OTL305")
def metric_name(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    if not _names_are_judged(context):
        return
    call = instrument_call(node)
    name = string_value(call.name) if call is not None else None
    if call is None or name is None:
        return
    issues = [
        i for i in check_metric_name(name, context.registry) if METRIC_CODES.get(i.kind) == "OTL305"
    ]
    # One finding per name: a name with a unit and a `_total` suffix is one name to rename.
    if issues:
        yield Verdict(message=_joined(issues), node=call.name)


@check("OTL306")
def metric_unit(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    if not _names_are_judged(context):
        return
    call = instrument_call(node)
    if call is None:
        return
    name = _metric_name(call.name, context)
    metric = context.registry.metrics.get(name) if name is not None else None
    defined = metric is not None and metric.deprecated is None
    unit = string_value(call.unit)
    if call.unit is not None and unit is None:
        return  # computed at run time
    if not unit:
        # Missing (or empty, the API's default). Counters of events commonly leave it out; a
        # histogram or gauge without one leaves readers guessing, and so does a semconv metric.
        if not call.complete or (not defined and call.kind not in UNIT_REQUIRED_KINDS):
            return
        unit = None
    elif defined:
        return  # a semconv metric's unit is judged against its definition: OTL307
    issues = [
        i
        for i in check_unit(unit, context.registry, name or _label(call.name))
        if METRIC_CODES.get(i.kind) == "OTL306"
        # A name we cannot read may be a convention metric defined in ms (the old
        # ``MetricInstruments.HTTP_SERVER_DURATION``), so only a readable name earns that warning.
        and (name is not None or i.kind is not IssueKind.UNIT_DURATION_NOT_SECONDS)
    ]
    if not issues:
        return
    message = _joined(issues)
    if defined and metric is not None and metric.unit:
        message += f'; the conventions define "{metric.unit}"'
    yield Verdict(message=message, node=call.unit or call.name)


@check("OTL307")
def semconv_metric_definition(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    if not _names_are_judged(context):
        return
    call = instrument_call(node)
    name = _metric_name(call.name, context) if call is not None else None
    metric = context.registry.metrics.get(name) if name is not None else None
    if call is None or name is None or metric is None or metric.deprecated is not None:
        return  # a deprecated metric is OTL308's; its old shape is not worth advice
    unit = string_value(call.unit)
    # An empty unit is a missing unit (OTL306), not a different one.
    issues = check_metric_definition(name, call.kind, unit or None, context.registry)
    for issue in issues:
        if METRIC_CODES.get(issue.kind) == "OTL307":
            target = call.unit if issue.kind is IssueKind.METRIC_WRONG_UNIT else None
            yield Verdict(message=issue.message, node=target or call.name)


@check("OTL308")
def deprecated_metric_name(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    if not _names_are_judged(context):
        return
    call = instrument_call(node)
    name = _metric_name(call.name, context) if call is not None else None
    if call is None or name is None:
        return
    if _on_old_convention_path(node, context):
        return  # the old convention's metric, created only while it is still reported
    for issue in check_metric_name(name, context.registry):
        if METRIC_CODES.get(issue.kind) == "OTL308":
            yield Verdict(message=issue.message, node=call.name)
