"""Where an attribute key sits: written into telemetry, read back from it, or kept on purpose.

The name rules judge the names code *writes* into telemetry. The same key also appears where
code reads what was written (``span.attributes[HTTP_URL]``, ``HTTP_URL in attrs``), where a
generic dict only looks like attributes (a lookup table named ``*_ATTRIBUTES`` in a module that
never imports OpenTelemetry), and on the old-convention path that the stability opt-in
(``OTEL_SEMCONV_STABILITY_OPT_IN``) keeps for users who have not opted in. These functions tell
those places apart from the syntax alone.
"""

from __future__ import annotations

import re

from ast_grep_py import SgNode

#: An instrument's methods: the amount first, the attributes second.
_MEASURING_METHODS = frozenset({"add", "record"})
#: Methods whose attributes argument is OpenTelemetry's by name alone: no other common API uses
#: them with a dict of keys. ``add``, ``record``, ``set``, ``emit``, ``Resource``... are generic.
OTEL_ATTRIBUTE_METHODS = frozenset(
    {"set_attribute", "set_attributes", "add_event", "start_span", "start_as_current_span"}
)
_IMPORTS_OPENTELEMETRY = re.compile(r"^\s*(?:from|import)\s+opentelemetry\b", re.MULTILINE)
#: The opentelemetry-instrumentation helper that says the old conventions are still emitted.
_REPORT_OLD = re.compile(r"(?:^|\.)_?report_old$")
#: Values no attribute can hold: the key of such a pair names something else (a lookup table).
_NOT_AN_ATTRIBUTE_VALUE = frozenset({"set", "lambda", "set_comprehension"})
_NOT_AN_ATTRIBUTE_CALL = re.compile(r"^(?:frozenset|set)$")
#: Methods that read a key: ``attrs.get(HTTP_URL)``, ``attrs.pop(HTTP_URL)``.
_READING_METHODS = frozenset({"get", "pop"})


def imports_opentelemetry(text: str) -> bool:
    """Whether a module's source imports anything from the ``opentelemetry`` packages."""
    return "opentelemetry" in text and _IMPORTS_OPENTELEMETRY.search(text) is not None


def _method(call: SgNode) -> str | None:
    function = call.field("function")
    if function is None:
        return None
    if function.kind() == "attribute":
        attribute = function.field("attribute")
        return None if attribute is None else attribute.text()
    return function.text()


def _dict_carrier(dictionary: SgNode) -> SgNode | None:
    """The call a dict literal is an argument of, or the assignment it is bound by."""
    parent = dictionary.parent()
    if parent is not None and parent.kind() == "keyword_argument":
        parent = parent.parent()
    if parent is not None and parent.kind() == "argument_list":
        return parent.parent()
    if parent is not None and parent.kind() == "assignment":
        return parent
    return None


def dict_key_is_generic(key: SgNode) -> bool:
    """Whether a dict key reaches attributes only through a generic carrier.

    A key of a dict given to ``set_attributes``, ``add_event`` or ``start_span`` is an attribute
    key by that name alone, and so is one given after an amount to ``.add`` or ``.record`` (an
    instrument's shape); one bound to ``*_attrs`` / ``*_labels`` / ``*_dimensions``, or given to
    ``.set``, ``.emit``, ``Resource(...)``, only when the module is OpenTelemetry code.
    False for what is not a dict key (``set_attribute``'s first argument).
    """
    pair = key.parent()
    if pair is None or pair.kind() != "pair":
        return False
    dictionary = pair.parent()
    carrier = _dict_carrier(dictionary) if dictionary is not None else None
    if dictionary is None or carrier is None or carrier.kind() != "call":
        return True
    method = _method(carrier)
    if method in OTEL_ATTRIBUTE_METHODS:
        return False
    # An instrument's shape: an amount, then the attributes (``counter.add(1, {...})``).
    return not (method in _MEASURING_METHODS and not _is_first_argument(dictionary))


def _is_first_argument(node: SgNode) -> bool:
    arguments = node.parent()
    if arguments is None or arguments.kind() != "argument_list":
        return False
    first = next((c for c in arguments.children() if c.is_named() and c.kind() != "comment"), None)
    return first is not None and first.range() == node.range()


def holds_no_attribute_value(key: SgNode) -> bool:
    """Whether a dict key's value is one no attribute can hold (a set, ``frozenset(...)``, a
    lambda): the dict maps its keys to something else, as a table of allowed names does."""
    pair = key.parent()
    value = pair.field("value") if pair is not None and pair.kind() == "pair" else None
    if value is None:
        return False
    if value.kind() in _NOT_AN_ATTRIBUTE_VALUE:
        return True
    if value.kind() == "call":
        return _NOT_AN_ATTRIBUTE_CALL.match(_method(value) or "") is not None
    return False


def is_read(reference: SgNode) -> bool:
    """Whether an expression is a key being read or compared, not written.

    ``span.attributes[HTTP_URL]`` (not as an assignment target), ``HTTP_URL in attrs``,
    ``attrs.get(HTTP_URL)``: the code looks at telemetry that something else wrote.
    """
    parent = reference.parent()
    if parent is None:
        return False
    if parent.kind() == "subscript":
        index = parent.field("subscript")
        if index is None or index.range() != reference.range():
            return False
        holder = parent.parent()
        while holder is not None and holder.kind() in ("pattern_list", "tuple_pattern"):
            holder = holder.parent()
        if holder is None:
            return True
        if holder.kind() in ("assignment", "augmented_assignment"):
            left = holder.field("left")
            return left is None or not _contains(left, parent)
        return holder.kind() != "delete_statement"
    if parent.kind() in ("comparison_operator", "not_operator"):
        return True
    if parent.kind() == "argument_list":
        call = parent.parent()
        return call is not None and _method(call) in _READING_METHODS
    return False


def _contains(outer: SgNode, inner: SgNode) -> bool:
    start, end = outer.range(), inner.range()
    return start.start.index <= end.start.index and end.end.index <= start.end.index


def on_old_convention_path(node: SgNode, old_functions: frozenset[str] = frozenset()) -> bool:
    """Whether ``node`` is inside a branch taken only while the old conventions are reported.

    opentelemetry-instrumentation's ``_report_old(mode)`` is true unless the user opted in to the
    new conventions alone (``OTEL_SEMCONV_STABILITY_OPT_IN``); what such a branch writes is the
    old convention's output, kept on purpose during the migration. So is what a function of
    ``old_functions`` (see ``old_convention_functions``) writes.
    """
    child, ancestor = node, node.parent()
    while ancestor is not None:
        if ancestor.kind() == "function_definition":
            name = ancestor.field("name")
            if name is not None and name.text() in old_functions:
                return True
        if ancestor.kind() in ("if_statement", "elif_clause"):
            condition = ancestor.field("condition")
            consequence = ancestor.field("consequence")
            if (
                condition is not None
                and consequence is not None
                and consequence.range() == child.range()
                and _calls_report_old(condition)
            ):
                return True
        child, ancestor = ancestor, ancestor.parent()
    return False


def _calls_report_old(condition: SgNode) -> bool:
    calls = [condition] if condition.kind() == "call" else []
    calls.extend(condition.find_all(kind="call"))
    for call in calls:
        function = call.field("function")
        if function is not None and _REPORT_OLD.search(function.text()):
            return True
    return False


def old_convention_functions(root: SgNode) -> frozenset[str]:
    """The module's functions that run only on the old-convention path, one call away or more.

    A function counts when it is named only in calls, and every such call is on that path
    (``if _report_old(mode): attrs = _create_metric_attributes_old(handler)``) or inside another
    function that counts. A function passed around by name is never one: its callers are unknown.
    """
    if "report_old" not in root.text():
        return frozenset()
    names = {
        defined.text()
        for definition in root.find_all(kind="function_definition")
        if (defined := definition.field("name")) is not None
    }
    sites: dict[str, list[SgNode]] = {name: [] for name in names}
    for identifier in root.find_all(kind="identifier"):
        text = identifier.text()
        if text not in sites:
            continue
        parent = identifier.parent()
        if parent is not None and parent.kind() == "function_definition":
            continue  # the definition's own name
        sites[text].append(identifier)
    old: set[str] = set()
    changed = True
    while changed:
        changed = False
        for function, references in sites.items():
            if function in old or not references:
                continue
            if all(_is_call_on_old_path(r, frozenset(old)) for r in references):
                old.add(function)
                changed = True
    return frozenset(old)


def _is_call_on_old_path(reference: SgNode, old_functions: frozenset[str]) -> bool:
    call = reference.parent()
    if call is None or call.kind() != "call":
        return False
    function = call.field("function")
    if function is None or function.range() != reference.range():
        return False
    return on_old_convention_path(call, old_functions)


#: The calls ``attribute-call`` (the rules' YAML) counts as taking attributes.
_ATTRIBUTE_CALL_METHODS = OTEL_ATTRIBUTE_METHODS | _MEASURING_METHODS | {"set", "emit"}
_ATTRIBUTE_CALL_NAMES = frozenset({"Observation", "Resource", "Resource.create", "Link"})
#: A name that says it holds attributes (as ``attribute-key-string`` reads one).
_ATTRIBUTES_NAME = re.compile(r"(?is)^.*(attrs?|attributes|labels|tags|dimensions)$")


def _takes_attributes(call: SgNode) -> bool:
    function = call.field("function")
    if function is None:
        return False
    if function.kind() == "attribute":
        return _method(call) in _ATTRIBUTE_CALL_METHODS or function.text() in _ATTRIBUTE_CALL_NAMES
    return function.text() in _ATTRIBUTE_CALL_NAMES


def is_attribute_key_position(reference: SgNode) -> bool:
    """Whether an expression sits where ``attribute-key-string`` finds a literal key.

    The first argument of ``set_attribute``, a key of a dict given to a call that takes
    attributes (or bound to a name such as ``attrs``), or ``attrs[KEY] = value``: the places a
    constant standing for a key must be judged like the literal.
    """
    parent = reference.parent()
    if parent is None:
        return False
    if parent.kind() == "argument_list":
        call = parent.parent()
        return (
            call is not None and _method(call) == "set_attribute" and _is_first_argument(reference)
        )
    if parent.kind() == "pair":
        key = parent.field("key")
        dictionary = parent.parent()
        if key is None or key.range() != reference.range() or dictionary is None:
            return False
        carrier = _dict_carrier(dictionary)
        if carrier is None:
            return False
        if carrier.kind() == "call":
            return _takes_attributes(carrier)
        left = carrier.field("left")
        return left is not None and _ATTRIBUTES_NAME.match(left.text()) is not None
    if parent.kind() == "subscript":
        index, holder = parent.field("subscript"), parent.field("value")
        assignment = parent.parent()
        return (
            index is not None
            and index.range() == reference.range()
            and holder is not None
            and _ATTRIBUTES_NAME.match(holder.text()) is not None
            and assignment is not None
            and assignment.kind() == "assignment"
            and (left := assignment.field("left")) is not None
            and left.range() == parent.range()
        )
    return False
