"""Checks of the 2xx family: unbounded names and values, raw payloads, secrets, dropped types.

Every check here reads attribute values through one extraction (:func:`attribute_values`), so a
span attribute, an event attribute, a measurement's attributes and a log call's ``extra`` are found
the same way, and judges names and values with :mod:`otel_lint.checks.syntax.boundedness`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

from ast_grep_py import SgNode

from otel_lint.checks import FileContext, Verdict, check, per_file
from otel_lint.checks.syntax.boundedness import (
    Bound,
    Judgement,
    is_built_string,
    judge,
    judge_name,
    loop_constants,
    name_words,
    payload_reason,
    request_value_reason,
    route_parameter_reason,
)
from otel_lint.checks.syntax.calls import (
    call_argument,
    call_receiver,
    callee_name,
    keyword_argument,
    positional_arguments,
)
from otel_lint.checks.syntax.constants import (
    binding_memo,
    constant_string,
    module_constants,
    process_constants,
    reaching_bindings,
)
from otel_lint.checks.syntax.literals import string_value
from otel_lint.checks.syntax.receivers import is_foreign
from otel_lint.project.facts import is_test_file


class Signal(str, Enum):
    """What an attribute value is attached to."""

    SPAN = "span"
    EVENT = "event"
    METRIC = "metric"
    LOG = "log"


@dataclass(frozen=True)
class AttributeValue:
    """One attribute value in the source, with its key when the key is a literal."""

    key: str | None
    value: SgNode
    signal: Signal


# --- reading calls -----------------------------------------------------------------------------


def _dictionary_for(node: SgNode | None, context: FileContext) -> SgNode | None:
    """The dict literal ``node`` is, or the last one bound to the name ``node`` that reaches it."""
    if node is None:
        return None
    if node.kind() == "dictionary":
        return node
    if node.kind() != "identifier":
        return None
    values = reaching_bindings(node, binding_memo(context))
    return values[-1] if values and values[-1].kind() == "dictionary" else None


def _pairs(
    dictionary: SgNode | None, signal: Signal, context: FileContext
) -> Iterator[AttributeValue]:
    if dictionary is None:
        return
    for pair in dictionary.children():
        if pair.kind() != "pair":
            continue
        value = pair.field("value")
        if value is not None:
            yield AttributeValue(constant_string(pair.field("key"), context), value, signal)


_INSTRUMENT_ASSIGNMENT: dict[str, Any] = {
    "kind": "assignment",
    "has": {
        "field": "right",
        "kind": "call",
        "has": {
            "field": "function",
            "regex": r"create_(counter|up_down_counter|histogram|gauge)$",
        },
    },
}
_INSTRUMENT_WORDS = frozenset({"counter", "histogram", "gauge", "instrument"})


def _instrument_names(root: SgNode) -> set[str]:
    """Names this file binds to ``create_*`` instruments (the attribute, for ``self.x = ...``)."""
    names = set()
    for assignment in root.find_all(**_INSTRUMENT_ASSIGNMENT):
        left = assignment.field("left")
        if left is not None:
            names.add(left.text().rsplit(".", 1)[-1])
    return names


@dataclass(frozen=True)
class _FileNames:
    """Names a whole file defines that the checks consult for each candidate call."""

    constants: frozenset[str]
    instruments: frozenset[str]


@per_file
def _file_names(context: FileContext) -> _FileNames:
    # Checks run once per candidate, and a file can hold thousands of candidates; querying the
    # whole tree each time made large files quadratic (minutes for 12,000 lines).
    root = context.root
    return _FileNames(module_constants(root), frozenset(_instrument_names(root)))


def _is_instrument_call(call: SgNode, context: FileContext) -> bool:
    """Whether an ``add``/``record``/``set`` call is plausibly a measurement on an instrument."""
    if keyword_argument(call, "attributes") is not None:
        return True
    receiver = call_receiver(call)
    if receiver is None:
        return False
    receiver_name = receiver.text().rsplit(".", 1)[-1]
    words = name_words(receiver_name)
    if words and words[-1] in _INSTRUMENT_WORDS:
        return True
    positional = positional_arguments(call)
    # ``counter.add(1, {...})``: a number measured with attributes; not ``cache.set(key, {...})``.
    if (
        len(positional) == 2
        and positional[0].kind() in ("integer", "float", "unary_operator")
        and positional[1].kind() == "dictionary"
    ):
        return True
    return receiver_name in _file_names(context).instruments


_LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log"}
)


def attribute_values(call: SgNode, context: FileContext) -> Iterator[AttributeValue]:
    """The attribute values a call carries, for the calls that carry OpenTelemetry attributes.

    A call on an object the syntax shows is not OpenTelemetry's (``span: LiveSpan``, ``with
    mlflow.start_span() as span``) carries none: its own library decides what it accepts.
    """
    method = callee_name(call)
    if method != "Observation" and is_foreign(call_receiver(call), context):
        return
    if method == "set_attribute":
        positional = positional_arguments(call)
        key = call_argument(call, 0, "key")
        value = positional[1] if len(positional) > 1 else keyword_argument(call, "value")
        if value is not None:
            yield AttributeValue(constant_string(key, context), value, Signal.SPAN)
    elif method == "set_attributes":
        yield from _pairs(
            _dictionary_for(call_argument(call, 0, "attributes"), context), Signal.SPAN, context
        )
    elif method in ("add_event", "record_exception"):
        yield from _pairs(
            _dictionary_for(call_argument(call, 1, "attributes"), context), Signal.EVENT, context
        )
    elif method in ("start_span", "start_as_current_span"):
        yield from _pairs(
            _dictionary_for(keyword_argument(call, "attributes"), context), Signal.SPAN, context
        )
    elif method == "Observation":
        yield from _pairs(
            _dictionary_for(call_argument(call, 1, "attributes"), context), Signal.METRIC, context
        )
    elif method in ("add", "record", "set"):
        attributes = _dictionary_for(call_argument(call, 1, "attributes"), context)
        # Cheap test first: most ``add`` calls (``seen.add(x)``) carry no dict at all.
        if attributes is not None and _is_instrument_call(call, context):
            yield from _pairs(attributes, Signal.METRIC, context)
    elif method in _LOG_METHODS:
        yield from _pairs(
            _dictionary_for(keyword_argument(call, "extra"), context), Signal.LOG, context
        )


def _bounded_names(context: FileContext, node: SgNode | None = None) -> tuple[str, ...]:
    """The configured bounded names, the module's constants and, around ``node``, loop constants."""
    constants = _file_names(context).constants
    around = loop_constants(node, constants) if node is not None else frozenset()
    return (*context.settings.bounded, *constants, *process_constants(context), *around)


@per_file
def _values_are_judged(context: FileContext) -> bool:
    """Whether the file's telemetry values are judged: not in test code, whose span names and
    attribute values are test data (what it checks an instrumentation or a hook passes on)."""
    return not is_test_file(context.path)


# --- OTL201 and OTL203: names built from variables -----------------------------------------------


def _name_verdict(
    name: SgNode | None, context: FileContext, what: str, advice: str, *, strict: bool = False
) -> Iterator[Verdict]:
    if name is None or not _values_are_judged(context):
        return
    judgement = judge(
        name,
        _bounded_names(context, name),
        strict=strict,
        resolve=lambda key: constant_string(key, context),
    )
    built = is_built_string(name)
    if judgement.unbounded or (built and not judgement.bounded):
        reason = judgement.reason or f"`{name.text()}` builds a string from variables"
        yield Verdict(message=f"{what} is high-cardinality: {reason}; {advice}", node=name)


@check("OTL201")
def span_name_cardinality(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    yield from _name_verdict(
        call_argument(node, 0, "name"),
        context,
        "span name",
        "name the operation with a fixed string and put the variable part in an attribute",
    )


@check("OTL203")
def instrument_name_cardinality(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    yield from _name_verdict(
        call_argument(node, 0, "name"),
        context,
        "metric name",
        "use one fixed instrument name and put the variable part in an attribute",
        # Even a bounded variable in a metric name is a dimension that belongs in an attribute.
        strict=True,
    )


# --- OTL202: unbounded metric attribute values ---------------------------------------------------


def metric_value_judgement(item: AttributeValue, bounded: tuple[str, ...]) -> Judgement:
    """A metric attribute value's judgement; an unknown value under an id-like key is unbounded,
    and so is one the client sent (a query parameter, a header...) that nothing mapped onto a
    fixed set."""
    judgement = judge(item.value, bounded)
    if judgement.bound is not Bound.UNKNOWN:
        return judgement
    sent = _sent_by_the_client(item.value)
    if sent is not None:
        return Judgement(Bound.UNBOUNDED, sent)
    if item.key is not None:
        by_key = judge_name(item.key, bounded)
        if by_key.unbounded:
            return by_key
    return judgement


_SCOPES = frozenset({"function_definition", "lambda", "module"})


def _sent_by_the_client(value: SgNode) -> str | None:
    """Why a value is what a client sent, read from the request here or into the local that
    reaches it, and not mapped onto a fixed set in between; None otherwise."""
    reason = request_value_reason(value)
    if reason is not None or value.kind() != "identifier":
        return reason
    bindings = reaching_bindings(value)
    if not bindings:
        # A parameter, if anything: of a route handler, bound from the path, query or headers.
        reason = route_parameter_reason(value)
        function = next((a for a in value.ancestors() if a.kind() == "function_definition"), None)
        body = function.field("body") if function is not None else None
        if reason is None or body is None or _mapped_onto_a_fixed_set(value, body, start=True):
            return None
        return reason
    reasons = [request_value_reason(binding) for binding in bindings]
    if not reasons or any(reason is None for reason in reasons):
        return None
    if any(_mapped_onto_a_fixed_set(value, binding) for binding in bindings):
        return None
    return f"`{value.text()}` is read from the request ({reasons[0]})"


def _mapped_onto_a_fixed_set(use: SgNode, binding: SgNode, *, start: bool = False) -> bool:
    """Whether, between ``binding`` and ``use``, the code tests the name against a fixed set:
    ``if player not in PLAYERS``, ``match player:`` or ``Player(player)`` (an enum). With
    ``start``, from the start of ``binding`` (a function's body, for a parameter)."""
    scope = next((a for a in use.ancestors() if a.kind() in _SCOPES), None)
    if scope is None:
        return False
    name, end = use.text(), use.range().start.index
    start_at = binding.range().start.index if start else binding.range().end.index

    def between(node: SgNode) -> bool:
        return start_at <= node.range().start.index < end

    for test in scope.find_all(kind="comparison_operator"):
        operands = [child for child in test.children() if child.is_named()]
        if (
            between(test)
            and " in " in f" {' '.join(test.text().split())} "
            and any(o.kind() == "identifier" and o.text() == name for o in operands[:1])
        ):
            return True
    for match in scope.find_all(kind="match_statement"):
        subject = match.field("subject")
        if between(match) and subject is not None and subject.text() == name:
            return True
    for call in scope.find_all(kind="call"):
        arguments = positional_arguments(call)
        callee = callee_name(call)
        if (
            between(call)
            and callee[:1].isupper()
            and len(arguments) == 1
            and arguments[0].text() == name
        ):
            return True
    return False


@check("OTL202")
def unbounded_metric_attribute(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    bounded: tuple[str, ...] | None = None
    if not _values_are_judged(context):
        return
    for item in attribute_values(node, context):
        if item.signal is not Signal.METRIC or sensitive_reason(item) is not None:
            continue
        if bounded is None:
            bounded = _bounded_names(context)
        judgement = metric_value_judgement(item, bounded)
        if judgement.unbounded:
            label = f"`{item.key}`" if item.key else "metric attribute"
            yield Verdict(
                message=(
                    f"unbounded value for metric attribute {label}: {judgement.reason}; "
                    "every distinct value is a new time series"
                ),
                node=item.value,
            )


# --- OTL204: raw payloads ------------------------------------------------------------------------

_PAYLOAD_KEY_WORDS = frozenset({"body", "payload", "headers"})
#: Namespaces whose conventions define opt-in attributes that hold content as JSON text.
_CONTENT_NAMESPACES = ("gen_ai.",)


@check("OTL204")
def raw_payload_attribute(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    if not _values_are_judged(context):
        return
    for item in attribute_values(node, context):
        if item.signal not in (Signal.SPAN, Signal.EVENT) or sensitive_reason(item) is not None:
            continue
        if item.key is not None and item.key.startswith(_CONTENT_NAMESPACES):
            continue
        reason = payload_reason(item.value)
        if reason is None and item.key is not None and not _harmless(item.value):
            words = name_words(item.key)
            if words and words[-1] in _PAYLOAD_KEY_WORDS:
                reason = f"`{item.key}` holds a whole body or headers mapping"
        if reason is not None:
            yield Verdict(
                message=(
                    f"raw payload in an attribute: {reason}; "
                    "record its size, type or a few chosen fields"
                ),
                node=item.value,
            )


# --- OTL205: sensitive data ----------------------------------------------------------------------

_SENSITIVE_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "passphrase",
        "secret",
        "apikey",
        "authorization",
        "cookie",
        "cookies",
        "cvv",
        "cvc",
        "ssn",
        "credential",
        "credentials",
    }
)
_SENSITIVE_PAIRS = frozenset(
    {
        ("api", "key"),
        ("access", "key"),
        ("private", "key"),
        ("secret", "key"),
        ("card", "number"),
        ("credit", "card"),
        ("cc", "number"),
        ("auth", "header"),
        ("set", "cookie"),
    }
)
#: Last words that describe a secret without holding it (``token.type``, ``password.length``).
_DESCRIBING_WORDS = frozenset(
    {
        "count",
        "length",
        "len",
        "size",
        "type",
        "kind",
        "name",
        "present",
        "provided",
        "valid",
        "expires",
        "expiry",
        "ttl",
        "age",
        "source",
        "scheme",
        "version",
        "id",
        "set",
        "used",
        "missing",
        "status",
        "arn",
        "ids",
        "identifier",
    }
)
#: Words before a last word ``token`` that make it a unit of text or a cursor, not a credential:
#: ``time_to_first_token``, ``progress_token`` (MCP), ``next_token`` / ``page_token`` (pagination).
_NON_CREDENTIAL_TOKEN = frozenset(
    {
        "first",
        "last",
        "progress",
        "next",
        "page",
        "pagination",
        "continuation",
        "cancellation",
        "input",
        "output",
        "prompt",
        "completion",
        "total",
        "max",
        "num",
        "reasoning",
        "cached",
        "special",
        "stop",
        "eos",
        "bos",
        "pad",
    }
)
_SECRET_LITERAL = re.compile(
    r"^(Bearer|Basic)\s+\S{8,}|^sk-[A-Za-z0-9_\-]{16,}|^AKIA[0-9A-Z]{16}$|^gh[pousr]_[A-Za-z0-9]{20,}"
)
_FULL_URL_KEYS = frozenset({"url.full", "http.url", "url.original"})
_URL_OWNERS = frozenset({"request", "req", "response", "resp", "r"})
_URL_WITH_QUERY = frozenset({"url", "full_path", "uri", "raw_uri", "absolute_uri"})
_URL_WITH_QUERY_CALLS = frozenset({"get_full_path", "build_absolute_uri", "geturl"})


def sensitive_name(name: str) -> bool:
    """Whether a key or identifier names a secret or a card number (not a fact about one)."""
    words = name_words(name)
    if not words or words[-1] in _DESCRIBING_WORDS:
        return False
    # In LLM code "token" is mostly a unit of text: ``token_usage``, ``input_token_details`` and
    # ``chunk_token_threshold`` hold counts. A credential token is what the name ends with
    # (``access_token``, ``x-auth-token``), unless a qualifier says it is a text unit or a cursor.
    if words[-1] == "token" and (len(words) == 1 or words[-2] not in _NON_CREDENTIAL_TOKEN):
        return True
    if any(word in _SENSITIVE_WORDS for word in words):
        return True
    return any(pair in _SENSITIVE_PAIRS for pair in itertools.pairwise(words))


def _harmless(value: SgNode) -> bool:
    """Values that cannot leak what their key names: literals without a secret, booleans, sizes."""
    if value.kind() in (
        "integer",
        "float",
        "true",
        "false",
        "none",
        "comparison_operator",
        "not_operator",
    ):
        return True
    literal = string_value(value)
    if literal is not None:
        return _SECRET_LITERAL.search(literal) is None
    return value.kind() == "call" and callee_name(value) in ("len", "bool", "isinstance")


_PASS_THROUGH_CALLS = frozenset({"str", "repr", "format", "strip", "lower", "upper", "decode"})


def _value_names(value: SgNode) -> Iterator[str]:
    """The names a value reads its content from.

    ``token.type`` reads ``type`` (a fact about a token), ``headers["Authorization"]`` and
    ``headers.get("cookie")`` read the header, ``str(password)`` and ``f"{password}"`` read
    ``password``; ``get_user(token)`` reads ``get_user``: a function of a secret is not the secret.
    """
    # Depth-first with a stack of its own, in document order: ``a or b or ...`` and
    # ``x.strip().strip()...`` nest one level per term, thousands deep in valid Python.
    pending = [value]
    while pending:
        value = pending.pop()
        kind = value.kind()
        inner: list[SgNode] = []
        if kind == "identifier":
            yield value.text()
        elif kind == "attribute":
            attribute = value.field("attribute")
            if attribute is not None:
                yield attribute.text()
        elif kind == "subscript":
            key = string_value(value.field("subscript"))
            if key is not None:
                yield key
        elif kind == "string":
            for part in value.children():
                expression = part.field("expression") if part.kind() == "interpolation" else None
                if expression is not None:
                    inner.append(expression)
        elif kind in (
            "parenthesized_expression",
            "await",
            "conditional_expression",
            "boolean_operator",
        ):
            inner = [child for child in value.children() if child.is_named()]
        elif kind == "call":
            method = callee_name(value)
            positional = positional_arguments(value)
            if method == "get" and positional and string_value(positional[0]) is not None:
                yield string_value(positional[0]) or ""
            elif method in _PASS_THROUGH_CALLS:
                receiver = call_receiver(value)
                inner = positional if receiver is None or method == "format" else [receiver]
            else:
                yield method
        pending.extend(reversed(inner))


def _url_with_query(value: SgNode) -> bool:
    node = value
    if node.kind() == "call" and callee_name(node) == "str" and positional_arguments(node):
        node = positional_arguments(node)[0]
    if node.kind() == "call" and callee_name(node) in _URL_WITH_QUERY_CALLS:
        receiver = call_receiver(node)
    elif node.kind() == "attribute":
        attribute = node.field("attribute")
        if attribute is None or attribute.text() not in _URL_WITH_QUERY:
            return False
        receiver = node.field("object")
    else:
        return False
    if receiver is None:
        return False
    words = name_words(receiver.text().rsplit(".", 1)[-1])
    return bool(words) and words[-1] in _URL_OWNERS


def sensitive_reason(item: AttributeValue) -> str | None:
    """Why an attribute value may carry a secret, a credential or a card number, or None."""
    value = item.value
    if _harmless(value):
        literal = string_value(value)
        return (
            None
            if literal is None or _SECRET_LITERAL.search(literal) is None
            else "the value looks like a credential"
        )
    if item.key is not None and sensitive_name(item.key):
        return f"the key `{item.key}` names a secret"
    literal = string_value(value)
    if literal is not None and _SECRET_LITERAL.search(literal):
        return "the value looks like a credential"
    if item.key in _FULL_URL_KEYS and _url_with_query(value):
        return f"`{value.text()}` keeps the query string, which often carries tokens"
    for name in _value_names(value):
        if sensitive_name(name):
            return f"`{value.text()}` reads `{name}`"
    return None


@check("OTL205")
def sensitive_attribute(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    for item in attribute_values(node, context):
        reason = sensitive_reason(item)
        if reason is not None:
            where = "log `extra`" if item.signal is Signal.LOG else f"{item.signal.value} attribute"
            yield Verdict(
                message=f"sensitive data in a {where}: {reason}; drop it or redact it",
                node=item.value,
            )


# --- OTL206: values the SDK drops ----------------------------------------------------------------

_DROPPED_CONSTRUCTORS = {
    "dict": "a dict",
    "set": "a set",
    "frozenset": "a set",
    "Decimal": "a Decimal",
    "uuid1": "a UUID object",
    "uuid4": "a UUID object",
    "now": "a datetime",
    "utcnow": "a datetime",
    "today": "a date",
}


def dropped_type(value: SgNode) -> str | None:
    """What a value is, if OpenTelemetry does not take it as an attribute (literals, calls)."""
    kind = value.kind()
    if kind in ("dictionary", "dictionary_comprehension"):
        return "a dict"
    if kind in ("set", "set_comprehension"):
        return "a set"
    if kind == "none":
        return "None"
    if kind == "call":
        return _DROPPED_CONSTRUCTORS.get(callee_name(value))
    if kind in ("list", "tuple"):
        for element in value.children():
            if element.is_named() and element.kind() in ("dictionary", "set", "none"):
                return f"a sequence holding {dropped_type(element)}"
    return None


@check("OTL206")
def dropped_attribute_type(node: SgNode, context: FileContext) -> Iterator[Verdict]:
    if not _values_are_judged(context):
        return
    for item in attribute_values(node, context):
        if item.signal is Signal.LOG or payload_reason(item.value) is not None:
            continue
        what = dropped_type(item.value)
        if what is not None:
            yield Verdict(
                message=(
                    f"attribute value is {what}, which OpenTelemetry SDKs without extended "
                    "attribute values drop with a warning; pass a str, bool, int, float or a list "
                    "of one of them"
                ),
                node=item.value,
            )
