"""Whether the object a method is called on is OpenTelemetry's, as far as the syntax shows.

``set_attribute``, ``add`` and ``record`` are common method names: MLflow's ``LiveSpan``, a
vendor SDK's span wrapper or a CloudWatch emitter have them too, with other rules for their
values. A receiver is foreign when the syntax says where it comes from and that is not
OpenTelemetry: a parameter annotated with a type imported from another package
(``span: LiveSpan``), a name bound by ``with mlflow.start_span(...) as span`` or by a call to a
function imported from another package. It is OpenTelemetry's when that origin is an
``opentelemetry`` import (``trace.get_current_span()``, ``span: Span``). Anything else, a
``tracer.start_span`` on a tracer we cannot see, a parameter without annotation, is unknown,
and the checks judge it as they always did.
"""

from __future__ import annotations

from enum import Enum

from ast_grep_py import SgNode

from otel_lint.checks import FileContext
from otel_lint.checks.syntax.boundedness import name_words
from otel_lint.checks.syntax.calls import call_receiver
from otel_lint.checks.syntax.constants import binding_memo, last_name, reaching_bindings
from otel_lint.checks.syntax.imports import file_imports, qualified_name
from otel_lint.checks.syntax.spans import SCOPES, named_children, unwrap


class Origin(str, Enum):
    """Where a receiver comes from."""

    OPENTELEMETRY = "opentelemetry"
    FOREIGN = "foreign"
    UNKNOWN = "unknown"


_OPENTELEMETRY = "opentelemetry"
#: Words of a receiver's name that say it hands out OpenTelemetry objects.
_OTEL_OWNERS = frozenset({"tracer", "meter", "provider", "trace", "metrics"})
#: Annotation wrappers whose argument is the type: ``Optional[LiveSpan]``, ``"LiveSpan"``.
_WRAPPERS = frozenset({"Optional", "Union"})


def _imported_origin(path: SgNode | None, context: FileContext) -> Origin:
    """OpenTelemetry's or foreign when ``path`` names something the file imports, else unknown."""
    qualified = qualified_name(path, file_imports(context))
    if qualified is None:
        return Origin.UNKNOWN
    if qualified == _OPENTELEMETRY or qualified.startswith(_OPENTELEMETRY + "."):
        return Origin.OPENTELEMETRY
    return Origin.FOREIGN


def annotation_origin(annotation: SgNode | None, context: FileContext) -> Origin:
    """Where the type an annotation names comes from: ``LiveSpan | None`` is ``LiveSpan``'s."""
    node = unwrap(annotation)
    if node is not None and node.kind() == "type":
        inner = named_children(node)
        node = inner[0] if len(inner) == 1 else None
    if node is None:
        return Origin.UNKNOWN
    if node.kind() == "binary_operator":  # ``X | None``
        parts = [node.field("left"), node.field("right")]
        origins = {annotation_origin(part, context) for part in parts if part is not None}
        origins.discard(Origin.UNKNOWN)
        return origins.pop() if len(origins) == 1 else Origin.UNKNOWN
    if node.kind() in ("generic_type", "subscript"):
        head = named_children(node)[0] if named_children(node) else None
        if head is not None and head.text().rsplit(".", 1)[-1] in _WRAPPERS:
            arguments = named_children(node)[1:]
            return annotation_origin(arguments[0], context) if arguments else Origin.UNKNOWN
        return Origin.UNKNOWN
    if node.kind() == "none":
        return Origin.UNKNOWN
    return _imported_origin(node, context)


def _parameter_annotation(name: SgNode) -> tuple[bool, SgNode | None]:
    """Whether ``name`` is a parameter of its function, and the parameter's annotation."""
    for ancestor in name.ancestors():
        if ancestor.kind() == "lambda":
            return False, None
        if ancestor.kind() in SCOPES:
            if ancestor.kind() != "function_definition":
                return False, None
            parameters = ancestor.field("parameters")
            for parameter in named_children(parameters) if parameters is not None else []:
                if parameter.kind() == "identifier" and parameter.text() == name.text():
                    return True, None
                if parameter.kind() in ("typed_parameter", "typed_default_parameter"):
                    declared = parameter.field("name") or named_children(parameter)[0]
                    if declared.text() == name.text():
                        return True, parameter.field("type")
            return False, None
    return False, None


def _with_source(name: SgNode) -> SgNode | None:
    """The call ``name`` is bound to by an enclosing ``with call(...) as name``."""
    for ancestor in name.ancestors():
        if ancestor.kind() in SCOPES:
            return None
        if ancestor.kind() != "with_statement":
            continue
        for item in ancestor.find_all(kind="as_pattern"):
            alias = item.field("alias")
            if alias is not None and alias.text() == name.text():
                value = named_children(item)[0] if named_children(item) else None
                return unwrap(value)
    return None


def _call_origin(call: SgNode, context: FileContext) -> Origin:
    """Where the object a call returns comes from: the origin of the function called.

    ``tracer.start_span()`` on a tracer the project imports from its own telemetry module is
    OpenTelemetry's as far as we know, so a tracer's or meter's methods are never foreign.
    """
    receiver = call_receiver(call)
    owner = name_words(last_name(receiver)) if receiver is not None else []
    if _OTEL_OWNERS.intersection(owner):
        return Origin.UNKNOWN
    return _imported_origin(call.field("function"), context)


def receiver_origin(receiver: SgNode | None, context: FileContext) -> Origin:
    """Whether the receiver of a method call is OpenTelemetry's, foreign, or unknown."""
    node = unwrap(receiver)
    if node is None:
        return Origin.UNKNOWN
    if node.kind() == "call":
        return _call_origin(node, context)
    if node.kind() != "identifier":
        return Origin.UNKNOWN
    is_parameter, annotation = _parameter_annotation(node)
    if is_parameter:
        return annotation_origin(annotation, context)
    source = _with_source(node)
    if source is None:
        values = reaching_bindings(node, binding_memo(context))
        source = unwrap(values[0]) if len(values) == 1 else None
    if source is not None and source.kind() == "call":
        return _call_origin(source, context)
    return Origin.UNKNOWN


def is_foreign(receiver: SgNode | None, context: FileContext) -> bool:
    """Whether the syntax shows the receiver is not an OpenTelemetry object."""
    return receiver_origin(receiver, context) is Origin.FOREIGN
