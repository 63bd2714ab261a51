"""Checks of the 5xx family: how the SDK's resource and processors are set up.

Checked against opentelemetry-sdk 1.45.1: ``Resource.create(attrs)`` merges the SDK's defaults,
``OTEL_RESOURCE_ATTRIBUTES`` and ``OTEL_SERVICE_NAME`` (falling back to ``unknown_service``),
while ``Resource(attrs)`` holds exactly ``attrs`` and reads no environment variable.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ast_grep_py import SgNode

from otel_lint.checks import FileContext, Verdict, check, mentions
from otel_lint.checks.syntax.calls import keyword_argument
from otel_lint.checks.syntax.constants import constant_string
from otel_lint.checks.syntax.literals import string_value
from otel_lint.project.facts import SERVICE_NAME_ENV, is_test_file

# --- OTL501: a resource without service.name -----------------------------------------------------

#: Constants that spell ``service.name``: ``SERVICE_NAME``, ``ResourceAttributes.SERVICE_NAME``,
#: ``service_attributes.SERVICE_NAME``.
_SERVICE_NAME_CONSTANT = re.compile(r"(^|\.)SERVICE_NAME$")
#: Calls that complete a partial resource with other attributes (detectors, another resource).
_COMPLETING_CALL = re.compile(r"(^|\.)(merge|get_aggregated_resources)$")


def _first_argument(call: SgNode, keywords: tuple[str, ...]) -> tuple[bool, SgNode | None]:
    """(whether the call's arguments can be read, the first positional or keyword value)."""
    arguments = call.field("arguments")
    if arguments is None:
        return False, None
    for child in arguments.children():
        if not child.is_named():
            continue
        if child.kind() in ("list_splat", "dictionary_splat"):
            return False, None
        if child.kind() == "keyword_argument":
            name = child.field("name")
            if name is not None and name.text() in keywords:
                return True, child.field("value")
            continue
        return True, child
    return True, None


def _pairs(dictionary: SgNode) -> list[SgNode]:
    return [
        child for child in dictionary.children() if child.is_named() and child.kind() != "comment"
    ]


def _names_service(dictionary: SgNode) -> bool | None:
    """Whether a dict literal sets ``service.name`` (None: a ``**splat`` may set it)."""
    for child in dictionary.children():
        if child.kind() == "dictionary_splat":
            return None
        if child.kind() != "pair":
            continue
        key = child.field("key")
        if key is None:
            continue
        if string_value(key) == "service.name" or _SERVICE_NAME_CONSTANT.search(key.text()):
            return True
    return False


def _completed_elsewhere(call: SgNode, text: str) -> bool:
    """The resource is partial: merged with another one, given to resource detectors, returned by
    a detector's ``detect()``, or bound to a name that the file merges later."""
    parent = call.parent()
    if parent is None:
        return False
    if parent.kind() == "return_statement":
        function = next((a for a in call.ancestors() if a.kind() == "function_definition"), None)
        name = function.field("name") if function is not None else None
        return name is not None and name.text() == "detect"
    if parent.kind() == "assignment" and parent.field("right") == call:
        target = parent.field("left")
        if target is not None and target.kind() == "identifier":
            bound = re.escape(target.text())
            merged = (
                rf"\b{bound}\.merge\(|\.merge\(\s*{bound}\s*\)"
                rf"|get_aggregated_resources\((?:[^()]|\([^()]*\))*\b{bound}\b"
            )
            return re.search(merged, text) is not None
    if parent.kind() == "attribute" and parent.field("object") == call:
        attribute = parent.field("attribute")
        return attribute is not None and attribute.text() == "merge"
    for ancestor in call.ancestors():
        if ancestor.kind() == "call":
            function = ancestor.field("function")
            return function is not None and _COMPLETING_CALL.search(function.text()) is not None
        if ancestor.kind() not in ("argument_list", "keyword_argument"):
            return False
    return False


@check("OTL501")
def resource_without_service_name(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    # A test's resource is a fixture checked on the exported telemetry, never deployed.
    if is_test_file(context.path):
        return
    if not mentions(context, "opentelemetry") or _completed_elsewhere(node, context.text):
        return
    function = node.field("function")
    creates = function is not None and function.text().endswith(".create")
    readable, attributes = _first_argument(node, ("attributes",))
    if not readable:
        return
    if attributes is None:
        if not creates:
            return  # Resource() without attributes does not run; leave it to the type checker
    elif attributes.kind() != "dictionary" or _names_service(attributes) is not False:
        return
    elif not creates and not _pairs(attributes):
        return  # Resource({}) is the deliberate empty resource (Resource.get_empty())
    if creates:
        yield Verdict(requires=(f"!{SERVICE_NAME_ENV}",))
    else:
        yield Verdict(
            message="Resource(...) without service.name: unlike Resource.create(), the constructor "
            "reads neither OTEL_SERVICE_NAME nor OTEL_RESOURCE_ATTRIBUTES, so every span is "
            "reported by an unnamed service"
        )


# --- OTL502: resource attributes on spans ---------------------------------------------------------

#: Attributes that describe the process emitting telemetry, not one operation: they belong on the
#: Resource, set once. ``service.peer.*`` names the *other* service and is a span attribute.
RESOURCE_ONLY_KEYS = frozenset(
    {
        "service.name",
        "service.version",
        "service.namespace",
        "service.instance.id",
        "deployment.environment.name",
        "telemetry.sdk.name",
        "telemetry.sdk.language",
        "telemetry.sdk.version",
    }
)
_CONSTANT_KEYS = {key.upper().replace(".", "_"): key for key in RESOURCE_ONLY_KEYS}


def _attribute_key(node: SgNode, context: FileContext) -> str | None:
    """The attribute key a literal or a constant spells: the project's own, imported or not, the
    package's (``DEPLOYMENT_ENVIRONMENT`` from ``opentelemetry.sdk.resources``), or one named as
    a semconv constant is (``SERVICE_NAME``, whatever module it came through)."""
    if node.kind() == "string":
        return string_value(node)
    if node.kind() in ("identifier", "attribute"):
        resolved = constant_string(node, context)
        if resolved is not None:
            return resolved
        return _CONSTANT_KEYS.get(node.text().rsplit(".", 1)[-1])
    return None


def _renamed_resource_key(key: str | None, context: FileContext) -> bool:
    """Whether ``key`` is the deprecated name of one of them (``deployment.environment``): a
    resource attribute all the same, whose name OTL301 reports."""
    attribute = context.registry.attribute(key) if key is not None else None
    return (
        attribute is not None
        and attribute.key == key
        and attribute.deprecated is not None
        and attribute.deprecated.replacement in RESOURCE_ONLY_KEYS
    )


def _span_attribute_keys(call: SgNode) -> Iterator[SgNode]:
    """The attribute keys a span call sets, as written (literals or constants)."""
    function = call.field("function")
    method = function.field("attribute") if function is not None else None
    name = method.text() if method is not None else ""
    if name == "set_attribute":
        _, key = _first_argument(call, ("key",))
        if key is not None:
            yield key
        return
    if name == "set_attributes":
        _, attributes = _first_argument(call, ("attributes",))
    else:
        attributes = keyword_argument(call, "attributes")
    if attributes is None or attributes.kind() != "dictionary":
        return
    for pair in attributes.children():
        key = pair.field("key") if pair.kind() == "pair" else None
        if key is not None:
            yield key


@check("OTL502")
def resource_attribute_on_span(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    for key_node in _span_attribute_keys(node):
        key = _attribute_key(key_node, context)
        if key in RESOURCE_ONLY_KEYS or _renamed_resource_key(key, context):
            yield Verdict(
                message=f"`{key}` is a resource attribute: set it once on the TracerProvider's "
                "Resource (or OTEL_RESOURCE_ATTRIBUTES), not on each span",
                node=key_node,
            )


# --- OTL503: synchronous export over the network ------------------------------------------------

_NETWORK_EXPORTER = re.compile(r"(^|\.)(OTLP|Zipkin|Jaeger)\w*Exporter$")


def _exporter_class(value: SgNode, root: SgNode) -> str | None:
    """The class name of the exporter ``value`` constructs or names (an assignment in the file)."""
    if value.kind() == "call":
        function = value.field("function")
        return function.text() if function is not None else None
    if value.kind() != "identifier":
        return None
    for assignment in root.find_all(kind="assignment"):
        left, right = assignment.field("left"), assignment.field("right")
        if (
            left is not None
            and right is not None
            and left.text() == value.text()
            and right.kind() == "call"
        ):
            function = right.field("function")
            return function.text() if function is not None else None
    return None


@check("OTL503")
def simple_processor_network_exporter(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    if is_test_file(context.path):
        return
    readable, exporter = _first_argument(node, ("span_exporter", "exporter"))
    if not readable or exporter is None:
        return
    name = _exporter_class(exporter, context.root)
    if name is None or not _NETWORK_EXPORTER.search(name):
        return
    processor = node.field("function")
    logs = processor is not None and "LogRecord" in processor.text()
    batch, what = (
        ("BatchLogRecordProcessor", "log record") if logs else ("BatchSpanProcessor", "span")
    )
    exporter_name = name.rsplit(".", 1)[-1]
    yield Verdict(
        message=f"{exporter_name} behind a simple processor exports every {what} synchronously, on "
        f"the request path; use {batch}"
    )
